import { TidemarkError } from '../errors.js';
import { readHistory, type HistoryEntry, type Store } from '../store/index.js';
import { siteNames } from './conflicts.js';

/** A kept version with the names of the sites involved (what the console and the CLI show). */
export interface VersionView extends HistoryEntry {
  /** The instance whose change this version is. */
  changed_by_site: string;
  /** The user, the imported document, or the peer's name. */
  source_label: string | null;
}

/**
 * A record's kept versions, newest first, each with where it came from and what changed from
 * the version before it (`tidemark record history`, the console's record page).
 */
export async function versionHistory(store: Store, resource: string, uuid: string, opts: { limit?: number } = {}): Promise<VersionView[]> {
  store.registry.get(resource);
  const entries = await readHistory(store.knex, resource, uuid, opts);
  if (!entries.length && !(await store.get(resource, uuid, { includeDeleted: true }))) {
    throw new TidemarkError('not_found', 'no such record', { resource, uuid });
  }
  const site = await siteNames(store);
  return entries.map((e) => ({
    ...e,
    changed_by_site: site(e.changed_by),
    source_label: e.source === 'peer' && e.source_name ? site(e.source_name) : e.source_name,
  }));
}
