export * from './roles.js';
export * from './accounts.js';
export * from './sessions.js';
export * from './publish.js';
export { hashPassword, verifyPassword, newPassword } from './password.js';
export { migrateAuthTables } from './tables.js';
