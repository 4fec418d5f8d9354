/** The charts shared by the report page and the VS Code trace panel. */
export * from './csv';
export * from './data';
export * from './render';
export * from './theme';
export * from './heatmap';
export * from './heatmap-render';
export * from './modules';
