import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import type { Store } from '../../store/index.js';
import { Peers } from '../../sync/peers.js';
import { bundleFileName } from './export.js';
import { peekBundle } from './format.js';
import { importBundle } from './import.js';
import { findBundles } from './mail.js';
import { placeBundle, writeAtomically } from './outbox.js';

const log = logger.child({ component: 'bundle-watch' });

export interface WatchOptions {
  /** Export for this peer or cluster only (default: every peer). */
  peer?: string;
  cluster?: string;
  /** Seconds between scans (default 10). USB sticks are polled: file-system events on them are unreliable. */
  interval?: number;
  /** One scan, then return (cron, tests). */
  once?: boolean;
  signal?: AbortSignal;
  onEvent?: (message: string) => void;
}

export interface ScanReport {
  imported: { file: string; kind: string; from: string; records: number; applied: number; conflicts: number }[];
  refused: { file: string; reason: string }[];
  written: string[];
}

/**
 * One pass over a carried folder (a USB stick that goes from site to site):
 * - DIR/outbox: what sites wrote to be carried. Every site writes its bundles here and imports
 *   from here the ones addressed to it, so one stick does the round trip.
 * - DIR/inbox: where a person drops what arrived some other way (bundles, .eml files).
 * A file addressed only to this instance moves to DIR/imported once imported; one that is also
 * for other sites stays for them. A damaged or refused file in the inbox moves to DIR/refused with
 * a note saying why; one in the outbox that is addressed to this instance is reported and left.
 */
export async function scanFolder(store: Store, dir: string, opts: Omit<WatchOptions, 'once' | 'signal' | 'interval'> = {}): Promise<ScanReport> {
  const inbox = join(dir, 'inbox');
  const outbox = join(dir, 'outbox');
  const imported = join(dir, 'imported');
  const refusedDir = join(dir, 'refused');
  for (const d of [inbox, outbox, imported, refusedDir]) mkdirSync(d, { recursive: true });
  const me = store.instance.uuid;
  const report: ScanReport = { imported: [], refused: [], written: [] };
  const say = (m: string): void => {
    log.info(m);
    opts.onEvent?.(m);
  };
  const list = (d: string): string[] =>
    readdirSync(d)
      .filter((f) => !f.startsWith('.') && !f.endsWith('.part'))
      .map((f) => join(d, f))
      .filter((p) => statSync(p).isFile());
  // Oldest first: acknowledgements and bundles mostly make sense in the order they were written.
  const files = [...list(inbox), ...list(outbox)].sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b));
  const refuse = (path: string, reason: string, extra = ''): void => {
    const file = basename(path);
    report.refused.push({ file, reason });
    say(`${file}: refused: ${reason}`);
    if (path.startsWith(inbox)) {
      renameSync(path, join(refusedDir, file));
      writeFileSync(join(refusedDir, `${file}.why.txt`), `${reason}\n${extra}`);
    }
  };
  for (const path of files) {
    const file = basename(path);
    const fromInbox = path.startsWith(inbox);
    let found;
    try {
      found = await findBundles(path);
    } catch (e) {
      if (!(e instanceof TidemarkError)) throw e;
      refuse(path, e.describe());
      continue;
    }
    if (!found.length) {
      if (fromInbox) refuse(path, 'no Tidemark bundle in this file');
      continue;
    }
    let forOthers = false;
    let done = true;
    for (const b of found) {
      let receivers: string[];
      let id: string;
      try {
        const h = peekBundle(b.bundle); // the envelope: a file still being copied is truncated
        receivers = h.receivers;
        id = h.id;
        if (h.sender.uuid === me) continue; // my own, waiting to be carried
      } catch (e) {
        if (!(e instanceof TidemarkError)) throw e;
        // A file still being copied onto the stick looks truncated: try again next scan.
        if (e.code === 'truncated' && Date.now() - statSync(path).mtimeMs < 10_000) {
          done = false;
          continue;
        }
        refuse(path, e.describe());
        done = false;
        break;
      }
      if (!receivers.includes(me)) {
        forOthers = true;
        continue;
      }
      if (receivers.length > 1) forOthers = true;
      if (await store.knex('tm_bundle_log').where({ id }).first()) continue; // seen on an earlier scan
      try {
        const r = await importBundle(store, b.bundle);
        report.imported.push({ file, kind: r.header.kind, from: r.sender.name, records: r.received, applied: r.applied, conflicts: r.conflicts });
        say(`${file}: ${r.header.kind} bundle from ${r.sender.name}, ${r.received} record(s), ${r.applied} applied, ${r.conflicts} conflict(s)`);
        for (const w of r.warnings) say(`  ${w}`);
        if (r.ack) {
          const ackPath = join(outbox, bundleFileName(r.ack));
          writeAtomically(ackPath, r.ack.bytes);
          report.written.push(ackPath);
        }
      } catch (e) {
        if (!(e instanceof TidemarkError)) throw e;
        refuse(path, e.describe(), e.problems.map((p) => `  ${p.describe()}\n`).join(''));
        done = false;
        break;
      }
    }
    if (done && !forOthers && existsSync(path) && found.some((b) => peekBundle(b.bundle).sender.uuid !== me)) {
      renameSync(path, join(imported, file));
    }
  }
  const targets = opts.peer || opts.cluster ? [{ peer: opts.peer, cluster: opts.cluster }] : (await new Peers(store).list()).map((p) => ({ peer: p.uuid }));
  for (const t of targets) {
    const placed = await placeBundle(store, outbox, t);
    if (!placed) continue;
    report.written.push(placed.path);
    say(`${basename(placed.path)}: ${placed.bundle.header.body.records} change(s) for ${placed.bundle.receivers.map((r) => r.name).join(', ')}`);
  }
  return report;
}

/** Scans DIR until stopped (or once). */
export async function watchFolder(store: Store, dir: string, opts: WatchOptions = {}): Promise<ScanReport[]> {
  if (!existsSync(dir)) throw new TidemarkError('not_found', `${dir} does not exist (is the stick mounted?)`);
  const reports: ScanReport[] = [];
  const every = (opts.interval ?? 10) * 1000;
  for (;;) {
    if (!existsSync(dir)) log.warn({ dir }, 'folder gone (stick removed?); waiting for it');
    else reports.push(await scanFolder(store, dir, opts));
    if (opts.once || opts.signal?.aborted) return reports;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, every);
      opts.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (opts.signal?.aborted) return reports;
  }
}
