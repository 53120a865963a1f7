import { TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import { nowIso } from '../../registry/values.js';
import { chunks, compareVersions, type Store, type VersionVector } from '../../store/index.js';
import { Peers, type Peer } from '../../sync/peers.js';
import { PROTOCOL_VERSION, readPage, type Page } from '../../sync/protocol.js';
import { logRow, mySchema, writeLog } from '../../sync/pipeline.js';
import { drive } from '../../sync/drive.js';
import { grantFor, withinGrant } from '../../sync/grant.js';
import { macKeyFor } from '../../sync/tokens.js';
import { ackBundle, type WrittenBundle } from './export.js';
import { loadBundle, readBody, verifyAuth, type BundleHeader } from './format.js';
import { trustedKey } from './keys.js';

const log = logger.child({ component: 'bundle' });

export interface ImportResult {
  header: BundleHeader;
  sender: Peer;
  /** true when this bundle id was imported before (nothing was applied again). */
  repeat: boolean;
  received: number;
  applied: number;
  /** Records new here, existing ones changed, and records of pages not applied (refused). */
  created: number;
  updated: number;
  refused: number;
  conflicts: number;
  /** Resources whose position in the sender's feed moved forward. */
  advanced: string[];
  /** Resources of my feed whose acknowledgement by the sender moved forward. */
  acknowledged: string[];
  warnings: string[];
  /** The acknowledgement to carry back (changes bundles only). */
  ack?: WrittenBundle;
}

/**
 * Checks everything that can be checked without the database and with it, before a single
 * record is applied: digest, addressee, sender, schema, authentication, every page.
 */
type BundlePage = { raw: Page; versions: ReturnType<typeof readPage>['versions'] };

async function openBundle(store: Store, file: Buffer | string): Promise<{ header: BundleHeader; sender: Peer; size: number; pages: () => AsyncGenerator<BundlePage> }> {
  // Envelope and digest first (one streaming pass over a file): a damaged file is refused here.
  const parsed = await loadBundle(file);
  const h = parsed.header;
  const me = store.instance.uuid;
  if (!Array.isArray(h.receivers) || typeof h.sender?.uuid !== 'string') throw new TidemarkError('malformed', 'bundle header names no sender or receivers', { element: 'bundle' });
  if (h.sender.uuid === me) throw new TidemarkError('invalid', 'this bundle was written by this instance itself; carry it to the receiver', { element: 'bundle' });
  if (!h.receivers.includes(me)) {
    throw new TidemarkError('forbidden', `bundle is meant for ${h.receivers.join(', ')}, not for this instance (${me})`, { element: 'bundle' });
  }
  if (h.protocol !== PROTOCOL_VERSION) throw new TidemarkError('unsupported', `bundle speaks sync protocol ${String(h.protocol)}, this instance ${PROTOCOL_VERSION}`);
  const schema = mySchema(store);
  if (h.schema_version !== schema.schema_version || h.registry_hash !== schema.registry_hash) {
    throw new TidemarkError(
      'unsupported',
      `bundle was written with schema ${String(h.schema_version)}/${String(h.registry_hash)}, this instance has ${schema.schema_version}/${schema.registry_hash}: upgrade one side`,
    );
  }
  const sender = await new Peers(store).find(h.sender.uuid);
  if (!sender || sender.uuid !== h.sender.uuid) {
    throw new TidemarkError('forbidden', `bundle comes from ${h.sender.name} (${h.sender.uuid}), which is not paired with this instance`, { element: 'bundle' });
  }
  verifyAuth(parsed, me, macKeyFor(sender, 'in'), await trustedKey(store, sender.uuid));
  if (h.kind !== 'changes' && h.kind !== 'ack') throw new TidemarkError('malformed', `unknown bundle kind "${String(h.kind)}"`, { element: 'bundle' });
  // Every page is checked before anything is applied, one at a time (the body is read again to apply
  // it: twice the decoding, instead of every record of a large bundle in memory at once).
  const problems: TidemarkError[] = [];
  let count = 0;
  for await (const raw of readBody(parsed)) {
    try {
      count += readPage(store.registry, raw).versions.length;
    } catch (e) {
      if (!(e instanceof TidemarkError)) throw e;
      problems.push(e, ...e.problems);
    }
  }
  if (problems.length) throw new TidemarkError('invalid', `bundle ${h.id} refused: ${problems.length} problem(s) in its records, nothing applied`, { element: 'bundle' }, problems);
  if (count !== h.body.records) throw new TidemarkError('malformed', `bundle header announces ${h.body.records} records, the body holds ${count}`, { element: 'bundle' });
  const pages = async function* (): AsyncGenerator<BundlePage> {
    for await (const raw of readBody(parsed)) {
      const { page, versions } = readPage(store.registry, raw);
      yield { raw: page, versions };
    }
  };
  return { header: h, sender, size: parsed.size, pages };
}

export interface BundlePreview {
  header: BundleHeader;
  sender: Peer;
  repeat: boolean;
  /** Per resource: what importing would do to each record, judged by the version vectors. */
  resources: { resource: string; records: number; create: number; update: number; unchanged: number; conflicts: number; refused: number; skipped: string | null }[];
}

/**
 * What importing a bundle would change, without changing anything: every check of the import
 * (addressee, sender, authentication, schema, records), then each record's version compared with
 * the one held here: new, newer (taken), older or equal (no change), or concurrent (a conflict
 * the policy will decide, logged and reversible).
 */
export async function previewBundle(store: Store, file: Buffer | string): Promise<BundlePreview> {
  const { header: h, sender, pages } = await openBundle(store, file);
  const repeat = (await store.knex('tm_bundle_log').where({ id: h.id }).first()) !== undefined;
  const grant = await grantFor(store, sender);
  const out = new Map<string, BundlePreview['resources'][number]>();
  for await (const { raw, versions } of pages()) {
    const resource = raw.resource;
    let r = out.get(resource);
    if (!r) out.set(resource, (r = { resource, records: 0, create: 0, update: 0, unchanged: 0, conflicts: 0, refused: 0, skipped: null }));
    r.records += versions.length;
    if (repeat || !grant.receive || !grant.resources.includes(resource)) {
      r.skipped = repeat ? 'imported before' : !grant.receive ? 'this instance only sends to the sender' : 'does not sync with the sender';
      continue;
    }
    // What the import would refuse: records outside the sender's filter (the apply stage's check).
    const { granted, refused } = withinGrant(grant, versions);
    r.refused += refused.length;
    if (r.refused) r.skipped = `${r.refused} outside what ${sender.name} is granted`;
    const held = new Map<string, VersionVector>();
    for (const part of chunks(granted.map((v) => v.uuid))) {
      for (const row of (await store.knex(resource).whereIn('uuid', part).select('uuid', 'tm_version')) as { uuid: string; tm_version: string }[]) {
        held.set(row.uuid, JSON.parse(row.tm_version) as VersionVector);
      }
    }
    for (const v of granted) {
      const mine = held.get(v.uuid);
      if (!mine) r.create++;
      else {
        const o = compareVersions(v.version, mine);
        if (o === 'newer') r.update++;
        else if (o === 'concurrent') r.conflicts++;
        else r.unchanged++;
      }
    }
  }
  return { header: h, sender, repeat, resources: [...out.values()] };
}

/**
 * Imports a bundle: applies its pages through the sync engine (versions, policies, deletion
 * rule, conflict log), learns the sender's acknowledgements, and returns the acknowledgement
 * to carry back. Bundles may arrive twice, late, or out of order:
 * - a page that continues exactly where this instance stands goes through `applyPage`, which
 *   moves the position in the sender's feed in the same transaction;
 * - a page that overlaps it is applied from where this instance stands;
 * - a page wholly behind, or one after a gap (an earlier bundle not imported yet), is applied
 *   version by version (the version vectors make old versions no-ops) without moving the
 *   position, so nothing is ever skipped.
 * `file` is the bundle's bytes, or the path of a bundle file, read as a stream (flat memory).
 */
export async function importBundle(store: Store, file: Buffer | string, opts: { writeAck?: boolean } = {}): Promise<ImportResult> {
  const { header: h, sender, size, pages } = await openBundle(store, file);
  const result: ImportResult = { header: h, sender, repeat: false, received: 0, applied: 0, created: 0, updated: 0, refused: 0, conflicts: 0, advanced: [], acknowledged: [], warnings: [] };
  const previous = (await store.knex('tm_bundle_log').where({ id: h.id }).first()) as { imported_on: string } | undefined;
  result.repeat = previous !== undefined;
  if (result.repeat) result.warnings.push(`bundle ${h.id} was imported already on ${previous!.imported_on}: nothing applied again`);

  // The transfer: the bundle's pages (checked whole by openBundle), applied tolerantly (a bundle
  // may come late, twice, or out of order), and the sender's hello for me, possibly old.
  const hello = h.hello?.[store.instance.uuid];
  const driven = await drive(store, sender, {
    carrier: 'bundle',
    phases: ['receive'],
    exchange: async () => (hello?.instance === sender.uuid ? hello : undefined),
    lateHello: true,
    receive:
      h.kind === 'changes' && !result.repeat
        ? async function* () {
            for await (const { raw, versions } of pages()) yield { read: { page: raw, versions } };
          }
        : undefined,
    stats: () => ({ bytes: size, roundTrips: 0 }),
  });
  for (const k of ['received', 'applied', 'created', 'updated', 'refused', 'conflicts'] as const) result[k] = driven[k];
  result.advanced = driven.advanced;
  result.acknowledged = driven.acknowledged;
  for (const resource of driven.gaps) result.warnings.push(`${resource}: this bundle starts after changes of ${sender.name} not received yet (an earlier bundle is missing); applied, position kept`);
  for (const r of driven.resources) if (r.refused) result.warnings.push(`${r.resource}: ${r.refused} record(s) outside what ${sender.name} is granted, refused`);
  if (!result.repeat) {
    const summary = { received: result.received, applied: result.applied, conflicts: result.conflicts, warnings: result.warnings };
    await store.knex('tm_bundle_log').insert({ id: h.id, sender: sender.uuid, kind: h.kind, imported_on: nowIso(), summary: JSON.stringify(summary) }).onConflict('id').ignore();
    await writeLog(store.knex, [
      logRow(sender, 'receive', { received: result.received, created: result.created, updated: result.updated, refused: result.refused, conflicts: result.conflicts, bytes: size }, { result: result.warnings.length ? 'warning' : 'success', message: `${h.kind} bundle ${h.id}${result.warnings.length ? `: ${result.warnings.join('; ')}` : ''}` }),
    ]);
  }
  // Acknowledge every changes bundle, repeats too: the first acknowledgement may have been lost.
  if (h.kind === 'changes' && opts.writeAck !== false) result.ack = await ackBundle(store, sender, [h.id]);
  log.info({ id: h.id, kind: h.kind, from: sender.name, received: result.received, applied: result.applied, conflicts: result.conflicts, repeat: result.repeat }, 'bundle imported');
  return result;
}
