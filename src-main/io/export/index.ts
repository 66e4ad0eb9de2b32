export { exportLabelsCsv, exportSummaryCsv, exportModelJson, exportPredictionsCsv, LABEL_COLUMN } from './labels'
export type { LabelsExport } from './labels'
