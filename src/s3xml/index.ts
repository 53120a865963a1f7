export { exportMasters, exportRecords, exportResources, type ExportOptions, type ExportSummary, type NativeFormat } from './export.js';
export { importRecords, readDocument, Importer, type ImportOptions, type ImportSummary, type ImportProgress, type PeerEdit } from './import.js';
export { readS3xml } from './reader.js';
export { readS3json } from './json-reader.js';
export { recordFormat, recordFormats, registerRecordFormat, type RecordFormat } from './formats.js';
export { DEFAULT_DOCUMENT_LIMITS, type S3Item, type DocumentLimits } from './model.js';
export type { DocumentInput } from './source.js';
