/**
 * Shared pieces of the S3XML benchmarks: a synthetic database, the same rows as CSV through the
 * `sqlite3` shell (the reference every figure is compared with), timing and medians.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { openStore } from '../src/open.js';
import { exportResources } from '../src/s3xml/index.js';
import { registry } from '../src/registry/registry.js';
import { populate } from '../samples/synthetic.js';

process.env.TIDEMARK_LOG_LEVEL ??= 'warn';

export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Every table an export of the default resources reads: the masters and their components. */
export function exportedTables(): string[] {
  return exportResources(registry).flatMap((r) => [r.name, ...registry.components(r.name).map((c) => c.name)]);
}

/** A fresh SQLite file holding `n` synthetic records. */
export async function syntheticDatabase(path: string, n: number): Promise<void> {
  for (const s of ['', '-wal', '-shm']) rmSync(`${path}${s}`, { force: true });
  const store = await openStore(`sqlite:${path}`);
  await populate(store, n, 1, (done) => process.stderr.write(`\r  generating ${fmt(done)} records`));
  process.stderr.write('\n');
  // Fold the WAL into the database file so the sqlite3 shell and Tidemark read the same thing.
  await store.knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  await store.close();
}

/**
 * CPU seconds (user + system) of the children this process has waited for, from /proc/self/stat
 * (Linux, 10 ms ticks): the reference's CPU time, steadier than its wall time on a loaded machine.
 */
function childCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds of this process (every thread). */
const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU seconds of the last `sqlite3` and `seconds` calls (read after each). */
export const lastCpu = { sqlite3: 0, ours: 0 };

/** Runs the sqlite3 shell with `script` on stdin; returns seconds of wall time. */
export function sqlite3(db: string, script: string, args: string[] = []): number {
  const c = childCpu();
  const t = process.hrtime.bigint();
  const r = spawnSync('sqlite3', [...args, db], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  lastCpu.sqlite3 = childCpu() - c;
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr.toString()}`);
  return s;
}

export async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const c = ownCpu();
  const t = process.hrtime.bigint();
  await fn();
  lastCpu.ours = ownCpu() - c;
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** The CPU line of a benchmark: medians of both sides and their ratio. */
export function cpuLine(ours: number[], ref: number[]): string {
  const [o, r] = [median(ours), median(ref)];
  return `  CPU time (steadier under load): Tidemark ${o.toFixed(3)} s, sqlite3 ${r.toFixed(3)} s, ratio ${(o / Math.max(r, 0.01)).toFixed(2)}x`;
}
