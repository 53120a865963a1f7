/**
 * File bundle benchmark: a bundle of 100,000 changed records (synthetic hospitals, beds, status,
 * locations, organisations). Prints its size, and the time to export and to import it, each
 * against a reference measured in the same run:
 *   size   vs the same pages as uncompressed JSON lines (what the bundle compresses);
 *   export vs reading the same changes out of the store's change feed, nothing else;
 *   import vs storing the same versions with Writer.applyVersions in one transaction (no sync
 *          rules, no cursor, no validation): the floor for any import.
 * Medians of several runs.
 *
 *   node --import tsx bench/bundle.ts [--records 100000] [--runs 3] [--pg postgres://...]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import knexFactory from 'knex';
import { randomBytes } from 'node:crypto';
import type { RecordVersion, Store } from '../src/store/index.js';

// Quiet logs unless asked for; set before the modules that create their loggers are loaded.
process.env.TIDEMARK_LOG_LEVEL ??= 'warn';
const { openStore } = await import('../src/open.js');
const { Peers, syncableResources } = await import('../src/sync/peers.js');
const { exportBundle } = await import('../src/transports/bundle/export.js');
const { importBundle } = await import('../src/transports/bundle/import.js');
const { readBundle } = await import('../src/transports/bundle/format.js');
const { populate } = await import('../samples/synthetic.js');
const { values } = parseArgs({ options: { records: { type: 'string' }, runs: { type: 'string' }, pg: { type: 'string' } } });
const RECORDS = Number(values.records ?? 100_000);
const RUNS = Number(values.runs ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-bundle-'));
const pgDatabases: string[] = [];

async function freshUrl(name: string): Promise<string> {
  if (!values.pg) return `sqlite:${join(dir, `${name}-${randomBytes(3).toString('hex')}.db`)}`;
  const db = `tm_bench_${randomBytes(5).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: values.pg, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${db}`);
  await admin.destroy();
  pgDatabases.push(db);
  const u = new URL(values.pg);
  u.pathname = `/${db}`;
  return u.toString();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const mb = (n: number): string => `${(n / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const backend = values.pg ? 'PostgreSQL' : 'SQLite';
  process.stderr.write(`populating ${RECORDS} records on ${backend}...\n`);
  const a = await openStore(await freshUrl('a'), { instanceName: 'bench-a' });
  await populate(a, RECORDS, 7);
  const token = randomBytes(24).toString('base64url');
  const receivers: Store[] = [];
  const newReceiver = async (): Promise<Store> => {
    const b = await openStore(await freshUrl('b'), { instanceName: 'bench-b' });
    await new Peers(b).save({ uuid: a.instance.uuid, name: 'bench-a', token });
    await new Peers(a).save({ uuid: b.instance.uuid, name: 'bench-b', token });
    receivers.push(b);
    return b;
  };

  // Reference for export: the same changes read out of the change feed, pages of 1000.
  const readTimes: number[] = [];
  let fed: RecordVersion[] = [];
  for (let i = 0; i < RUNS; i++) {
    fed = [];
    readTimes.push(
      await ms(async () => {
        for (const r of syncableResources(a.registry)) {
          let after = 0;
          for (;;) {
            const page = await a.changes(r, { after, limit: 1000 });
            for (const rec of page.records) {
              const { id: _id, seq: _seq, ...v } = rec;
              fed.push(v);
            }
            after = page.last;
            if (!page.more) break;
          }
        }
      }),
    );
  }

  const b0 = await newReceiver();
  const exportTimes: number[] = [];
  let bundle = await exportBundle(a, { peer: b0.instance.uuid });
  for (let i = 0; i < RUNS; i++) exportTimes.push(await ms(async () => (bundle = await exportBundle(a, { peer: b0.instance.uuid }))));
  const records = bundle.header.body.records;
  const raw = gunzipSync(readBundle(bundle.bytes).body).length;

  const importTimes: number[] = [];
  let applied = 0;
  for (let i = 0; i < RUNS; i++) {
    const b = i === 0 ? b0 : await newReceiver();
    const forB = i === 0 ? bundle : await exportBundle(a, { peer: b.instance.uuid });
    importTimes.push(await ms(async () => (applied = (await importBundle(b, forB.bytes)).applied)));
  }

  // Reference for import: the same versions written straight into a fresh store.
  const writeTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = await openStore(await freshUrl('c'));
    receivers.push(c);
    const order = c.registry.dependencyOrder();
    const sorted = [...fed].sort((x, y) => order.indexOf(x.resource) - order.indexOf(y.resource));
    writeTimes.push(await ms(() => c.transaction(async (w) => {
      for (let j = 0; j < sorted.length; j += 5000) await w.applyVersions(sorted.slice(j, j + 5000));
    })));
  }

  const ex = median(exportTimes);
  const im = median(importTimes);
  const rd = median(readTimes);
  const wr = median(writeTimes);
  const lines = [
    `File bundle of ${records} changed records (${backend}, Node ${process.version}, medians of ${RUNS} runs)`,
    `  size:   ${mb(bundle.bytes.length)} = ${(bundle.bytes.length / records).toFixed(1)} bytes/record; uncompressed pages ${mb(raw)} (reference) -> ratio ${(bundle.bytes.length / raw).toFixed(3)}`,
    `  export: ${(ex / 1000).toFixed(2)} s = ${Math.round(records / (ex / 1000))} records/s; reading the change feed alone ${(rd / 1000).toFixed(2)} s (reference) -> ${(ex / rd).toFixed(2)}x`,
    `  import: ${(im / 1000).toFixed(2)} s = ${Math.round(records / (im / 1000))} records/s (${applied} applied); Writer.applyVersions alone ${(wr / 1000).toFixed(2)} s (reference) -> ${(im / wr).toFixed(2)}x`,
    `  runs: export ${exportTimes.map((t) => (t / 1000).toFixed(2)).join(' ')} s; import ${importTimes.map((t) => (t / 1000).toFixed(2)).join(' ')} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await a.close();
  for (const s of receivers) await s.close();
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (values.pg && pgDatabases.length) {
    const admin = knexFactory({ client: 'pg', connection: values.pg, pool: { min: 0, max: 1 } });
    for (const db of pgDatabases) await admin.raw(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.destroy();
  }
}
