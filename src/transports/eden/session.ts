import { logger } from '../../log.js';
import { exportMasters, Importer, readS3xml, type PeerEdit } from '../../s3xml/index.js';
import { DELETED_FIELD, decodeCursor, dotOf, encodeCursor, formatHlc, wallClockMs, type Dot, type RecordVersion, type Writer } from '../../store/index.js';
import { acks, applyRemoteVersions, collectPage, grantFor, heldCursor, Peers, recordAck, resourceHeads, storeCursor, withinGrant } from '../../sync/index.js';
import type { Grant, ReceivingPolicy, SessionContext, SyncLogEntry } from '../../sync/index.js';
import type { EdenClient } from './client.js';

/**
 * A sync round with a Sahana Eden, through its REST S3XML (Eden has no feed cursor and no
 * version vectors):
 *
 * 1. pull: per granted master resource, `GET /<module>/<name>.xml?msince=<Eden time>` (components
 *    nested). Records that differ from the stored ones become **that peer's edits**: a version
 *    vector one step past what this instance knows of the Eden, decided by applyRemoteVersions
 *    with the receiving policy, so a concurrent edit is a logged conflict. The position is
 *    Eden's own clock (its Date header) and is stored as the peer's cursor with the data.
 * 2. push: my changes since Eden's ack (the feed, so nothing Eden sent is echoed back, and
 *    only what the grant allows), as masters with their components, `POST /<module>/<name>.xml`.
 * 3. after a push, Eden's copies of the pushed records are read back (`?~.uuid=`): Eden
 *    normalises and derives values on import (a hospital's bed totals, a language code), and
 *    taking them now, as Eden's edits, keeps the next round empty.
 */

/** Eden's REST path of a table: `med_hospital` -> `/med/hospital.xml`. */
export const edenPath = (resource: string): string => `/${resource.replace('_', '/')}.xml`;

/** Seconds of margin on `msince`: a record saved during the export is pulled again (unchanged, it changes nothing). */
const MSINCE_MARGIN_MS = 2000;
const PUSH_CHUNK = 200;
/** Records read back per request (their uuids go in the URL). */
const READBACK_CHUNK = 50;

/** `2026-11-30T14:40:34` as Eden writes and reads times (UTC, seconds, no zone). */
const edenTime = (d: Date): string => d.toISOString().slice(0, 19);

/** The HLC of Eden's change: its modified_on (never ahead of this clock, which refuses future stamps). */
function edenHlc(modifiedOn: string | undefined): string {
  const ms = modifiedOn ? Date.parse(modifiedOn) : NaN;
  return formatHlc(Math.min(Number.isNaN(ms) ? wallClockMs() : ms, wallClockMs()), 0);
}

const differs = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);

/**
 * Eden's changed record as a version made by the Eden (`eden`: its plain uuid). When Eden held my
 * version of the record (acknowledged by a push, or it came from Eden), Eden's change follows
 * it: the vector is mine plus one Eden change, and it is simply taken. Otherwise my unsent
 * change and Eden's are concurrent: the vector carries only Eden's step, so every field both
 * changed is a conflict for the policy (and the conflict log), never silently overwritten.
 */
export function edenVersion(e: PeerEdit, eden: string, heldByEden: boolean): RecordVersion {
  const modified_on = e.modified_on ?? new Date(wallClockMs()).toISOString();
  const hlc = edenHlc(e.modified_on);
  const base = { resource: e.resource, uuid: e.uuid, modified_on, deleted: false, replaced_by: null, changed_by: eden, hlc, data: e.data };
  const prior = e.prior;
  if (!prior) return { ...base, created_on: e.created_on ?? modified_on, origin: eden, version: { [eden]: 1 } };
  const n = (prior.version[eden] ?? 0) + 1;
  const dot: Dot = [eden, n];
  const fields: Record<string, Dot> = {};
  for (const f of Object.keys(e.data)) fields[f] = differs(e.data[f], prior.data[f]) ? dot : dotOf(prior, f);
  fields[DELETED_FIELD] = prior.deleted ? dot : dotOf(prior, DELETED_FIELD);
  return {
    ...base,
    created_on: prior.created_on,
    origin: prior.origin,
    version: heldByEden ? { ...prior.version, [eden]: n } : { [eden]: n },
    fields,
  };
}

interface PullTotals {
  received: number;
  applied: number;
  conflicts: number;
  resolved: Set<string>;
  outside: number;
}

export async function edenSession(s: SessionContext, client: EdenClient): Promise<void> {
  const { store, peer } = s;
  const eden = peer.uuid;
  const peers = new Peers(store);
  const grant = await grantFor(store, peer);
  const policy = await peers.receivingPolicy(peer);
  const registry = store.registry;
  const masters = registry.dependencyOrder().filter((r) => grant.resources.includes(r) && !registry.get(r).component && !registry.get(r).referenceData);
  const groupOf = (m: string): string[] => [m, ...registry.components(m).map((c) => c.name).filter((c) => grant.resources.includes(c))];
  const limit = s.opts.limit ?? 1000;

  const log = (e: Omit<SyncLogEntry, 'peer' | 'peer_name'>): void => {
    s.logs.push({ peer: eden, peer_name: peer.name, ...e });
  };

  /** Eden's changes since the cursor; or, with `uuids`, Eden's copies of those records (the cursor stays). */
  const pull = async (master: string, uuids?: readonly string[]): Promise<void> => {
    const t0 = performance.now();
    const b0 = client.stats().bytes;
    const r = s.entry(master);
    const held = await heldCursor(store.knex, eden, master);
    const path = edenPath(master);
    const query = uuids ? `?~.uuid=${uuids.map(encodeURIComponent).join(',')}` : held ? `?msince=${encodeURIComponent(held)}` : '';
    const { text, date } = await client.get(`${path}${query}`);
    const next = uuids ? held : date ? edenTime(new Date(date.getTime() - MSINCE_MARGIN_MS)) : held;
    const totals: PullTotals = { received: 0, applied: 0, conflicts: 0, resolved: new Set(), outside: 0 };
    const summary = await store.transaction(async (w) => {
      const resources = [...new Set([...masters.flatMap(groupOf)])];
      const headsBefore = await resourceHeads(w.trx, resources);
      const acked = await acks(w.trx, eden);
      const importer = new Importer(w, {
        format: 's3xml',
        ignoreErrors: true,
        domain: store.instance.name,
        peerEdits: (wr, edits) => applyEdenEdits(wr, eden, edits, { grant, policy, acked, totals }),
      });
      await importer.begin();
      for await (const item of readS3xml(text)) await importer.add(item);
      await importer.finish();
      // Eden held all of my feed before, and nothing had to be decided: it holds all of it now
      // (masters moved forward by Eden's component changes need not go back to it).
      const headsAfter = await resourceHeads(w.trx, resources);
      for (const res of resources) {
        const before = headsBefore.get(res) ?? 0;
        const after = headsAfter.get(res) ?? 0;
        const ack = acked.get(res);
        const comps = registry.components(res).map((c) => c.name);
        if (after === before || !ack || ack.reset || ack.seq < before) continue;
        if (totals.resolved.has(res) || comps.some((c) => totals.resolved.has(c))) continue;
        await recordAck(w.trx, eden, res, after);
      }
      if (next && next !== held) await storeCursor(w.trx, eden, master, held, next);
      return importer.summary;
    });
    r.pullPages++;
    r.received += totals.received;
    r.applied += totals.applied;
    r.conflicts += totals.conflicts;
    r.refused += totals.outside;
    const bytes = client.stats().bytes - b0;
    r.bytes += bytes;
    r.ms += performance.now() - t0;
    const problems = [...summary.errors.map((e) => e.describe())];
    if (totals.outside) problems.push(`${totals.outside} record(s) outside what this peer is granted, not taken`);
    if (summary.errors.length) logger.warn({ peer: peer.name, resource: master, problems: problems.slice(0, 5) }, 'Eden sent records that could not be taken');
    log({
      direction: 'pull',
      resource: master,
      result: summary.errors.length || totals.outside ? 'warning' : 'success',
      received: totals.received,
      refused: totals.outside,
      conflicts: totals.conflicts,
      bytes,
      duration_ms: performance.now() - t0,
      message: problems.length ? `${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}` : null,
    });
    s.opts.onPage?.(r, 'pull');
    await s.checkpoint();
  };

  const push = async (master: string): Promise<string[]> => {
    const t0 = performance.now();
    const b0 = client.stats().bytes;
    const group = groupOf(master);
    const myAcks = await acks(store.knex, eden);
    const changed = new Set<string>();
    const reached = new Map<string, number>();
    let records = 0;
    for (const res of group) {
      const ack = myAcks.get(res);
      let from = ack && !ack.reset ? encodeCursor(store.instance.uuid, ack.seq) : null;
      const join = registry.get(res).component?.joinField;
      for (;;) {
        const page = await collectPage(store, eden, res, from, { limit, filter: grant.filters[res] });
        for (const rec of page.records) {
          const m = join ? rec.data[join] : rec.uuid;
          if (typeof m === 'string') changed.add(m);
        }
        records += page.records.length;
        reached.set(res, decodeCursor(page.cursor, store.instance.uuid));
        from = page.cursor;
        if (!page.more) break;
      }
    }
    const r = s.entry(master);
    const uuids = [...changed];
    for (let i = 0; i < uuids.length; i += PUSH_CHUNK) {
      const xml = await exportMasters(store, master, uuids.slice(i, i + PUSH_CHUNK), { domain: store.instance.name });
      await client.post(edenPath(master), xml);
      r.pushPages++;
      s.opts.onPage?.(r, 'push');
      await s.checkpoint();
    }
    for (const [res, seq] of reached) await recordAck(store.knex, eden, res, seq, { clearReset: true });
    if (!uuids.length) return [];
    r.sent += records;
    const bytes = client.stats().bytes - b0;
    r.bytes += bytes;
    r.ms += performance.now() - t0;
    log({ direction: 'push', resource: master, result: 'success', sent: records, bytes, duration_ms: performance.now() - t0 });
    return uuids;
  };

  if (grant.receive) for (const m of masters) await pull(m);
  const pushed = new Map<string, string[]>();
  if (grant.send) for (const m of masters) pushed.set(m, await push(m));
  // Eden's copies of what was pushed: it normalises and derives values on import (a language
  // code, a hospital's bed totals, defaults) without moving modified_on past the pull cursor.
  if (grant.receive) for (const [m, uuids] of pushed) for (let i = 0; i < uuids.length; i += READBACK_CHUNK) await pull(m, uuids.slice(i, i + READBACK_CHUNK));
}

/** Eden's new and changed records of one import batch, decided as that peer's edits. */
async function applyEdenEdits(
  w: Writer,
  eden: string,
  edits: PeerEdit[],
  ctx: { grant: Grant; policy: ReceivingPolicy; acked: Map<string, { seq: number }>; totals: PullTotals },
): Promise<void> {
  const { grant, policy, acked, totals } = ctx;
  // The one grant check of every carrier (src/sync/grant.ts): records outside it refused one by one.
  const { granted: versions, refused } = withinGrant(grant, edits.map((e) => edenVersion(e, eden, !!e.prior && e.prior.seq <= (acked.get(e.resource)?.seq ?? 0))));
  totals.outside += refused.length;
  if (!versions.length) return;
  const res = await applyRemoteVersions(w, eden, versions, { policy: (r) => policy(r), via: 'eden' });
  totals.received += res.received;
  totals.applied += res.taken + res.resolved;
  totals.conflicts += res.conflicts;
  if (res.resolved) {
    // Which resources needed a decision: their versions must go back to Eden.
    for (const v of versions) {
      const now = await w.getRow(v.resource, v.uuid);
      if (now && JSON.stringify(now.version) !== JSON.stringify(v.version)) totals.resolved.add(v.resource);
    }
  }
  if (res.conflicts || res.resolved) logger.info({ peer: eden, conflicts: res.conflicts, resolved: res.resolved }, 'Eden edits decided by policy');
}
