/**
 * Import of N records (default 100,000) from S3XML into a fresh SQLite database: records per
 * second, against the `sqlite3` shell's `.import` of the same rows as CSV into the same schema,
 * in the same run; medians of BENCH_RUNS (3).
 *
 *   node --import tsx bench/s3xml-import.ts          (BENCH_N=100000 BENCH_RUNS=3)
 */
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRecords, importRecords } from '../src/s3xml/index.js';
import { openStore } from '../src/open.js';
import { RUNS, cpuLine, exportedTables, fmt, lastCpu, median, seconds, sqlite3, syntheticDatabase } from './s3xml-support.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-s3xml-'));
const fresh = (name: string): string => {
  const path = join(dir, name);
  for (const s of ['', '-wal', '-shm']) rmSync(`${path}${s}`, { force: true });
  return path;
};
try {
  const source = join(dir, 'source.db');
  await syntheticDatabase(source, N);
  const xml = join(dir, 'records.xml');
  {
    const store = await openStore(`sqlite:${source}`, { migrate: false });
    const out = createWriteStream(xml);
    await exportRecords(store, { format: 's3xml' }, out);
    out.end();
    await finished(out);
    await store.close();
  }
  // The reference gets the same rows as CSV files and an empty database with the same schema.
  const tables = exportedTables();
  sqlite3(source, `.mode csv\n${tables.map((t) => `.output ${join(dir, `${t}.csv`)}\nSELECT * FROM ${t} WHERE tm_seq > 0;`).join('\n')}\n`);
  const empty = fresh('empty.db');
  await (await openStore(`sqlite:${empty}`)).close();
  const load = `.mode csv\nBEGIN;\n${tables.map((t) => `.import ${join(dir, `${t}.csv`)} ${t}`).join('\n')}\nCOMMIT;\n`;

  const ours: number[] = [];
  const ref: number[] = [];
  const oursCpu: number[] = [];
  const refCpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const target = fresh(`ours-${run}.db`);
    const store = await openStore(`sqlite:${target}`);
    let records = 0;
    ours.push(
      await seconds(async () => {
        records = (await importRecords(store, createReadStream(xml), { format: 's3xml' })).created;
      }),
    );
    oursCpu.push(lastCpu.ours);
    await store.close();
    if (records !== N) throw new Error(`imported ${records} of ${N} records`);
    const csvTarget = fresh(`csv-${run}.db`);
    copyFileSync(empty, csvTarget);
    ref.push(sqlite3(csvTarget, load));
    refCpu.push(lastCpu.sqlite3);
    process.stderr.write(`  run ${run + 1}: S3XML import ${ours[run]!.toFixed(3)} s, sqlite3 .import ${ref[run]!.toFixed(3)} s\n`);
  }
  const [o, r] = [median(ours), median(ref)];
  console.log(`S3XML import of ${fmt(N)} records into a fresh SQLite database (medians of ${RUNS})`);
  console.log(`  Tidemark importRecords (${fmt(statSync(xml).size / 1e6, 1)} MB S3XML): ${o.toFixed(3)} s = ${fmt(N / o)} records/s  (goal: 50,000/s or more)`);
  console.log(`  sqlite3 shell .import of the same rows as CSV: ${r.toFixed(3)} s = ${fmt(N / r)} records/s`);
  console.log(`  ratio: ${(o / r).toFixed(2)}x  (goal: at most 3x)`);
  console.log(cpuLine(oursCpu, refCpu));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
