export { exportLabelsCsv, exportSummaryCsv, exportModelJson, LABEL_COLUMN } from './labels'
export type { LabelsExport } from './labels'
