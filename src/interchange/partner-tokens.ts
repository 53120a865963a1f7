import { randomBytes } from 'node:crypto';
import { TidemarkError } from '../errors.js';
import { nowIso } from '../registry/values.js';
import type { Store } from '../store/index.js';
import { listFormats, type FormatDef } from './formats.js';
import { authenticate, sha256Hex, type Partner } from './partners.js';
import { TrustStore } from './signature.js';
import { PARTNER_TABLE as TABLE } from './partner-table.js';

export { migratePartnerTable } from './partner-table.js';

/**
 * Partners an admin adds from the console or `tidemark partner add`, beside those of the
 * TIDEMARK_PARTNERS file (which stay read-only here): a name, the formats and master resources it
 * may push, and a bearer token shown once and kept as its SHA-256. A partner that must sign, with
 * its certificates, is still configured in the file.
 */
export interface StoredPartner {
  name: string;
  formats: string[];
  resources: string[];
  created_on: string;
  added_by: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;


/** The formats a partner may be allowed to push to /inbound: those mapped back into the store. */
export const partnerFormats = (): FormatDef[] => listFormats().filter((f) => !f.native && (f.import || f.envelope));

const fromRow = (r: Record<string, unknown>): StoredPartner => ({
  name: r.name as string,
  formats: JSON.parse(r.formats as string) as string[],
  resources: JSON.parse(r.resources as string) as string[],
  created_on: r.created_on as string,
  added_by: (r.added_by as string | null) ?? null,
});

export async function listStoredPartners(store: Store): Promise<StoredPartner[]> {
  return ((await store.knex(TABLE).orderBy('name')) as Record<string, unknown>[]).map(fromRow);
}

/** A new partner and its token (the only time the token is shown). A name of the file is refused. */
export async function addPartner(
  store: Store,
  fromFile: readonly Partner[],
  p: { name: string; formats: string[]; resources: string[]; addedBy?: string },
): Promise<{ partner: StoredPartner; token: string }> {
  if (!NAME.test(p.name)) throw new TidemarkError('invalid', `partner name "${p.name.slice(0, 80)}" must be 1-64 letters, digits, . _ - (not starting with a sign)`, { field: 'name' });
  if (!p.formats.length) throw new TidemarkError('invalid', 'choose at least one format the partner may push', { field: 'formats' });
  const pushable = partnerFormats().map((f) => f.name);
  for (const f of p.formats) {
    if (!pushable.includes(f)) throw new TidemarkError('invalid', `format "${f.slice(0, 40)}" is not one a partner pushes (${pushable.join(', ')})`, { field: 'formats' });
  }
  if (!p.resources.length) throw new TidemarkError('invalid', 'choose at least one resource the partner may write', { field: 'resources' });
  for (const r of p.resources) {
    if (store.registry.get(r).component) throw new TidemarkError('invalid', `${r} is a component: name its master resource`, { field: 'resources' });
  }
  if (fromFile.some((f) => f.name === p.name)) throw new TidemarkError('conflict', `partner ${p.name} is configured in the TIDEMARK_PARTNERS file`, { field: 'name' });
  if (await store.knex(TABLE).where({ name: p.name }).first()) throw new TidemarkError('conflict', `partner ${p.name} exists already (revoke it first)`, { field: 'name' });
  const token = `tmp_${randomBytes(32).toString('base64url')}`;
  const partner: StoredPartner = { name: p.name, formats: [...new Set(p.formats)], resources: [...new Set(p.resources)], created_on: nowIso(), added_by: p.addedBy ?? null };
  await store.knex(TABLE).insert({ ...partner, formats: JSON.stringify(partner.formats), resources: JSON.stringify(partner.resources), token_sha256: sha256Hex(token) });
  return { partner, token };
}

/** Removes a partner added here: its token stops working at once. The file's partners are not touched. */
export async function revokePartner(store: Store, fromFile: readonly Partner[], name: string): Promise<StoredPartner> {
  const row = (await store.knex(TABLE).where({ name }).first()) as Record<string, unknown> | undefined;
  if (!row) {
    if (fromFile.some((f) => f.name === name)) throw new TidemarkError('conflict', `partner ${name} is configured in the TIDEMARK_PARTNERS file: change it there`, { field: 'name' });
    throw new TidemarkError('not_found', `no partner "${name.slice(0, 80)}" (see "tidemark partner list")`, { field: 'name' });
  }
  await store.knex(TABLE).where({ name }).delete();
  return fromRow(row);
}

/**
 * The partner a bearer token belongs to: the file's (constant-time comparison), else one added
 * here (looked up by the SHA-256 of the token, a random secret), else 401.
 */
export async function authenticatePartner(store: Store, fromFile: readonly Partner[], authorization: string | undefined): Promise<Partner> {
  try {
    return authenticate(fromFile, authorization);
  } catch (e) {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw e;
    const row = (await store.knex(TABLE).where({ token_sha256: sha256Hex(token) }).first()) as Record<string, unknown> | undefined;
    if (!row) throw e;
    const p = fromRow(row);
    return { name: p.name, tokenSha256: row.token_sha256 as string, formats: p.formats, resources: p.resources, requireSignature: false, trust: new TrustStore() };
  }
}
