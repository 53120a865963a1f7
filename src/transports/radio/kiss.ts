/**
 * KISS framing (Chepponis & Karn, 1987), the byte protocol between a host and a TNC that Dire Wolf
 * and hardware TNCs speak over TCP or a serial line:
 *   FEND | type (port << 4 | command) | data with FEND -> FESC TFEND, FESC -> FESC TFESC | FEND
 */
export const FEND = 0xc0;
export const FESC = 0xdb;
export const TFEND = 0xdc;
export const TFESC = 0xdd;

export const KISS_DATA = 0x0;
export const KISS_TXDELAY = 0x1;
export const KISS_PERSIST = 0x2;
export const KISS_SLOTTIME = 0x3;
export const KISS_TXTAIL = 0x4;
export const KISS_FULLDUPLEX = 0x5;

export interface KissFrame {
  port: number;
  command: number;
  data: Uint8Array;
}

export function kissEncode(data: Uint8Array, port = 0, command = KISS_DATA): Buffer {
  const out: number[] = [FEND];
  // The type byte is escaped like the data (port 12 with command 0 would otherwise read as FEND).
  for (const b of [((port & 0x0f) << 4) | (command & 0x0f), ...data]) {
    if (b === FEND) out.push(FESC, TFEND);
    else if (b === FESC) out.push(FESC, TFESC);
    else out.push(b);
  }
  out.push(FEND);
  return Buffer.from(out);
}

/**
 * Splits a KISS byte stream into frames. A frame with a bad escape, or longer than `maxFrame`,
 * is dropped whole (the next FEND starts afresh), as a TNC does; empty frames between FENDs
 * are the usual padding and are skipped.
 */
export class KissDecoder {
  private buf: number[] = [];
  private inFrame = false;
  private escaped = false;
  private bad = false;

  constructor(
    private readonly onFrame: (f: KissFrame) => void,
    private readonly maxFrame = 2048,
  ) {}

  push(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (b === FEND) {
        if (this.inFrame && !this.bad && !this.escaped && this.buf.length > 0) {
          const type = this.buf[0]!;
          this.onFrame({ port: type >> 4, command: type & 0x0f, data: Uint8Array.from(this.buf.slice(1)) });
        }
        this.buf = [];
        this.inFrame = true;
        this.escaped = false;
        this.bad = false;
        continue;
      }
      if (!this.inFrame || this.bad) continue;
      if (this.escaped) {
        this.escaped = false;
        if (b === TFEND) this.buf.push(FEND);
        else if (b === TFESC) this.buf.push(FESC);
        else this.bad = true;
      } else if (b === FESC) {
        this.escaped = true;
      } else {
        this.buf.push(b);
      }
      if (this.buf.length > this.maxFrame + 1) this.bad = true;
    }
  }
}
