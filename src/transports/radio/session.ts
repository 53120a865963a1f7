import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { crc32 } from 'node:zlib';
import { coded, type ErrorCode, TidemarkError } from '../../errors.js';
import { logger } from '../../log.js';
import { wallClockMs } from '../../store/clock.js';
import { AX25_HEADER, ax25Header, parseAx25, parseCallsign, sameCall, type Callsign } from './ax25.js';
import { decodeFrame, encodeFrame, FRAME_TRAILER, messageSize, Refusal, varlen, type AckMessage, type DataMessage, type Message } from './frames.js';

/**
 * What the session needs from a TNC connection (KissTnc, or anything that moves frames): `send`,
 * and the events 'frame' (one received frame), 'up' (connected again).
 */
export type FrameLink = Pick<EventEmitter, 'on' | 'off'> & { send(frame: Uint8Array): boolean };

export interface RadioSessionOptions {
  link: FrameLink;
  /** This station's and the peer's callsigns (CALL or CALL-SSID): frames for anyone else are dropped. */
  local: string;
  peer: string;
  /** Channel bit rate: every timeout is derived from it. */
  bitrate: number;
  /** Wrap frames in AX.25 UI headers (what Dire Wolf and hardware TNCs expect). Default true. */
  ax25?: boolean;
  /** Largest frame handed to the TNC, header included. Default 256. */
  frameSize?: number;
  /** Chunks sent in one burst before waiting for an acknowledgement. Default 16. */
  window?: number;
  /** One-way delay allowance beyond air time (TNC queues, audio, repeaters). Default 250 ms. */
  latencyMs?: number;
  /** Transmitter key-up time per transmission (TXDELAY). Default 300 ms. */
  txDelayMs?: number;
  /** A transfer fails after this long without any progress. Default 15 minutes. */
  giveUpMs?: number;
  /** Largest payload accepted from the peer. Default 4 MiB. */
  maxPayload?: number;
}

export interface TransferInfo {
  transfer: number;
  bytes: number;
}

export type PayloadHandler = (payload: Uint8Array, info: TransferInfo) => Promise<void> | void;

export interface SessionStats {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  /** Frames dropped: bad CRC, wrong layout, not for us, not from the peer. */
  framesDropped: number;
  chunksSent: number;
  chunksResent: number;
  polls: number;
  timeouts: number;
}

/** The receiver refused a complete payload; `refusal` says why (Refusal.ResetNeeded: send a reset payload). */
export class RadioRefusedError extends TidemarkError {
  constructor(readonly refusal: Refusal) {
    super(REFUSAL_CODES[refusal] ?? 'refused', `the peer refused the radio payload (${Refusal[refusal] ?? refusal})`);
  }
}

/** The code a sender raises for each refusal its peer sends back. */
const REFUSAL_CODES: Partial<Record<Refusal, ErrorCode>> = {
  [Refusal.ResetNeeded]: 'reset_needed',
  [Refusal.Forbidden]: 'forbidden',
  [Refusal.Unsupported]: 'unsupported',
  [Refusal.Malformed]: 'malformed',
};

interface OutTransfer {
  id: number;
  chunks: Uint8Array[];
  acked: boolean[];
  sentOnce: boolean[];
  complete: boolean;
  refused: number;
  lastProgress: number;
  /** Until then our own burst is still on the air: an acknowledgement cannot cover it yet. */
  onAirUntil: number;
  wake: ((gotAck: boolean) => void) | null;
}

interface InTransfer {
  total: number;
  /** Last time a chunk arrived: transfers abandoned by their sender are forgotten after giveUpMs. */
  touched: number;
  chunks: (Uint8Array | undefined)[];
  count: number;
  delivering: boolean;
  ackTimer: NodeJS.Timeout | null;
}

const COMPLETED_KEPT = 1024;

/**
 * Moves byte payloads reliably over a lossy half-duplex radio channel through a KISS TNC.
 *
 * Sender: cuts the payload into chunks that fill a frame, sends up to `window` of them in one
 * burst (each says how many follow), then waits for a selective acknowledgement (contiguous count
 * plus bitmap) and resends only what is missing. A lost acknowledgement is recovered with a small
 * POLL, never by resending the burst. Timeouts come from the bit rate. When the link drops (TNC
 * connection lost, channel silent) it keeps polling with back-off and resumes from what the
 * receiver holds. `send` resolves once the receiver has applied the payload.
 *
 * Receiver: keeps chunks per transfer id, acknowledges at the end of each burst (or when the
 * burst's air time has passed), hands a complete payload (CRC-checked) to the handler exactly
 * once and remembers finished transfers, so a replayed or late frame is acknowledged again but
 * never applied twice. Frames with a bad CRC, or not between the two configured callsigns, are
 * dropped.
 */
export class RadioSession extends EventEmitter {
  readonly stats: SessionStats = { framesSent: 0, bytesSent: 0, framesReceived: 0, framesDropped: 0, chunksSent: 0, chunksResent: 0, polls: 0, timeouts: 0 };
  private readonly link: FrameLink;
  private readonly local: Callsign;
  private readonly peer: Callsign;
  private readonly header: Uint8Array;
  private readonly frameSize: number;
  private readonly window: number;
  private readonly bitrate: number;
  private readonly latencyMs: number;
  private readonly txDelayMs: number;
  private readonly giveUpMs: number;
  private readonly maxPayload: number;
  private handler: PayloadHandler | null = null;
  private outbox: Message[] = [];
  private flushScheduled = false;
  private readonly incoming = new Map<number, InTransfer>();
  private readonly completed = new Map<number, number>();
  private current: OutTransfer | null = null;
  private sendQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private lastHeard = Date.now();
  /** When a frame from the peer was last heard intact (null: none yet in this session). */
  heardAt: number | null = null;
  private readonly onFrame = (f: Uint8Array): void => this.receive(f);
  private readonly onUp = (): void => this.current?.wake?.(false);

  constructor(opts: RadioSessionOptions) {
    super();
    this.link = opts.link;
    this.local = parseCallsign(opts.local);
    this.peer = parseCallsign(opts.peer);
    this.header = opts.ax25 === false ? new Uint8Array(0) : ax25Header(this.peer, this.local);
    this.frameSize = opts.frameSize ?? 256;
    this.window = Math.min(opts.window ?? 16, 127);
    this.bitrate = opts.bitrate;
    this.latencyMs = opts.latencyMs ?? 250;
    this.txDelayMs = opts.txDelayMs ?? 300;
    this.giveUpMs = opts.giveUpMs ?? 15 * 60_000;
    this.maxPayload = opts.maxPayload ?? 4 * 1024 * 1024;
    if (this.frameSize < this.header.length + 32) throw new TidemarkError('invalid', `radio frame size ${this.frameSize} is too small`);
    this.link.on('frame', this.onFrame);
    this.link.on('up', this.onUp);
  }

  /** Called with each complete payload from the peer; the transfer is acknowledged once it resolves. */
  onPayload(handler: PayloadHandler): void {
    this.handler = handler;
  }

  /** Air time of `bytes` on this channel, in ms (plus 4 bytes of HDLC flags and FCS per frame). */
  airMs(bytes: number, frames = 1): number {
    return ((bytes + 4 * frames) * 8 * 1000) / this.bitrate;
  }

  /** Bytes of payload one frame carries when a payload needs `total` chunks. */
  chunkCapacity(total: number): number {
    const base = this.frameSize - this.header.length - FRAME_TRAILER - 5;
    return total === 1 ? base : base - varlen(total - 1) - varlen(total) - varlen(this.window - 1);
  }

  /** Sends a payload; resolves when the peer has applied it, rejects on refusal or when the link stays dead. */
  send(payload: Uint8Array, opts: { transfer?: number } = {}): Promise<TransferInfo> {
    const run = this.sendQueue.then(() => this.transfer(payload, opts.transfer));
    this.sendQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves once nothing has been heard from the peer for `quietMs` (default: three reply times),
   * so that a side that finished first still answers polls for its last acknowledgement.
   */
  async linger(quietMs = 3 * this.replyWait()): Promise<void> {
    for (;;) {
      const left = this.lastHeard + quietMs - Date.now();
      if (left <= 0 || this.closed) return;
      await new Promise((resolve) => setTimeout(resolve, left));
    }
  }

  close(): void {
    this.closed = true;
    this.link.off('frame', this.onFrame);
    this.link.off('up', this.onUp);
    for (const t of this.incoming.values()) if (t.ackTimer) clearTimeout(t.ackTimer);
    this.current?.wake?.(false);
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- sending ------------------------------------------------------------------------------

  private split(payload: Uint8Array): Uint8Array[] {
    if (payload.length <= this.chunkCapacity(1)) return [payload];
    // Multi-chunk payloads carry their own CRC32, checked after reassembly.
    const sealed = Buffer.alloc(payload.length + 4);
    sealed.set(payload);
    sealed.writeUInt32BE(crc32(payload), payload.length);
    let total = 2;
    while (Math.ceil(sealed.length / this.chunkCapacity(total)) > total) total = Math.ceil(sealed.length / this.chunkCapacity(total));
    const cap = this.chunkCapacity(total);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < sealed.length; at += cap) chunks.push(sealed.subarray(at, at + cap));
    return chunks;
  }

  private async transfer(payload: Uint8Array, id = randomBytes(4).readUInt32BE()): Promise<TransferInfo> {
    if (this.closed) throw new TidemarkError('invalid', 'radio session is closed');
    const chunks = this.split(payload);
    const t: OutTransfer = {
      id,
      chunks,
      acked: chunks.map(() => false),
      sentOnce: chunks.map(() => false),
      complete: false,
      refused: 0,
      lastProgress: Date.now(),
      onAirUntil: 0,
      wake: null,
    };
    this.current = t;
    let quiet = 0;
    try {
      for (;;) {
        if (t.refused) throw new RadioRefusedError(t.refused);
        if (t.complete) return { transfer: id, bytes: payload.length };
        if (this.closed) throw coded('interrupted', { detail: 'the radio transfer' }, {});
        if (Date.now() - t.lastProgress > this.giveUpMs) {
          throw coded('link_down', { detail: `radio transfer ${id.toString(16)} made no progress for ${Math.round(this.giveUpMs / 1000)} s` });
        }
        const missing = t.acked.flatMap((a, i) => (a ? [] : [i])).slice(0, this.window);
        let wait: number;
        if (missing.length && quiet === 0) {
          const bytes = this.sendBurst(t, missing);
          t.onAirUntil = Date.now() + this.txDelayMs + this.airMs(bytes, missing.length);
          wait = this.airMs(bytes, missing.length) + this.replyWait();
        } else {
          // Nothing to send (the receiver is applying), or an acknowledgement went missing: ask.
          this.stats.polls++;
          this.queue({ type: 'poll', transfer: id, total: chunks.length });
          wait = this.airMs(16) + this.replyWait();
          // Back off while the link is silent, so a dead channel is not flooded with polls.
          wait *= Math.min(2 ** Math.max(0, quiet - 1), 8);
          if (!missing.length && quiet === 0) wait += 500;
        }
        const gotAck = await this.waitAck(t, wait);
        if (gotAck) quiet = 0;
        else {
          quiet++;
          this.stats.timeouts++;
        }
      }
    } finally {
      this.current = null;
    }
  }

  /** Time for the peer to answer: its key-up, an acknowledgement's air time, latency both ways, some slack. */
  private replyWait(): number {
    return 2 * this.txDelayMs + this.airMs(this.header.length + 40) + 2 * this.latencyMs + 200;
  }

  private sendBurst(t: OutTransfer, seqs: number[]): number {
    let bytes = 0;
    seqs.forEach((seq, i) => {
      const m: DataMessage = { type: 'data', transfer: t.id, seq, total: t.chunks.length, remaining: seqs.length - 1 - i, chunk: t.chunks[seq]! };
      if (t.sentOnce[seq]) this.stats.chunksResent++;
      t.sentOnce[seq] = true;
      this.stats.chunksSent++;
      bytes += this.header.length + messageSize(m) + FRAME_TRAILER;
      this.queue(m);
    });
    return bytes;
  }

  private waitAck(t: OutTransfer, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        t.wake = null;
        resolve(false);
      }, ms);
      t.wake = (got) => {
        clearTimeout(timer);
        t.wake = null;
        resolve(got);
      };
    });
  }

  private onAck(m: AckMessage): void {
    const t = this.current;
    if (!t || t.id !== m.transfer) return;
    let progress = false;
    const mark = (i: number): void => {
      if (i < t.acked.length && !t.acked[i]) {
        t.acked[i] = true;
        progress = true;
      }
    };
    if (m.complete) {
      t.complete = true;
      progress = true;
    } else if (m.refused) {
      t.refused = m.refused;
    } else {
      for (let i = 0; i < m.contiguous; i++) mark(i);
      for (let i = 0; i < m.bitmap.length * 8; i++) if (m.bitmap[i >> 3]! & (1 << (i & 7))) mark(m.contiguous + 1 + i);
    }
    if (progress) t.lastProgress = Date.now();
    // An answer to an earlier poll that crosses our new burst only updates what we know.
    if (m.complete || m.refused || Date.now() >= t.onAirUntil) t.wake?.(true);
  }

  // ---- the outbox: control messages share frames with data where they fit ------------------

  private queue(m: Message): void {
    this.outbox.push(m);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const room = this.frameSize - this.header.length - FRAME_TRAILER;
    const controls = this.outbox.filter((m) => m.type !== 'data');
    const data = this.outbox.filter((m): m is DataMessage => m.type === 'data');
    this.outbox = [];
    const frames: Message[][] = data.map((d) => [d]);
    // Put acknowledgements and polls in front of the smallest data frame that has room.
    const leftovers: Message[] = [];
    for (const c of controls) {
      const size = messageSize(c);
      const target = frames
        .filter((f) => f.reduce((n, m) => n + messageSize(m), 0) + size <= room)
        .sort((a, b) => a.reduce((n, m) => n + messageSize(m), 0) - b.reduce((n, m) => n + messageSize(m), 0))[0];
      if (target) target.unshift(c);
      else leftovers.push(c);
    }
    const controlFrames: Message[][] = [];
    for (const c of leftovers) {
      const last = controlFrames.at(-1);
      if (last && last.reduce((n, m) => n + messageSize(m), 0) + messageSize(c) <= room) last.push(c);
      else controlFrames.push([c]);
    }
    for (const f of [...controlFrames, ...frames]) {
      const frame = encodeFrame(this.header, f);
      this.stats.framesSent++;
      this.stats.bytesSent += frame.length;
      this.link.send(frame);
    }
  }

  // ---- receiving ----------------------------------------------------------------------------

  private receive(frame: Uint8Array): void {
    if (this.closed) return;
    let headerLength = 0;
    if (this.header.length) {
      const ax = parseAx25(frame);
      if (!ax || !sameCall(ax.to, this.local) || !sameCall(ax.from, this.peer)) {
        this.stats.framesDropped++;
        return;
      }
      headerLength = AX25_HEADER;
    }
    const messages = decodeFrame(frame, headerLength);
    if (!messages) {
      this.stats.framesDropped++;
      logger.debug('radio: dropped a damaged frame');
      return;
    }
    this.stats.framesReceived++;
    this.lastHeard = Date.now();
    this.heardAt = wallClockMs();
    for (const m of messages) {
      if (m.type === 'ack') this.onAck(m);
      else if (m.type === 'poll') this.answer(m.transfer, m.total);
      else this.onData(m);
    }
  }

  private answer(transfer: number, total: number): void {
    const done = this.completed.get(transfer);
    if (done !== undefined) {
      this.queue({ type: 'ack', transfer, complete: done === Refusal.None, refused: done, contiguous: 0, bitmap: new Uint8Array(0) });
      return;
    }
    const t = this.incoming.get(transfer);
    if (t?.ackTimer) {
      clearTimeout(t.ackTimer);
      t.ackTimer = null;
    }
    this.queue(ackFor(transfer, t?.chunks ?? new Array<undefined>(total).fill(undefined)));
  }

  private onData(m: DataMessage): void {
    if (this.completed.has(m.transfer)) {
      // A replayed or late frame of a finished transfer: say so again, never apply again.
      if (m.remaining === 0) this.answer(m.transfer, m.total);
      return;
    }
    let t = this.incoming.get(m.transfer);
    if (!t) {
      if (m.total * this.frameSize > this.maxPayload * 1.2 + this.frameSize) {
        this.stats.framesDropped++;
        return;
      }
      this.forgetAbandoned();
      t = { total: m.total, touched: Date.now(), chunks: new Array<Uint8Array | undefined>(m.total).fill(undefined), count: 0, delivering: false, ackTimer: null };
      this.incoming.set(m.transfer, t);
    }
    if (t.total !== m.total) {
      this.stats.framesDropped++;
      return;
    }
    t.touched = Date.now();
    if (!t.chunks[m.seq]) {
      t.chunks[m.seq] = m.chunk;
      t.count++;
    }
    if (t.ackTimer) clearTimeout(t.ackTimer);
    t.ackTimer = null;
    if (t.count === t.total && !t.delivering) {
      void this.deliver(m.transfer, t);
      return;
    }
    if (t.delivering) return;
    if (m.remaining === 0) {
      this.answer(m.transfer, m.total);
    } else {
      // The rest of the burst should arrive within its air time; acknowledge then if its end is lost.
      const wait = this.airMs(this.frameSize * m.remaining, m.remaining) + this.latencyMs + 200;
      t.ackTimer = setTimeout(() => {
        t.ackTimer = null;
        this.answer(m.transfer, m.total);
      }, wait);
    }
  }

  private forgetAbandoned(): void {
    const now = Date.now();
    for (const [id, t] of this.incoming) {
      if (!t.delivering && now - t.touched > this.giveUpMs) {
        if (t.ackTimer) clearTimeout(t.ackTimer);
        this.incoming.delete(id);
      }
    }
  }

  private async deliver(id: number, t: InTransfer): Promise<void> {
    t.delivering = true;
    let payload = Buffer.concat(t.chunks as Uint8Array[]);
    if (t.total > 1) {
      const crc = payload.readUInt32BE(payload.length - 4);
      payload = payload.subarray(0, payload.length - 4);
      if (crc32(payload) !== crc) {
        // Chunks of two different payloads under one id: start this transfer over.
        logger.warn({ transfer: id }, 'radio: reassembled payload fails its CRC, asking for it again');
        this.incoming.delete(id);
        this.answer(id, t.total);
        return;
      }
    }
    let outcome = Refusal.None;
    try {
      if (!this.handler) throw new TidemarkError('invalid', 'no payload handler');
      await this.handler(payload, { transfer: id, bytes: payload.length });
    } catch (err) {
      outcome = refusalFor(err);
      logger.warn({ transfer: id, err: err instanceof Error ? err.message : String(err) }, 'radio: payload refused');
    }
    this.incoming.delete(id);
    this.completed.set(id, outcome);
    if (this.completed.size > COMPLETED_KEPT) this.completed.delete(this.completed.keys().next().value!);
    this.answer(id, t.total);
  }
}

function ackFor(transfer: number, chunks: readonly (Uint8Array | undefined)[]): AckMessage {
  let contiguous = 0;
  while (contiguous < chunks.length && chunks[contiguous]) contiguous++;
  const span = Math.min(Math.max(0, chunks.length - contiguous - 1), 8 * 32);
  const bitmap = new Uint8Array(Math.ceil(span / 8));
  for (let i = 0; i < span; i++) if (chunks[contiguous + 1 + i]) bitmap[i >> 3]! |= 1 << (i & 7);
  let n = bitmap.length;
  while (n > 0 && bitmap[n - 1] === 0) n--;
  return { type: 'ack', transfer, complete: false, refused: 0, contiguous, bitmap: bitmap.subarray(0, n) };
}

/**
 * Which refusal a receiver's error goes back as. Only a knowledge mismatch asks for a reset:
 * anything else (a busy database, a duplicate, a bug) is a plain failure the sender retries or
 * reports, never a reason to throw the link's shared knowledge away.
 */
function refusalFor(err: unknown): Refusal {
  if (!(err instanceof TidemarkError)) return Refusal.Failed;
  switch (err.code) {
    case 'reset_needed':
      return Refusal.ResetNeeded;
    case 'forbidden':
    case 'unauthorized':
      return Refusal.Forbidden;
    case 'unsupported':
      return Refusal.Unsupported;
    case 'malformed':
    case 'invalid':
      return Refusal.Malformed;
    default:
      return Refusal.Failed;
  }
}
