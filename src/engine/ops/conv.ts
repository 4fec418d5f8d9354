/** Convolutions and pooling, NCHW / NCL layouts as PyTorch. */
import type { OpTable } from './types';

export interface ConvAttrs {
  /** inputs: [x (N,C,L), weight (O,C,K)] or with bias (O) */
  conv1d: { stride: number; padding: number };
  /** inputs: [x (N,C,H,W), weight (O,C,KH,KW)] or with bias (O) */
  conv2d: { stride: [number, number]; padding: [number, number] };
  max_pool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
  /** count_include_pad=True, PyTorch's default */
  avg_pool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
}

export const convOps = {} as OpTable<ConvAttrs>;
