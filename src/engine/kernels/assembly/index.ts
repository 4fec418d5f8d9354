/**
 * The WebAssembly compute core: float32 kernels over one shared linear memory that the caller
 * manages (see ../core.ts). Built twice by esbuild.mjs, with and without relaxed SIMD.
 */
export { sgemm, addRowSums, addRows, WORK_BYTES } from './gemm';
export { unary, unaryRows, reluGrad, sigmoidGrad, softmaxRows } from './elementwise';
export { run, GEMM, CONV_FORWARD, CONV_INPUT_GRAD, CONV_WEIGHT_GRAD } from './jobs';
export { maxPool } from './pooling';
