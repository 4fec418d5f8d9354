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

/** `*.grad.yaml`, `*.grad.yml`, `*.grad.json`: the files Gradient Lens reads. */
export const MODEL_FILE = /\.grad\.(ya?ml|json)$/i;
