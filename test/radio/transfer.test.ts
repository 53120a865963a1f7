import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { logger } from '../../src/log.js';
import { TidemarkError } from '../../src/errors.js';
import { ax25Header, parseCallsign } from '../../src/transports/radio/ax25.js';
import { decodeFrame, encodeFrame, Refusal, type AckMessage } from '../../src/transports/radio/frames.js';
import { RadioRefusedError } from '../../src/transports/radio/session.js';
import { CALL_A, CALL_B, stationPair } from './pair.js';

logger.level = process.env.TIDEMARK_LOG_LEVEL ?? 'silent';

test('payloads of every size arrive exactly once and intact over a lossy, corrupting channel', async () => {
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0.15, corruption: 0.1, seed: 3 });
  try {
    const got: Buffer[] = [];
    let largest = 0;
    pair.sim.tap = (_side, frame) => {
      largest = Math.max(largest, frame.length);
    };
    pair.b.session.onPayload((p) => {
      got.push(Buffer.from(p));
    });
    const sizes = [0, 1, 150, 231, 232, 700, 6000];
    const sent = sizes.map((n) => randomBytes(n));
    for (const p of sent) await pair.a.session.send(p);
    assert.deepStrictEqual(got, sent);
    assert.ok(pair.sim.stats[0].lost + pair.sim.stats[1].lost > 0, 'the channel lost frames');
    assert.ok(pair.sim.stats[0].corrupted + pair.sim.stats[1].corrupted > 0, 'the channel damaged frames');
    assert.ok(pair.b.session.stats.framesDropped + pair.a.session.stats.framesDropped > 0, 'damaged frames were dropped');
    for (const f of [pair.a.session.stats, pair.b.session.stats]) assert.ok(f.bytesSent > 0);
    // Every frame handed to a TNC, either way, respects the 256-byte limit, and full frames are used.
    assert.equal(largest, 256);
  } finally {
    await pair.close();
  }
});

test('both directions at once, and a refusal travels back to the sender', async () => {
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, loss: 0.1, seed: 5 });
  try {
    const atA: Buffer[] = [];
    const atB: Buffer[] = [];
    pair.a.session.onPayload((p) => void atA.push(Buffer.from(p)));
    pair.b.session.onPayload((p) => {
      if (p[0] === 0xee) throw new TidemarkError('reset_needed', 'knowledge mismatch');
      atB.push(Buffer.from(p));
    });
    const x = randomBytes(3000);
    const y = randomBytes(2500);
    x[0] = 1;
    await Promise.all([pair.a.session.send(x), pair.b.session.send(y)]);
    assert.deepStrictEqual(atB, [x]);
    assert.deepStrictEqual(atA, [y]);
    const refused = Buffer.alloc(900, 0xee);
    await assert.rejects(pair.a.session.send(refused), (e: unknown) => e instanceof RadioRefusedError && e.refusal === Refusal.ResetNeeded);
    assert.deepStrictEqual(atB, [x]);
  } finally {
    await pair.close();
  }
});

/** Data chunks that station A put on the air, and the chunks B had acknowledged, as seen on the channel. */
function watch(pair: Awaited<ReturnType<typeof stationPair>>): { sentAfter: (t: number) => number[]; ackedBefore: (t: number) => Set<number> } {
  const data: { at: number; seq: number }[] = [];
  const acks: { at: number; ack: AckMessage }[] = [];
  pair.sim.tap = (side, frame, lost) => {
    const msgs = decodeFrame(frame, 16) ?? [];
    for (const m of msgs) {
      if (side === 0 && m.type === 'data') data.push({ at: performance.now(), seq: m.seq });
      if (side === 1 && m.type === 'ack' && !lost) acks.push({ at: performance.now(), ack: m });
    }
  };
  return {
    sentAfter: (t) => data.filter((d) => d.at > t).map((d) => d.seq),
    ackedBefore: (t) => {
      const held = new Set<number>();
      for (const { at, ack } of acks) {
        if (at > t) continue;
        for (let i = 0; i < ack.contiguous; i++) held.add(i);
        for (let i = 0; i < ack.bitmap.length * 8; i++) if (ack.bitmap[i >> 3]! & (1 << (i & 7))) held.add(ack.contiguous + 1 + i);
      }
      return held;
    },
  };
}

test('the TNC connection drops mid-transfer: the sender reconnects and resumes without resending acknowledged chunks', async () => {
  const pair = await stationPair({ bitrate: 19_200, latencyMs: 5, loss: 0.05, seed: 7 }, { window: 8 });
  try {
    const w = watch(pair);
    const got: Buffer[] = [];
    pair.b.session.onPayload((p) => void got.push(Buffer.from(p)));
    const payload = randomBytes(12_000); // ~54 chunks, 7 bursts
    const sending = pair.a.session.send(payload);
    let dropAt = 0;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (w.ackedBefore(performance.now()).size >= 20) {
          clearInterval(check);
          dropAt = performance.now();
          pair.sim.disconnect(0);
          resolve();
        }
      }, 5);
    });
    await sending;
    assert.deepStrictEqual(got, [payload]);
    const acked = w.ackedBefore(dropAt);
    const resent = w.sentAfter(dropAt + 50).filter((s) => acked.has(s));
    assert.deepStrictEqual(resent, [], 'no acknowledged chunk went on the air again');
    assert.ok(pair.a.tnc.connected, 'reconnected to the TNC');
  } finally {
    await pair.close();
  }
});

test('the channel goes dead for a while: the transfer backs off, then resumes and completes', async () => {
  const pair = await stationPair({ bitrate: 19_200, latencyMs: 5, seed: 9 }, { window: 8 });
  try {
    const w = watch(pair);
    const got: Buffer[] = [];
    pair.b.session.onPayload((p) => void got.push(Buffer.from(p)));
    const payload = randomBytes(8_000);
    const sending = pair.a.session.send(payload);
    while (w.ackedBefore(performance.now()).size < 8) await new Promise((r) => setTimeout(r, 5));
    const dropAt = performance.now();
    pair.sim.dropFor(2_000);
    await sending;
    assert.deepStrictEqual(got, [payload]);
    const acked = w.ackedBefore(dropAt);
    assert.ok(acked.size > 0);
    assert.deepStrictEqual(w.sentAfter(dropAt + 50).filter((s) => acked.has(s)), []);
    assert.ok(pair.a.session.stats.timeouts > 0, 'the sender noticed the silence');
  } finally {
    await pair.close();
  }
});

test('replayed, foreign and forged frames are dropped and never applied', async () => {
  const pair = await stationPair({ bitrate: 38_400, latencyMs: 5, seed: 11 });
  try {
    const frames: Uint8Array[] = [];
    pair.sim.tap = (side, f) => {
      if (side === 0) frames.push(Uint8Array.from(f));
    };
    let applied = 0;
    pair.b.session.onPayload(() => void applied++);
    await pair.a.session.send(randomBytes(2_000));
    assert.equal(applied, 1);
    pair.sim.tap = null;

    // The whole transfer replayed later: acknowledged again, applied never.
    for (const f of frames) pair.sim.inject(0, f);
    // The same frames from a station that is not our peer, and addressed to someone else.
    const other = ax25Header(parseCallsign(CALL_B), parseCallsign('INTRDR'));
    const elsewhere = ax25Header(parseCallsign('NOTME'), parseCallsign(CALL_A));
    for (const f of frames) {
      const msgs = decodeFrame(f, 16)!;
      pair.sim.inject(0, encodeFrame(other, msgs.map((m) => (m.type === 'data' ? { ...m, transfer: m.transfer + 1 } : m))));
      pair.sim.inject(0, encodeFrame(elsewhere, msgs.map((m) => (m.type === 'data' ? { ...m, transfer: m.transfer + 2 } : m))));
      // Truncated.
      pair.sim.inject(0, f.subarray(0, f.length - 9));
    }
    await pair.sim.settled();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(applied, 1);
    assert.ok(pair.b.session.stats.framesDropped >= frames.length * 3);
  } finally {
    await pair.close();
  }
});
