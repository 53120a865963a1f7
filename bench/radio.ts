/**
 * Radio carrier benchmarks (issue 5): bytes on air per record and sync time over a simulated
 * 1200 bit/s channel with frame loss, through the real KISS-over-TCP code path.
 *
 *   node --import tsx bench/radio.ts [--runs 7] [--loss 0.1] [--bitrate 1200] [--txdelay 100] [--latency 50]
 *
 * Reference measured in the same run: the same records as JSON, deflated with the same preset
 * dictionary (the "deflate + dict" anchor of peers-links-and-anchors.md §4.2).
 */
import { deflateRawSync } from 'node:zlib';
import { logger } from '../src/log.js';
import { registry } from '../src/registry/registry.js';
import type { RecordVersion } from '../src/store/types.js';
import { encodeChanges } from '../src/transports/radio/codec.js';
import { codebookFor } from '../src/transports/radio/dictionary.js';
import { hospitalStatuses, INSTANCES, linkKey, statusUpdates } from '../test/radio/fixtures.js';
import { MemorySite } from '../test/radio/memory-site.js';
import { stationPair, type Pair } from '../test/radio/pair.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 7);
const LOSS = arg('loss', 0.1);
const BITRATE = arg('bitrate', 1200);
const TXDELAY = arg('txdelay', 100);
const LATENCY = arg('latency', 50);
const [A, B] = [INSTANCES[0]!, INSTANCES[1]!];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f1 = (n: number): string => n.toFixed(1);

/** Two sites that already synced `n` hospital statuses once (so updates travel as deltas). */
async function primedSites(n: number, seed: number): Promise<{ a: MemorySite; b: MemorySite; base: RecordVersion[] }> {
  // The link knowledge does not depend on the channel: prime over a fast one.
  const pair = await stationPair({ bitrate: 1_000_000 }, { window: 64 });
  const a = new MemorySite(A);
  const b = new MemorySite(B);
  const base = hospitalStatuses(n, seed, A);
  a.change(base);
  await Promise.all([a.sync(pair.a.session, B, 'initiator'), b.sync(pair.b.session, A, 'responder')]);
  await pair.a.session.linger(200);
  await pair.close();
  return { a, b, base };
}

/** One sync A <-> B; returns bytes on air (both directions) and the payload bytes. */
async function measuredSync(pair: Pair, a: MemorySite, b: MemorySite): Promise<{ air: number; payload: number; ms: number; frames: number }> {
  await pair.sim.settled();
  const air0 = pair.sim.bytesOnAir();
  const frames0 = pair.sim.stats[0].frames + pair.sim.stats[1].frames;
  const t0 = performance.now();
  const [ra, rb] = await Promise.all([a.sync(pair.a.session, B, 'initiator'), b.sync(pair.b.session, A, 'responder')]);
  const ms = performance.now() - t0;
  await pair.a.session.linger(300);
  await pair.sim.settled();
  return { air: pair.sim.bytesOnAir() - air0, payload: ra.payloadBytesSent + rb.payloadBytesSent, ms, frames: pair.sim.stats[0].frames + pair.sim.stats[1].frames - frames0 };
}

function reference(records: RecordVersion[]): { json: number; jsonDict: number } {
  const json = Buffer.from(JSON.stringify(records));
  return { json: json.length, jsonDict: deflateRawSync(json, { dictionary: codebookFor(registry).dictionary, level: 9 }).length };
}

async function sizes(): Promise<void> {
  // Byte counts do not depend on the bit rate: measure them on a fast, lossless channel.
  const pair = await stationPair({ bitrate: 1_000_000 }, { window: 64 });
  try {
    const first = hospitalStatuses(100, 1, A);
    const a0 = new MemorySite(A);
    const b0 = new MemorySite(B);
    a0.change(first);
    const initial = await measuredSync(pair, a0, b0);
    const ref0 = reference(first);

    const upd = statusUpdates(first, 2, A);
    a0.change(upd);
    const batch = await measuredSync(pair, a0, b0);
    const ref1 = reference(upd);

    const one = { ...upd[7]!, data: { ...upd[7]!.data, ems_status: 3 }, version: { ...upd[7]!.version, [A]: upd[7]!.version[A]! + 1 }, hlc: `${Number(upd[7]!.hlc.slice(0, 13)) + 60_000}.000000` };
    one.modified_on = new Date(Number(one.hlc.slice(0, 13))).toISOString();
    const singlePayload = encodeChanges(registry, [one], a0.knowledge.outgoing, { from: A, to: B, key: linkKey(A, B), final: true }).bytes.length;
    a0.change([one]);
    const single = await measuredSync(pair, a0, b0);

    const nothing = await measuredSync(pair, a0, b0);

    console.log('radio encoding and bytes on air (lossless channel, AX.25 UI frames of <= 256 bytes)');
    console.log(`  100 hospital status records, first copy : payload ${f1(initial.payload / 100)} B/record, on air ${f1(initial.air / 100)} B/record (${initial.frames} frames, both directions)`);
    console.log(`      reference JSON ${f1(ref0.json / 100)} B/record, JSON deflate+dict ${f1(ref0.jsonDict / 100)} B/record`);
    console.log(`  100 hospital status updates            : payload ${f1(batch.payload / 100)} B/record, on air ${f1(batch.air / 100)} B/record (goal <= 40) (${batch.frames} frames)`);
    console.log(`      reference JSON ${f1(ref1.json / 100)} B/record, JSON deflate+dict ${f1(ref1.jsonDict / 100)} B/record -> ${f1(ref1.jsonDict / batch.air)}x more than on air`);
    console.log(`  single-field update                    : payload ${singlePayload} B, whole sync on air ${single.air} B both ways (goal <= 30 B for the update) (${single.frames} frames)`);
    console.log(`  sync with nothing to exchange          : on air ${nothing.air} B both ways (goal <= 100) (${nothing.frames} frames)`);
  } finally {
    await pair.close();
  }
}

async function timed(firstCopy: boolean, runs: number): Promise<void> {
  const what = firstCopy ? '100 new hospital status records (first copy)' : '100 hospital status updates';
  console.log(`\n${what} over ${BITRATE} bit/s, ${LOSS * 100}% frame loss, TXDELAY ${TXDELAY} ms, latency ${LATENCY} ms (${runs} runs)`);
  const rows: { ms: number; payloadLimit: number; airLimit: number; air: number; payload: number }[] = [];
  for (let run = 0; run < runs; run++) {
    const pair = await stationPair({ bitrate: BITRATE, loss: LOSS, txDelayMs: TXDELAY, latencyMs: LATENCY, seed: 100 + run });
    try {
      // Prime over the same link without loss, then measure the update round with loss.
      let a: MemorySite;
      let b: MemorySite;
      if (firstCopy) {
        a = new MemorySite(A);
        b = new MemorySite(B);
        a.change(hospitalStatuses(100, 10 + run, A));
      } else {
        const primed = await primedSites(100, 10 + run);
        ({ a, b } = primed);
        a.change(statusUpdates(primed.base, 20 + run, A));
      }
      const m = await measuredSync(pair, a, b);
      const payloadLimit = (m.payload * 8 * 1000) / BITRATE;
      const airLimit = (m.air * 8 * 1000) / BITRATE;
      rows.push({ ms: m.ms, payloadLimit, airLimit, air: m.air, payload: m.payload });
      console.log(
        `  run ${run + 1}: ${f1(m.ms / 1000)} s; payload ${m.payload} B -> limit ${f1(payloadLimit / 1000)} s (ratio ${(m.ms / payloadLimit).toFixed(2)}); on air ${m.air} B in ${m.frames} frames -> ${f1(airLimit / 1000)} s (ratio ${(m.ms / airLimit).toFixed(2)}); lost ${pair.sim.stats[0].lost + pair.sim.stats[1].lost}`,
      );
    } finally {
      await pair.close();
    }
  }
  const ms = median(rows.map((r) => r.ms));
  const pl = median(rows.map((r) => r.payloadLimit));
  const al = median(rows.map((r) => r.airLimit));
  const ratios = rows.map((r) => r.ms / r.payloadLimit);
  console.log(`  median: ${f1(ms / 1000)} s against the link limit for the sync payload ${f1(pl / 1000)} s -> ${(ms / pl).toFixed(2)}x (goal <= 1.5x); against all bytes put on air ${f1(al / 1000)} s -> ${(ms / al).toFixed(2)}x`);
  console.log(`  ratio to the payload limit: mean ${(ratios.reduce((x, y) => x + y, 0) / ratios.length).toFixed(2)}x, worst ${Math.max(...ratios).toFixed(2)}x`);
}

await sizes();
await timed(false, RUNS);
await timed(true, Math.max(1, Math.round(RUNS / 2)));
