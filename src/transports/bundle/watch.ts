import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import type { Store } from '../../store/index.js';
import { Peers } from '../../sync/peers.js';
import { bundleFileName } from './export.js';
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
  imported: { file: string; records: number; applied: number; conflicts: number }[];
  refused: { file: string; reason: string }[];
  written: string[];
}

/**
 * One pass over a carried folder: DIR/inbox holds what arrived (bundles, .eml files), DIR/outbox
 * what is to be carried away. Imported files move to inbox/imported, refused ones to
 * inbox/refused with a note saying why; acknowledgements and new bundles go to the outbox.
 */
export async function scanFolder(store: Store, dir: string, opts: Omit<WatchOptions, 'once' | 'signal' | 'interval'> = {}): Promise<ScanReport> {
  const inbox = join(dir, 'inbox');
  const outbox = join(dir, 'outbox');
  for (const d of [inbox, outbox, join(inbox, 'imported'), join(inbox, 'refused')]) mkdirSync(d, { recursive: true });
  const report: ScanReport = { imported: [], refused: [], written: [] };
  const say = (m: string): void => {
    log.info(m);
    opts.onEvent?.(m);
  };
  const files = readdirSync(inbox)
    .filter((f) => !f.startsWith('.') && !f.endsWith('.part'))
    .map((f) => join(inbox, f))
    .filter((p) => statSync(p).isFile())
    // Oldest first: acknowledgements and bundles mostly make sense in the order they were written.
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b));
  for (const path of files) {
    const file = basename(path);
    try {
      const found = findBundles(path);
      if (!found.length) throw new TidemarkError('invalid', 'no Tidemark bundle in this file');
      for (const b of found) {
        const r = await importBundle(store, b.bytes);
        report.imported.push({ file, records: r.received, applied: r.applied, conflicts: r.conflicts });
        say(`${file}: ${r.header.kind} bundle from ${r.sender.name}, ${r.received} record(s), ${r.applied} applied, ${r.conflicts} conflict(s)${r.repeat ? ' (repeat)' : ''}`);
        if (r.ack) {
          const ackPath = join(outbox, bundleFileName(r.ack));
          writeAtomically(ackPath, r.ack.bytes);
          report.written.push(ackPath);
        }
      }
      renameSync(path, join(inbox, 'imported', file));
    } catch (e) {
      if (!(e instanceof TidemarkError)) throw e;
      const reason = e.describe();
      // A file still being copied onto the stick looks truncated: try again next scan.
      if (/truncated/.test(reason) && Date.now() - statSync(path).mtimeMs < 10_000) continue;
      renameSync(path, join(inbox, 'refused', file));
      writeFileSync(join(inbox, 'refused', `${file}.why.txt`), `${reason}\n${e.problems.map((p) => `  ${p.describe()}\n`).join('')}`);
      report.refused.push({ file, reason });
      say(`${file}: refused: ${reason}`);
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
    if (!existsSync(dir)) {
      log.warn({ dir }, 'folder gone (stick removed?); waiting for it');
    } else {
      reports.push(await scanFolder(store, dir, opts));
    }
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
