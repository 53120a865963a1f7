import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import type { Store } from '../../store/index.js';
import { Peers, type Peer } from '../../sync/peers.js';
import type { SyncReport } from '../../sync/session.js';
import { bundleFileName, exportBundleFile, type BundleFile } from './export.js';
import { BUNDLE_EXTENSION, peekBundle, type BundleHeader } from './format.js';

const log = logger.child({ component: 'bundle' });

/** Where bundles wait to be carried: TIDEMARK_OUTBOX, else ./outbox. */
export function outboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TIDEMARK_OUTBOX ?? 'outbox');
}

/** Writes a file so that a reader (or a USB stick pulled out) never sees half of it. */
export function writeAtomically(path: string, data: Buffer | string): void {
  const tmp = `${path}.part`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** The header of a bundle file, read without loading the records (undefined: not a whole bundle). */
export function peekHeader(path: string): BundleHeader | undefined {
  try {
    return peekBundle(path);
  } catch (e) {
    if (e instanceof TidemarkError) return undefined;
    throw e;
  }
}

export interface Placed {
  path: string;
  bundle: BundleFile;
  /** Older bundles for the same receivers that the new one supersedes, removed. */
  replaced: string[];
}

/**
 * Writes a changes bundle for a peer or cluster into a folder, replacing the older bundles for
 * the same receivers still waiting there (the new one starts from the same acknowledged position,
 * so it carries all they did). Returns undefined when there is nothing new to carry.
 */
export async function placeBundle(store: Store, dir: string, target: { peer?: string; cluster?: string }, opts: { always?: boolean } = {}): Promise<Placed | undefined> {
  mkdirSync(dir, { recursive: true });
  // What waits there already, looked at before the new file is written beside it.
  const present = readdirSync(dir)
    .filter((f) => f.endsWith(BUNDLE_EXTENSION))
    .map((f) => ({ f, h: peekHeader(join(dir, f)) }))
    .filter((x): x is { f: string; h: BundleHeader } => !!x.h);
  let waiting: { f: string; h: BundleHeader }[] = [];
  const rangesOf = (h: BundleHeader): string => JSON.stringify(Object.entries(h.ranges).map(([r, x]) => [r, x.from, x.to]));
  const keep = (header: BundleHeader): boolean => {
    const same = (h: BundleHeader): boolean =>
      h.kind === 'changes' && h.sender.uuid === store.instance.uuid && h.receivers.join() === header.receivers.join() && h.cluster === header.cluster;
    waiting = present.filter((x) => same(x.h));
    if (opts.always) return true;
    // No records: at most positions moved past versions the receiver made itself; not worth a trip.
    if (!header.body.records) return false;
    return !waiting.some((w) => rangesOf(w.h) === rangesOf(header)); // the same is waiting already
  };
  const bundle = await exportBundleFile(store, target, (name) => join(dir, bundleFileName(name)), keep);
  if (!bundle) return undefined;
  const path = bundle.path;
  const replaced: string[] = [];
  for (const w of waiting) {
    rmSync(join(dir, w.f), { force: true });
    replaced.push(w.f);
  }
  return { path, bundle, replaced };
}

/**
 * The file route, offered when an online sync with a peer fails: the bundle for that peer goes
 * to the outbox, and the message tells the user where it is and what to do with it. The sync
 * CLI and daemon call this (see docs/operations.md, "When the network is down").
 */
export async function offerFileRoute(store: Store, peer: Peer | string, reason?: string, dir: string = outboxDir()): Promise<{ path: string | null; records: number; message: string }> {
  const name = typeof peer === 'string' ? peer : peer.name;
  const uuid = typeof peer === 'string' ? peer : peer.uuid;
  const why = reason ? ` (${reason})` : '';
  try {
    const placed = await placeBundle(store, dir, { peer: uuid });
    if (!placed) {
      const waiting = readdirSync(dir).filter((f) => f.endsWith(BUNDLE_EXTENSION) && peekHeader(join(dir, f))?.receivers.includes(uuid));
      const path = waiting.length ? join(dir, waiting[waiting.length - 1]!) : null;
      return {
        path,
        records: 0,
        message: path
          ? `Online sync with ${name} failed${why}. The bundle for ${name} is waiting in ${path}: carry it over (USB stick or e-mail) and run "tidemark bundle import" there.`
          : `Online sync with ${name} failed${why}. ${name} has all changes of this instance; nothing to carry.`,
      };
    }
    const n = placed.bundle.header.body.records;
    log.info({ peer: name, path: placed.path, records: n }, 'file route offered');
    return {
      path: placed.path,
      records: n,
      message: `Online sync with ${name} failed${why}. A bundle with ${n} change(s) for ${name} was written to ${placed.path}: carry it over (USB stick or e-mail) and run "tidemark bundle import ${placed.path.split('/').pop()}" there, then bring the acknowledgement back.`,
    };
  } catch (e) {
    if (e instanceof TidemarkError) return { path: null, records: 0, message: `Online sync with ${name} failed${why}, and no bundle could be written: ${e.describe()}` };
    throw e;
  }
}

/**
 * For the sync CLI and daemon, after a sync round: when it failed for a reason a file can get
 * around (the peer unreachable, the link dropped), offers the file route; when it failed
 * because the peer refused us (credentials, schema), a file would be refused too: nothing.
 */
export async function fileRouteAfterFailure(store: Store, report: SyncReport, dir: string = outboxDir()): Promise<{ path: string | null; message: string } | undefined> {
  if (report.result !== 'error') return undefined;
  const peer = await new Peers(store).find(report.peer);
  if (!peer) return undefined;
  return offerFileRoute(store, peer, report.message, dir);
}
