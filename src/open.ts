import type { ExtraMigration, Store, StoreOpenOptions } from './store/index.js';
import { Store as StoreClass } from './store/index.js';
import { migrateHistoryTable } from './store/history.js';
import { migrateAuthTables } from './auth/tables.js';
import { migrateSyncTables } from './sync/tables.js';
import { migrateBundleTables } from './transports/bundle/tables.js';
import { migrateRadioTable } from './transports/radio/tables.js';
import { migrateCandidateTable } from './transports/discovery/candidates.js';
import { migratePartnerTable } from './interchange/partner-table.js';

/**
 * Every stage's internal tables, in one list, run each time a store opens (each migration is
 * idempotent). A stage that needs a table adds its migration here instead of creating the table
 * on first use.
 */
export const MIGRATIONS: readonly ExtraMigration[] = [migrateHistoryTable, migrateAuthTables, migrateSyncTables, migrateBundleTables, migrateRadioTable, migrateCandidateTable, migratePartnerTable];

/** Opens a Tidemark database with every stage's tables: what the CLI, the service and tests use. */
export function openStore(url?: string, opts: Omit<StoreOpenOptions, 'migrations'> = {}): Promise<Store> {
  return StoreClass.open(url, { ...opts, migrations: MIGRATIONS });
}
