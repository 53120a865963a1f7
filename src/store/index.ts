export * from './types.js';
export * from './store.js';
export * from './cursor.js';
export * from './version.js';
export * from './clock.js';
export { SCHEMA_VERSION, REFERENCE_ORIGIN, registryHash, type ExtraMigration, type Instance } from './schema.js';
export { openDatabase, DEFAULT_DB_URL, type Database, type Dialect } from './database.js';
export { busyError } from './busy.js';
export { isRecordUuid, RECORD_UUID_RULE } from './uuid.js';
