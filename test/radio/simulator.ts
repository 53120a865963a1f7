import { createServer, type Server, type Socket } from 'node:net';
import { KISS_DATA, KissDecoder, kissEncode } from '../../src/transports/radio/kiss.js';

/**
 * A simulated radio channel between two TNCs, each offering KISS over TCP on 127.0.0.1 like Dire
 * Wolf does, so that tests and benchmarks run the real transfer code over real sockets.
 *
 * The channel is one half-duplex medium with perfect carrier sense: a frame waits while the other
 * station transmits, occupies the channel for (length + HDLC overhead) * 8 / bitrate, and a new
 * transmission (key-up, or a turn-around to the other station) first costs `txDelayMs`. Frames are
 * lost with probability `loss`, get bits flipped with probability `corruption` (and are still
 * delivered, to exercise the receiver's checks), and are all lost while the link is dropped.
 */
export interface LinkOptions {
  bitrate: number;
  latencyMs?: number;
  loss?: number;
  corruption?: number;
  txDelayMs?: number;
  /** HDLC flags and FCS added by the modem to every frame (bytes). */
  frameOverhead?: number;
  seed?: number;
}

export interface SideStats {
  frames: number;
  bytes: number;
  lost: number;
  corrupted: number;
}

/** Small seeded PRNG (mulberry32): the same seed gives the same losses. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class LinkSimulator {
  readonly opts: Required<LinkOptions>;
  readonly ports: [number, number] = [0, 0];
  readonly stats: [SideStats, SideStats] = [
    { frames: 0, bytes: 0, lost: 0, corrupted: 0 },
    { frames: 0, bytes: 0, lost: 0, corrupted: 0 },
  ];
  /** Sees every frame put on the air (tests use it to watch the protocol). */
  tap: ((side: 0 | 1, data: Uint8Array, lost: boolean) => void) | null = null;
  /** Total time the channel carried a signal (ms). */
  airtimeMs = 0;
  private readonly servers: Server[] = [];
  private readonly clients: [Set<Socket>, Set<Socket>] = [new Set(), new Set()];
  private readonly timers = new Set<NodeJS.Timeout>();
  private busyUntil = 0;
  private lastSide = -1;
  private deadFrom = 0;
  private deadUntil = 0;
  private readonly rand: () => number;

  constructor(opts: LinkOptions) {
    this.opts = { latencyMs: 0, loss: 0, corruption: 0, txDelayMs: 0, frameOverhead: 4, seed: 1, ...opts };
    this.rand = seededRandom(this.opts.seed);
  }

  async start(): Promise<this> {
    for (const side of [0, 1] as const) {
      const server = createServer((socket) => this.attach(side, socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const addr = server.address();
      if (addr && typeof addr === 'object') this.ports[side] = addr.port;
      this.servers.push(server);
    }
    return this;
  }

  /** Loss probability can change mid-run (a fading path). */
  setLoss(p: number): void {
    this.opts.loss = p;
  }

  /** Nothing gets through for `ms` (the path fades out, a station loses power). */
  dropFor(ms: number): void {
    const now = performance.now();
    if (now > this.deadUntil) this.deadFrom = now;
    this.deadUntil = Math.max(this.deadUntil, now + ms);
  }

  /** Closes the TCP connections of one side's TNC (or both): the host has to reconnect. */
  disconnect(side?: 0 | 1): void {
    for (const s of side === undefined ? [0, 1] : [side]) for (const c of this.clients[s]!) c.destroy();
  }

  bytesOnAir(): number {
    return this.stats[0].bytes + this.stats[1].bytes;
  }

  private attach(side: 0 | 1, socket: Socket): void {
    socket.setNoDelay(true);
    this.clients[side].add(socket);
    const decoder = new KissDecoder((f) => {
      if (f.command === KISS_DATA) this.transmit(side, f.data);
    });
    socket.on('data', (d: Buffer) => decoder.push(d));
    socket.on('error', () => {});
    socket.on('close', () => this.clients[side].delete(socket));
  }

  /** Resolves when every frame put on the air so far has arrived (or been lost). */
  async settled(): Promise<void> {
    while (this.timers.size) await new Promise((r) => setTimeout(r, 20));
  }

  /** Puts a frame on the air as if `side`'s station had sent it (a replay, an intruder). */
  inject(side: 0 | 1, data: Uint8Array): void {
    this.transmit(side, data);
  }

  private dead(start: number, end: number): boolean {
    return this.deadFrom < end && this.deadUntil > start;
  }

  private transmit(side: 0 | 1, data: Uint8Array): void {
    const now = performance.now();
    const st = this.stats[side];
    st.frames++;
    st.bytes += data.length;
    let start = Math.max(now, this.busyUntil);
    if (start > this.busyUntil || this.lastSide !== side) start += this.opts.txDelayMs;
    const air = ((data.length + this.opts.frameOverhead) * 8 * 1000) / this.opts.bitrate;
    const end = start + air;
    this.airtimeMs += end - start;
    this.busyUntil = end;
    this.lastSide = side;
    const lost = this.dead(start, end) || this.rand() < this.opts.loss;
    this.tap?.(side, data, lost);
    if (lost) {
      st.lost++;
      return;
    }
    let out = data;
    if (this.rand() < this.opts.corruption) {
      st.corrupted++;
      out = Uint8Array.from(data);
      const flips = 1 + Math.floor(this.rand() * 3);
      for (let i = 0; i < flips; i++) {
        const bit = Math.floor(this.rand() * out.length * 8);
        out[bit >> 3]! ^= 1 << (bit & 7);
      }
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      // A path that died while the frame was in the air loses it too.
      if (this.dead(start, end)) {
        st.lost++;
        return;
      }
      const frame = kissEncode(out, 0);
      for (const c of this.clients[side === 0 ? 1 : 0]) c.write(frame);
    }, end + this.opts.latencyMs - now);
    this.timers.add(t);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.disconnect();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
