import { TidemarkError } from '../../errors.js';

/**
 * Growable byte buffer with the primitive encodings of the radio format: unsigned LEB128
 * varints, zigzag for signed values, length-prefixed UTF-8. Numbers stay exact up to 2^53;
 * larger zigzag values go through BigInt so no integer is ever rounded on air.
 */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint32(this.len, v >>> 0);
    this.len += 4;
    return this;
  }

  f32(v: number): this {
    this.room(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.len, v);
    this.len += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.len, v);
    this.len += 8;
    return this;
  }

  /** Unsigned varint; v must be a non-negative safe integer (or a bigint). */
  uvar(v: number | bigint): this {
    if (typeof v === 'bigint') {
      while (v >= 0x80n) {
        this.byte(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      return this.byte(Number(v));
    }
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uvar: ${v} is not a non-negative safe integer`);
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    return this.byte(v);
  }

  /** Signed varint (zigzag): small magnitudes of either sign take one byte. */
  svar(v: number): this {
    if (Math.abs(v) < 2 ** 51) return this.uvar(v >= 0 ? v * 2 : -v * 2 - 1);
    const b = BigInt(v);
    return this.uvar(b >= 0n ? b * 2n : -b * 2n - 1n);
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.uvar(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads what ByteWriter wrote; any read past the end is a `malformed` error, never garbage. */
export class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new TidemarkError('malformed', 'radio payload truncated');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  u32(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat32(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned varint as a bigint (for values that may exceed 2^53). */
  uvarBig(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
      if (shift > 70n) throw new TidemarkError('malformed', 'radio payload: varint too long');
    }
  }

  uvar(): number {
    const start = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 0x80;
    }
    this.pos = start;
    const big = this.uvarBig();
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new TidemarkError('malformed', 'radio payload: number out of range');
    return Number(big);
  }

  svar(): number {
    const u = this.uvarBig();
    const v = u % 2n === 0n ? u / 2n : -(u + 1n) / 2n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TidemarkError('malformed', 'radio payload: number out of range');
    }
    return Number(v);
  }

  str(): string {
    const n = this.uvar();
    return Buffer.from(this.bytes(n)).toString('utf8');
  }
}
