/**
 * Peak memory (max RSS) of writing and of reading a bundle of N changed records (default
 * 2,000,000), each step in a child process of its own, so the figure is that process's whole
 * footprint. The store is filled once (synthetic records, SQLite); with --dir it is kept there and
 * reused by the next run, without it the temporary folder is removed at the end.
 *
 *   node --import tsx bench/bundle-memory.ts [--records 2000000] [--dir DIR]
 *
 * Internally: `bench/bundle-memory.ts seed|export|import DIR N` are the children.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

process.env.TIDEMARK_LOG_LEVEL ??= 'warn';
const [mode, dir, n] = process.argv.slice(2);
const TOKEN_FILE = (d: string): string => join(d, 'token');

if (mode === 'seed' || mode === 'export' || mode === 'import') {
  const { openStore } = await import('../src/open.js');
  const { Peers } = await import('../src/sync/peers.js');
  const t = performance.now();
  let what: string;
  if (mode === 'seed') {
    const { populate } = await import('../samples/synthetic.js');
    const a = await openStore(`sqlite:${join(dir!, 'a.db')}`, { instanceName: 'bench-a' });
    const b = await openStore(`sqlite:${join(dir!, 'b.db')}`, { instanceName: 'bench-b' });
    await populate(a, Number(n), 7);
    const token = randomBytes(24).toString('base64url');
    await new Peers(a).save({ uuid: b.instance.uuid, name: 'bench-b', token });
    await new Peers(b).save({ uuid: a.instance.uuid, name: 'bench-a', token });
    writeFileSync(TOKEN_FILE(dir!), b.instance.uuid);
    await a.close();
    await b.close();
    what = `seeded ${n} records`;
  } else if (mode === 'export') {
    const { exportBundleFile } = await import('../src/transports/bundle/export.js');
    const a = await openStore(`sqlite:${join(dir!, 'a.db')}`);
    // Streamed to the file, as `tidemark bundle export -o` and the watched folder write it.
    const written = (await exportBundleFile(a, { peer: readFileSync(TOKEN_FILE(dir!), 'utf8') }, () => join(dir!, 'bundle.tmb')))!;
    await a.close();
    what = `exported ${written.header.body.records} records, ${(written.size / 1e6).toFixed(1)} MB bundle`;
  } else {
    const { importBundle } = await import('../src/transports/bundle/import.js');
    const b = await openStore(`sqlite:${join(dir!, 'b.db')}`);
    // Read from the file as a stream, as `tidemark bundle import FILE` does.
    const r = await importBundle(b, join(dir!, 'bundle.tmb'), { writeAck: false });
    await b.close();
    what = `imported ${r.applied} of ${r.received} records`;
  }
  process.stdout.write(JSON.stringify({ what, seconds: (performance.now() - t) / 1000, peakMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
} else {
  const { values } = parseArgs({ options: { records: { type: 'string' }, dir: { type: 'string' } } });
  const records = Number(values.records ?? 2_000_000);
  const work = values.dir ?? mkdtempSync(join(tmpdir(), 'tidemark-bench-bundle-mem-'));
  const self = fileURLToPath(import.meta.url);
  const step = (m: string): void => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, m, work, String(records)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${m} failed (exit ${r.status})`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { what: string; seconds: number; peakMB: number };
    process.stdout.write(`${m.padEnd(6)} ${out.what}: ${out.seconds.toFixed(1)} s, peak RSS ${Math.round(out.peakMB)} MB\n`);
  };
  try {
    if (!existsSync(join(work, 'a.db'))) step('seed');
    step('export');
    process.stdout.write(`        bundle file ${(statSync(join(work, 'bundle.tmb')).size / 1e6).toFixed(1)} MB${values.dir ? ` in ${work}` : ''}\n`);
    step('import');
  } finally {
    // A folder named with --dir is kept (a seeded store to run again); a temporary one is not.
    if (!values.dir) rmSync(work, { recursive: true, force: true });
  }
}
