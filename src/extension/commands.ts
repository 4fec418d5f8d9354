/** Every command id in one place; package.json's `contributes.commands` uses exactly these. */
export enum CommandId {
  TraceGradients = 'gradientLens.traceGradients',
  Retrace = 'gradientLens.retrace',
  ShowPanel = 'gradientLens.showPanel',
  /** Internal: reveal a range of a model file (findings, sidebar rows). Hidden from the palette. */
  RevealLayer = 'gradientLens.revealLayer',
  OpenExample = 'gradientLens.openExample',
  /** A new spec in the workspace (or an untitled one), started from the skeleton. */
  NewModelFile = 'gradientLens.newModelFile',
  /** Internal: the CodeLens of one @model class of a TypeScript file (uri, className). Hidden from the palette. */
  TraceModel = 'gradientLens.traceModel',
  /** Internal: the CodeLens above an nn.Module class with nothing to trace it (uri, className): writes a sidecar. Hidden from the palette. */
  TraceThisModel = 'gradientLens.traceThisModel',
  /** A training run's log folder (or one log file), followed live: panel, sidebar, diagnostics on its .py files. */
  WatchTrainingRun = 'gradientLens.watchTrainingRun',
  StopWatchingTrainingRun = 'gradientLens.stopWatchingTrainingRun',
  /** The active .py file through `python -m gradient_lens run`, in a terminal; trusted workspaces only. */
  RunTrainingScript = 'gradientLens.runTrainingScript',
}

/** Context key: a training run is being watched (Stop Watching Training Run is offered). */
export const WATCHING_RUN_CONTEXT = 'gradientLens.watchingRun';

/**
 * Context key: the active editor holds a model file of any kind (a spec, a decorated TypeScript
 * model), so the editor's title bar and context menu offer Trace Gradients for it.
 */
export const ACTIVE_MODEL_CONTEXT = 'gradientLens.activeModelFile';

/** `*.grad.yaml`, `*.grad.yml`, `*.grad.json`: the files Gradient Lens reads. */
export const MODEL_FILE = /\.grad\.(ya?ml|json)$/i;
