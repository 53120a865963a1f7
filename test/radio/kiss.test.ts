import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ax25Header, formatCallsign, parseAx25, parseCallsign } from '../../src/transports/radio/ax25.js';
import { decodeFrame, encodeFrame, type Message } from '../../src/transports/radio/frames.js';
import { FEND, FESC, KissDecoder, kissEncode, type KissFrame } from '../../src/transports/radio/kiss.js';

function decodeAll(stream: Uint8Array, pieces: number[]): KissFrame[] {
  const out: KissFrame[] = [];
  const d = new KissDecoder((f) => out.push(f));
  let at = 0;
  for (const n of pieces) {
    d.push(stream.subarray(at, at + n));
    at += n;
  }
  d.push(stream.subarray(at));
  return out;
}

test('KISS frames survive escaping and arbitrary TCP segmentation', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 0, max: 15 }),
      fc.array(fc.integer({ min: 0, max: 50 })),
      (frames, port, pieces) => {
        const stream = Buffer.concat(frames.map((f) => kissEncode(f, port)));
        const got = decodeAll(stream, pieces);
        assert.deepStrictEqual(got.map((f) => Buffer.from(f.data)), frames.map((f) => Buffer.from(f)));
        assert.ok(got.every((f) => f.port === port && f.command === 0));
      },
    ),
  );
  const esc = kissEncode(Uint8Array.of(FEND, FESC, 1), 2);
  assert.deepStrictEqual([...esc], [0xc0, 0x20, 0xdb, 0xdc, 0xdb, 0xdd, 1, 0xc0]);
});

test('a KISS frame with a bad escape or over the size limit is dropped whole, the next one still arrives', () => {
  const bad = Uint8Array.of(FEND, 0x00, 1, FESC, 0x42, 2, FEND);
  const long = kissEncode(new Uint8Array(100).fill(7));
  const good = kissEncode(Uint8Array.of(9, 9));
  const out: KissFrame[] = [];
  const d = new KissDecoder((f) => out.push(f), 50);
  d.push(Buffer.concat([bad, long, good]));
  assert.deepStrictEqual(out.map((f) => [...f.data]), [[9, 9]]);
});

test('AX.25 UI headers carry both callsigns', () => {
  const h = ax25Header(parseCallsign('n0call-7'), parseCallsign('TM1ABC'));
  const f = parseAx25(Uint8Array.from([...h, 1, 2, 3]));
  assert.ok(f);
  assert.equal(formatCallsign(f.to), 'N0CALL-7');
  assert.equal(formatCallsign(f.from), 'TM1ABC');
  assert.deepStrictEqual([...f.info], [1, 2, 3]);
  assert.throws(() => parseCallsign('TOOLONGCALL'), /not a callsign/);
});

test('transfer frames: CRC over header and messages, any flipped bit or cut makes the frame invalid', () => {
  const header = ax25Header(parseCallsign('A1'), parseCallsign('B2'));
  const msgs: Message[] = [
    { type: 'ack', transfer: 7, complete: false, refused: 0, contiguous: 3, bitmap: Uint8Array.of(5) },
    { type: 'poll', transfer: 9, total: 300 },
    { type: 'data', transfer: 0xdeadbeef, seq: 2, total: 5, remaining: 1, chunk: Uint8Array.of(1, 2, 3) },
  ];
  const frame = encodeFrame(header, msgs);
  assert.deepStrictEqual(decodeFrame(frame, header.length), msgs);
  const single: Message[] = [{ type: 'data', transfer: 1, seq: 0, total: 1, remaining: 0, chunk: Uint8Array.of(4) }];
  assert.deepStrictEqual(decodeFrame(encodeFrame(header, single), header.length), single);
  for (let bit = 0; bit < frame.length * 8; bit++) {
    const bad = Uint8Array.from(frame);
    bad[bit >> 3]! ^= 1 << (bit & 7);
    assert.equal(decodeFrame(bad, header.length), null, `bit ${bit}`);
  }
  for (let cut = 0; cut < frame.length; cut++) assert.equal(decodeFrame(frame.subarray(0, cut), header.length), null);
});
