/**
 * Export of N records (default 100,000) as S3XML, against the `sqlite3` shell writing the same
 * rows as CSV, measured in the same run; medians of BENCH_RUNS (3).
 *
 *   node --import tsx bench/s3xml-export.ts          (BENCH_N=100000 BENCH_RUNS=3)
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecords } from '../src/s3xml/index.js';
import { openStore } from '../src/open.js';
import { RUNS, cpuLine, exportedTables, fmt, lastCpu, median, seconds, sqlite3, syntheticDatabase } from './s3xml-support.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-s3xml-'));
const db = join(dir, 'source.db');
try {
  await syntheticDatabase(db, N);
  const xml = join(dir, 'export.xml');
  const csv = join(dir, 'export.csv');
  const ours: number[] = [];
  const ref: number[] = [];
  const oursCpu: number[] = [];
  const refCpu: number[] = [];
  // The same rows: every row of every table the export reads (masters and nested components).
  const dump = `.mode csv\n.output ${csv}\n${exportedTables()
    .map((t) => `SELECT * FROM ${t} WHERE tm_seq > 0 AND deleted = 0;`)
    .join('\n')}\n`;
  for (let run = 0; run < RUNS; run++) {
    const store = await openStore(`sqlite:${db}`, { migrate: false });
    ours.push(
      await seconds(async () => {
        const out = createWriteStream(xml);
        await exportRecords(store, { format: 's3xml' }, out);
        out.end();
        await finished(out);
      }),
    );
    oursCpu.push(lastCpu.ours);
    await store.close();
    ref.push(sqlite3(db, dump));
    refCpu.push(lastCpu.sqlite3);
    process.stderr.write(`  run ${run + 1}: S3XML ${ours[run]!.toFixed(3)} s, sqlite3 CSV ${ref[run]!.toFixed(3)} s\n`);
  }
  const [o, r] = [median(ours), median(ref)];
  console.log(`S3XML export of ${fmt(N)} records (SQLite, medians of ${RUNS})`);
  console.log(`  Tidemark exportRecords -> file : ${o.toFixed(3)} s  (${fmt(N / o)} records/s, ${fmt(statSync(xml).size / 1e6, 1)} MB)`);
  console.log(`  sqlite3 shell, same rows as CSV: ${r.toFixed(3)} s  (${fmt(statSync(csv).size / 1e6, 1)} MB)`);
  console.log(`  ratio: ${(o / r).toFixed(2)}x  (goal: at most 2x)`);
  console.log(cpuLine(oursCpu, refCpu));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
