export * from './roles.js';
export * from './accounts.js';
export * from './sessions.js';
export * from './publish.js';
export { hashPassword, verifyPassword, newPassword } from './password.js';
export { ensureAuthTables } from './tables.js';
