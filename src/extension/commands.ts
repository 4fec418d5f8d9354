/** Every command id in one place; package.json's `contributes.commands` uses exactly these. */
export enum CommandId {
  TraceGradients = 'gradientLens.traceGradients',
  Retrace = 'gradientLens.retrace',
  ShowPanel = 'gradientLens.showPanel',
  /** Internal: reveal a range of a model file (findings, sidebar rows). Hidden from the palette. */
  RevealLayer = 'gradientLens.revealLayer',
  OpenExample = 'gradientLens.openExample',
  /** Internal: the CodeLens of one @model class of a TypeScript file (uri, className). Hidden from the palette. */
  TraceModel = 'gradientLens.traceModel',
}

/**
 * Context key: the active editor holds a model file of any kind (a spec, a decorated TypeScript
 * model), so the editor's title bar and context menu offer Trace Gradients for it.
 */
export const ACTIVE_MODEL_CONTEXT = 'gradientLens.activeModelFile';

/** `*.grad.yaml`, `*.grad.yml`, `*.grad.json`: the files Gradient Lens reads. */
export const MODEL_FILE = /\.grad\.(ya?ml|json)$/i;
