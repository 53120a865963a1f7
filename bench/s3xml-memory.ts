/**
 * Peak memory (max RSS) while exporting and importing N records (default 1,000,000) as S3XML,
 * each in a child process of its own, so the figure is that process's whole footprint.
 *
 *   node --import tsx bench/s3xml-memory.ts          (BENCH_N=1000000 BENCH_NODE_FLAGS=...)
 *
 * Internally: `bench/s3xml-memory.ts export DB FILE` and `... import FILE DB` are the children.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportRecords, importRecords } from '../src/s3xml/index.js';
import { openStore } from '../src/open.js';
import { fmt, seconds, syntheticDatabase } from './s3xml-support.js';

const [mode, from, to] = process.argv.slice(2);

if (mode === 'export' || mode === 'import') {
  let count = 0;
  const s = await seconds(async () => {
    if (mode === 'export') {
      const store = await openStore(`sqlite:${from}`, { migrate: false });
      const out = createWriteStream(to!);
      count = (await exportRecords(store, { format: 's3xml' }, out)).count;
      out.end();
      await finished(out);
      await store.close();
    } else {
      const store = await openStore(`sqlite:${to}`);
      count = (await importRecords(store, createReadStream(from!), { format: 's3xml' })).records;
      await store.close();
    }
  });
  // resourceUsage().maxRSS is in kilobytes: the peak of this whole process.
  const m = process.memoryUsage();
  console.log(JSON.stringify({ mode, count, seconds: s, maxRssMB: process.resourceUsage().maxRSS / 1024, heapTotalMB: m.heapTotal / 2 ** 20, externalMB: m.external / 2 ** 20 }));
} else {
  const N = Number(process.env.BENCH_N ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-s3xml-mem-'));
  const self = fileURLToPath(import.meta.url);
  // Node flags for the children (e.g. BENCH_NODE_FLAGS=--max-old-space-size=96), to see how much
  // of the peak is the V8 heap's slack rather than live data.
  const FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = (...args: string[]): { count: number; seconds: number; maxRssMB: number } => {
    const r = spawnSync(process.execPath, [...FLAGS, '--import', 'tsx', self, ...args], { encoding: 'utf8', env: { ...process.env, TIDEMARK_LOG_LEVEL: 'warn' } });
    if (r.status !== 0) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { count: number; seconds: number; maxRssMB: number };
  };
  try {
    const source = join(dir, 'source.db');
    await syntheticDatabase(source, N);
    const xml = join(dir, 'records.xml');
    const ex = child('export', source, xml);
    const im = child('import', xml, join(dir, 'target.db'));
    console.log(`Peak memory (max RSS of the child process) with ${fmt(N)} records${FLAGS.length ? ` (node ${FLAGS.join(' ')})` : ''}`);
    console.log(`  export to S3XML (${fmt(statSync(xml).size / 1e6)} MB, ${fmt(ex.count)} top-level records): ${fmt(ex.maxRssMB, 1)} MB in ${fmt(ex.seconds, 1)} s  (goal: under 200 MB)`);
    console.log(`  import from S3XML (${fmt(im.count)} records): ${fmt(im.maxRssMB, 1)} MB in ${fmt(im.seconds, 1)} s  (goal: under 200 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
