import { randomUUID } from 'node:crypto';
import { TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import { nowIso } from '../../registry/values.js';
import { encodeCursor, type Store } from '../../store/index.js';
import { drive } from '../../sync/drive.js';
import { Peers, type Peer } from '../../sync/peers.js';
import { buildHello, logRow, mySchema, planFor, writeLog } from '../../sync/pipeline.js';
import { PROTOCOL_VERSION, type Hello } from '../../sync/protocol.js';
import { macKeyFor } from '../../sync/tokens.js';
import type { BundleHeader, BundleKind, BundleRange } from './format.js';
import { FileBundleWriter, MemoryBundleWriter, type BundleWriter } from './writer.js';
import { signingKey } from './keys.js';

const log = logger.child({ component: 'bundle' });

export interface ExportOptions {
  /** One peer (uuid or name)... */
  peer?: string;
  /** ...or every peer of a cluster. */
  cluster?: string;
  /** Records per page inside the bundle (default 1000). */
  limit?: number;
  onProgress?: (records: number) => void;
}

/** A bundle in memory (acknowledgements, mail). */
export interface WrittenBundle {
  bytes: Buffer;
  header: BundleHeader;
  receivers: Peer[];
}

/** A bundle streamed to a file. */
export interface BundleFile {
  path: string;
  size: number;
  header: BundleHeader;
  receivers: Peer[];
}

/** What a bundle's file name is made of (known before its records are collected). */
export interface BundleName {
  header: Pick<BundleHeader, 'kind' | 'id' | 'created_on' | 'sender' | 'cluster'>;
  receivers: Peer[];
}

/** Who a bundle is for: one peer, or the members of a cluster. */
export async function bundleReceivers(store: Store, opts: { peer?: string; cluster?: string }): Promise<{ receivers: Peer[]; cluster: string | null }> {
  const peers = new Peers(store);
  if (!!opts.peer === !!opts.cluster) throw new TidemarkError('invalid', 'name either --peer or --cluster');
  if (opts.peer) return { receivers: [await peers.get(opts.peer)], cluster: null };
  const receivers = (await peers.list()).filter((p) => p.clusters.includes(opts.cluster!));
  if (!receivers.length) throw new TidemarkError('not_found', `cluster "${opts.cluster}" has no peers`);
  return { receivers, cluster: opts.cluster! };
}

async function helloFor(store: Store, receivers: Peer[], resources: string[]): Promise<Record<string, Hello>> {
  const out: Record<string, Hello> = {};
  for (const r of receivers) out[r.uuid] = await buildHello(store, r.uuid, resources);
  return out;
}

/** The header's parts known from the start: the bundle's name. */
function nameOf(store: Store, kind: BundleKind, receivers: Peer[], cluster: string | null): BundleName {
  return { header: { kind, id: randomUUID(), created_on: nowIso(), sender: { uuid: store.instance.uuid, name: store.instance.name }, cluster }, receivers };
}

async function assemble(
  store: Store,
  name: BundleName,
  resources: string[],
  writer: BundleWriter,
  records: number,
  ranges: Record<string, BundleRange>,
  extra: Partial<BundleHeader> = {},
  keep?: (h: BundleHeader) => boolean,
): Promise<{ header: BundleHeader; size: number } | undefined> {
  const { receivers } = name;
  const header: Omit<BundleHeader, 'body' | 'version'> = {
    format: 'tidemark-bundle',
    ...name.header,
    receivers: receivers.map((r) => r.uuid),
    protocol: PROTOCOL_VERSION,
    ...mySchema(store),
    ranges,
    hello: await helloFor(store, receivers, resources),
    ...extra,
  };
  return writer.finish(
    header,
    records,
    {
      macKeys: Object.fromEntries(receivers.map((r) => [r.uuid, macKeyFor(r, 'out')])),
      signingKey: await signingKey(store),
    },
    keep,
  );
}

/**
 * Writes the changes a peer (or a cluster) has not acknowledged yet: per resource, the pages of
 * my feed after the position the peer last confirmed, exactly as an online push would send them
 * (same filters, same policy hint, versions that came from that peer left out). Nothing is
 * marked as sent: only the receiver's acknowledgement moves the peer's position forward, so a
 * lost stick costs nothing but a re-export.
 */
export async function exportBundle(store: Store, opts: ExportOptions): Promise<WrittenBundle> {
  const writer = new MemoryBundleWriter();
  const { header, receivers } = (await writeChanges(store, opts, () => writer))!;
  return { bytes: writer.bytes!, header, receivers };
}

/**
 * The same, streamed to the file `to` names (a directory and bundleFileName, say): memory stays
 * flat whatever the number of records. When `keep` says no (nothing worth carrying), no file is
 * left and the result is undefined.
 */
export async function exportBundleFile(store: Store, opts: ExportOptions, to: (name: BundleName) => string, keep?: (h: BundleHeader) => boolean): Promise<BundleFile | undefined> {
  let path = '';
  const done = await writeChanges(store, opts, (name) => new FileBundleWriter((path = to(name))), keep);
  return done && { path, ...done };
}

async function writeChanges(store: Store, opts: ExportOptions, writerFor: (name: BundleName) => BundleWriter, keep?: (h: BundleHeader) => boolean): Promise<{ header: BundleHeader; size: number; receivers: Peer[] } | undefined> {
  const { receivers, cluster } = await bundleReceivers(store, opts);
  const name = nameOf(store, 'changes', receivers, cluster);
  const writer = writerFor(name);
  try {
    return await collectInto(store, opts, name, writer, keep);
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

async function collectInto(store: Store, opts: ExportOptions, name: BundleName, writer: BundleWriter, keep?: (h: BundleHeader) => boolean): Promise<{ header: BundleHeader; size: number; receivers: Peer[] } | undefined> {
  const { receivers } = name;
  const cluster = name.header.cluster;
  // Each page is compressed and written as soon as it is collected.
  const ranges: Record<string, BundleRange> = {};
  let total = 0;
  const zero = encodeCursor(store.instance.uuid, 0);
  // The transfer: pages into the file; the receiver acknowledges them later (its ack bundle's hello).
  // A cluster bundle follows the cluster's settings and starts where the receiver furthest behind stands.
  const { plan } = await drive(store, receivers[0]!, {
    carrier: 'bundle',
    phases: ['send'],
    send: async (page) => {
      if (page.cursor === (page.from ?? zero)) return null; // nothing after the position
      await writer.page(page);
      const range = (ranges[page.resource] ??= { from: page.from, to: page.cursor, records: 0 });
      range.to = page.cursor;
      range.records += page.records.length;
      total += page.records.length;
      opts.onProgress?.(total);
      return null;
    },
    stats: () => ({ bytes: 0, roundTrips: 0 }),
  }, { cluster, receivers, limit: opts.limit });
  const resources = plan.order;
  const written = await assemble(store, name, resources, writer, total, ranges, {}, keep);
  if (!written) return undefined;
  await writeLog(
    store.knex,
    receivers.map((r) => logRow(r, 'push', { sent: written.header.body.records, bytes: written.size }, { message: `bundle ${written.header.id} written` })),
  );
  log.info({ id: written.header.id, receivers: receivers.map((r) => r.name), records: written.header.body.records, bytes: written.size }, 'bundle written');
  return { ...written, receivers };
}

/** An acknowledgement: no records, only where this instance stands in the sender's feed. */
export async function ackBundle(store: Store, to: Peer, acknowledges: string[]): Promise<WrittenBundle> {
  const { order } = await planFor(store, to, 'bundle');
  const writer = new MemoryBundleWriter();
  const { header } = (await assemble(store, nameOf(store, 'ack', [to], null), order, writer, 0, {}, { acknowledges }))!;
  return { bytes: writer.bytes!, header, receivers: [to] };
}

/** A file name that says what the bundle is: sender, receiver, time, kind. */
export function bundleFileName(b: BundleName): string {
  const safe = (s: string): string => s.replace(/[^\w.-]+/g, '_').slice(0, 40);
  const to = b.header.cluster ?? (b.receivers.length === 1 ? b.receivers[0]!.name : 'several');
  const stamp = b.header.created_on.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${safe(b.header.sender.name)}-to-${safe(to)}-${stamp}-${b.header.id.slice(0, 8)}${b.header.kind === 'ack' ? '.ack' : ''}.tmb`;
}
