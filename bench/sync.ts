/**
 * Sync throughput against PouchDB replication, measured side by side in one run.
 *
 *   node --import tsx bench/sync.ts            (BENCH_N=100000 BENCH_RUNS=3 BENCH_BIG=1000000)
 *
 * 1. N changed records pushed from one Tidemark instance to another over loopback HTTP
 *    (the receiver is `tidemark serve` in its own process, SQLite on both sides), against
 *    PouchDB 9 replicating the same N documents to express-pouchdb in its own process
 *    (memory adapter both sides, batch_size 1000: the faster of the reference's two settings).
 * 2. Bytes on the wire per changed record (1,000 records updated after the initial sync).
 * 3. A sync with nothing to exchange on a BIG-record database: round trips and milliseconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveInstance, type Instance } from '../test/sync/processes.js';
import { openStore } from '../src/open.js';
import { newRecordUuid, type Store } from '../src/store/index.js';
import { createInvite, Peers } from '../src/sync/index.js';
import { addHttpPeer, syncOverHttp } from '../src/transports/http/index.js';

process.env.TIDEMARK_LOG_LEVEL ??= 'warn';
const N = Number(process.env.BENCH_N ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG = Number(process.env.BENCH_BIG ?? 1_000_000);
const CHANGED = 1000;
const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function hospital(i: number): Record<string, unknown> {
  return {
    name: `Hospital ${i}`,
    code: `H-${String(i).padStart(6, '0')}`,
    facility_type: 1,
    total_beds: 100 + (i % 50),
    available_beds: i % 37,
    phone_exchange: `+977-1-${String(4000000 + i)}`,
    email: `hospital${i}@example.org`,
    comments: 'Status reported by the district health office.',
  };
}

async function seed(store: Store, n: number, log = false): Promise<string[]> {
  const def = store.registry.get('med_hospital');
  const uuids: string[] = [];
  for (let start = 0; start < n; start += 20_000) {
    const items: { uuid: string; data: never }[] = [];
    for (let i = start; i < Math.min(n, start + 20_000); i++) {
      const uuid = newRecordUuid();
      uuids.push(uuid);
      const data: Record<string, unknown> = {};
      for (const f of def.fields) data[f.name] = null;
      items.push({ uuid, data: { ...data, ...hospital(i) } as never });
    }
    await store.transaction((w) => w.insertLocal(def, items));
    if (log) process.stderr.write(`\r  seeded ${fmt(Math.min(n, start + 20_000))}`);
  }
  if (log) process.stderr.write('\n');
  return uuids;
}

async function pairFresh(a: Store, kind: string): Promise<{ b: Store; B: Instance }> {
  const db = `sqlite:${join(dir, `${kind}-${Date.now()}.db`)}`;
  const b = await openStore(db, { instanceName: kind });
  const B = await serveInstance(db);
  const { code } = await createInvite(b);
  await addHttpPeer(a, B.url, { code });
  return { b, B };
}

async function tidemark(): Promise<{ ms: number[]; bytesPerRecord: number; changedBytes: number; changedMs: number; trips: number; changedGzipBytes: number }> {
  const a = await openStore(`sqlite:${join(dir, 'a.db')}`, { instanceName: 'bench-a' });
  const uuids = await seed(a, N);
  const ms: number[] = [];
  let bytesPerRecord = 0;
  let changedBytes = 0;
  let changedMs = 0;
  let changedGzipBytes = 0;
  let trips = 0;
  for (let run = 0; run < RUNS; run++) {
    const { b, B } = await pairFresh(a, `b${run}`);
    const t0 = performance.now();
    const rep = await syncOverHttp(a, b.instance.uuid, { limit: 1000 });
    ms.push(performance.now() - t0);
    if (rep.result !== 'success' || (await b.count('med_hospital')) !== N) throw new Error(`sync failed: ${rep.message}`);
    bytesPerRecord = rep.bytes / N;
    trips = rep.roundTrips;
    if (run === RUNS - 1) {
      // 1,000 records changed after the initial sync: what goes over the wire per record.
      await a.transaction(async (w) => {
        for (const u of uuids.slice(0, CHANGED)) await w.update('med_hospital', u, { available_beds: 7 }, { checkReferences: false });
      });
      const t1 = performance.now();
      const r2 = await syncOverHttp(a, b.instance.uuid);
      changedMs = performance.now() - t1;
      changedBytes = r2.bytes / CHANGED;
      // The same once more with gzip, as between sites that are not on one machine.
      await a.transaction(async (w) => {
        for (const u of uuids.slice(0, CHANGED)) await w.update('med_hospital', u, { available_beds: 8 }, { checkReferences: false });
      });
      process.env.TIDEMARK_HTTP_GZIP = '1';
      const r3 = await syncOverHttp(a, b.instance.uuid);
      delete process.env.TIDEMARK_HTTP_GZIP;
      changedGzipBytes = r3.bytes / CHANGED;
    }
    await new Peers(a).remove(b.instance.uuid);
    await B.stop();
    await b.close();
    process.stderr.write(`  tidemark run ${run + 1}: ${fmt(ms[ms.length - 1]!)} ms\n`);
  }
  await a.close();
  return { ms, bytesPerRecord, changedBytes, changedMs, trips, changedGzipBytes };
}

async function pouchdb(): Promise<{ ms: number[]; bytesPerRecord: number; changedBytes: number; changedMs: number }> {
  const require = createRequire(import.meta.url);
  const PouchDB = require('pouchdb') as { plugin(p: unknown): void; defaults(o: unknown): new (name: string) => PouchLike } & (new (name: string) => PouchLike);
  PouchDB.plugin(require('pouchdb-adapter-memory'));
  const MemPouch = PouchDB.defaults({ adapter: 'memory' });
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sync-pouchdb-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const bytesNow = async (): Promise<number> => ((await (await fetch(`${url}/_bench_bytes`)).json()) as { bytes: number }).bytes;
  const local = new MemPouch('source');
  for (let start = 0; start < N; start += 10_000) {
    const docs = [];
    for (let i = start; i < Math.min(N, start + 10_000); i++) docs.push({ _id: `urn:uuid:${String(i).padStart(12, '0')}`, ...hospital(i) });
    await local.bulkDocs(docs);
  }
  const ms: number[] = [];
  let bytesPerRecord = 0;
  let changedBytes = 0;
  let changedMs = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      // The remote through PouchDB's HTTP adapter (a defaults() constructor would keep it in memory).
      const target = new PouchDB(`${url}/target${run}`);
      const b0 = await bytesNow();
      const t0 = performance.now();
      const r = await local.replicate.to(target, { batch_size: 1000 });
      ms.push(performance.now() - t0);
      if (r.docs_written !== N) throw new Error(`PouchDB wrote ${r.docs_written}`);
      bytesPerRecord = ((await bytesNow()) - b0) / N;
      if (run === RUNS - 1) {
        const changed = await local.allDocs({ include_docs: true, limit: CHANGED });
        await local.bulkDocs(changed.rows.map((row) => ({ ...row.doc, available_beds: 7 })));
        const b1 = await bytesNow();
        const t1 = performance.now();
        await local.replicate.to(target, { batch_size: 1000 });
        changedMs = performance.now() - t1;
        changedBytes = ((await bytesNow()) - b1) / CHANGED;
      }
      process.stderr.write(`  pouchdb run ${run + 1}: ${fmt(ms[ms.length - 1]!)} ms\n`);
    }
  } finally {
    server.kill();
  }
  return { ms, bytesPerRecord, changedBytes, changedMs };
}

interface PouchLike {
  bulkDocs(docs: unknown[]): Promise<unknown>;
  allDocs(o: unknown): Promise<{ rows: { doc: Record<string, unknown> }[] }>;
  replicate: { to(target: PouchLike, o: unknown): Promise<{ docs_written: number }> };
}

async function noop(): Promise<{ ms: number[]; trips: number; initialMs: number }> {
  const a = await openStore(`sqlite:${join(dir, 'big.db')}`, { instanceName: 'big-a' });
  process.stderr.write(`  seeding ${fmt(BIG)} records\n`);
  await seed(a, BIG, true);
  const { b, B } = await pairFresh(a, 'big-b');
  const t0 = performance.now();
  const first = await syncOverHttp(a, b.instance.uuid, { limit: 2000 });
  const initialMs = performance.now() - t0;
  if (first.result !== 'success') throw new Error(String(first.message));
  await syncOverHttp(a, b.instance.uuid);
  const ms: number[] = [];
  let trips = 0;
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    const r = await syncOverHttp(a, b.instance.uuid);
    ms.push(performance.now() - t);
    trips = r.roundTrips;
  }
  await B.stop();
  await b.close();
  await a.close();
  return { ms, trips, initialMs };
}

try {
  process.stderr.write(`Tidemark: push ${fmt(N)} records over loopback HTTP, ${RUNS} runs\n`);
  const t = await tidemark();
  process.stderr.write(`PouchDB: replicate ${fmt(N)} documents over loopback HTTP, ${RUNS} runs\n`);
  const p = await pouchdb();
  const tm = median(t.ms);
  const pm = median(p.ms);
  const lines = [
    '',
    `Initial sync of ${fmt(N)} changed records (median of ${RUNS}):`,
    `  Tidemark  ${fmt(tm)} ms  (${fmt((N / tm) * 1000)} records/s, ${t.trips} requests, ${fmt(t.bytesPerRecord, 1)} B/record)`,
    `  PouchDB   ${fmt(pm)} ms  (${fmt((N / pm) * 1000)} docs/s, batch_size 1000, ${fmt(p.bytesPerRecord, 1)} B/doc)`,
    `  ratio     Tidemark is ${fmt(pm / tm, 2)}x faster (goal >= 10x)`,
    '',
    `${fmt(CHANGED)} records changed after the sync (one field each):`,
    `  Tidemark  ${fmt(t.changedMs)} ms, ${fmt(t.changedBytes, 1)} bytes on the wire per changed record (${fmt(t.changedGzipBytes, 1)} with gzip)`,
    `  PouchDB   ${fmt(p.changedMs)} ms, ${fmt(p.changedBytes, 1)} bytes on the wire per changed doc`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (BIG > 0) {
    process.stderr.write(`No-op sync on a ${fmt(BIG)}-record database\n`);
    const n = await noop();
    process.stdout.write(
      [
        '',
        `Sync with nothing to exchange, ${fmt(BIG)} records on both sides (initial sync took ${fmt(n.initialMs / 1000, 1)} s):`,
        `  median ${fmt(median(n.ms), 2)} ms, min ${fmt(Math.min(...n.ms), 2)} ms, ${n.trips} round trip(s) (goal < 10 ms, 1 round trip)`,
        '',
      ].join('\n'),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
