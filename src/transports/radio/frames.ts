import { crc32 } from 'node:zlib';
import { ByteReader, ByteWriter } from './bytes.js';

/**
 * The reliable-transfer messages carried in the information field of a radio frame:
 *   message... | u32 CRC32 (over the link header and the messages)
 * Several control messages may share a frame with one DATA message, which always comes last and
 * runs to the CRC. A transfer is one payload, cut into numbered chunks under a random 32-bit id.
 *
 *   DATA   01 | u32 transfer | uvar seq | uvar total | uvar remaining-in-burst | chunk...
 *   SINGLE 02 | u32 transfer | payload...      (a payload that fits one frame: seq 0 of 1)
 *   ACK    03 | u32 transfer | u8 flags (1 complete, 2 refused, 4 map) [| uvar contiguous | uvar n | n bytes] [| uvar refusal]
 *   POLL   04 | u32 transfer | uvar total      (asks the receiver for an ACK)
 */
export const FRAME_TRAILER = 4;

export interface DataMessage {
  type: 'data';
  transfer: number;
  seq: number;
  total: number;
  remaining: number;
  chunk: Uint8Array;
}

export interface AckMessage {
  type: 'ack';
  transfer: number;
  complete: boolean;
  /** Non-zero: the receiver refuses the payload (see Refusal). */
  refused: number;
  /** Chunks 0..contiguous-1 are all held. */
  contiguous: number;
  /** Bit i: chunk contiguous+1+i is held. */
  bitmap: Uint8Array;
}

export interface PollMessage {
  type: 'poll';
  transfer: number;
  total: number;
}

export type Message = DataMessage | AckMessage | PollMessage;

/** Why a receiver refused a complete payload; sent back so the sender can react (e.g. reset). */
export enum Refusal {
  None = 0,
  /** The payload builds on knowledge the receiver does not have: send a reset payload. */
  ResetNeeded = 1,
  Forbidden = 2,
  Unsupported = 3,
  Malformed = 4,
  Failed = 5,
}

const hasMap = (m: AckMessage): boolean => !m.complete && !m.refused;

function writeMessage(w: ByteWriter, m: Message): void {
  switch (m.type) {
    case 'data':
      if (m.total === 1) w.byte(2).u32(m.transfer).bytes(m.chunk);
      else w.byte(1).u32(m.transfer).uvar(m.seq).uvar(m.total).uvar(m.remaining).bytes(m.chunk);
      return;
    case 'ack':
      w.byte(3).u32(m.transfer).byte((m.complete ? 1 : 0) | (m.refused ? 2 : 0) | (hasMap(m) ? 4 : 0));
      if (hasMap(m)) w.uvar(m.contiguous).uvar(m.bitmap.length).bytes(m.bitmap);
      if (m.refused) w.uvar(m.refused);
      return;
    case 'poll':
      w.byte(4).u32(m.transfer).uvar(m.total);
      return;
  }
}

export const varlen = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : 5);

/** Bytes a message takes in a frame. */
export function messageSize(m: Message): number {
  switch (m.type) {
    case 'data':
      return m.total === 1 ? 5 + m.chunk.length : 5 + varlen(m.seq) + varlen(m.total) + varlen(m.remaining) + m.chunk.length;
    case 'ack':
      return 6 + (hasMap(m) ? varlen(m.contiguous) + varlen(m.bitmap.length) + m.bitmap.length : 0) + (m.refused ? varlen(m.refused) : 0);
    case 'poll':
      return 5 + varlen(m.total);
  }
}

/** The frame for `messages` (at most one DATA, last) after `header`, sealed with a CRC over both. */
export function encodeFrame(header: Uint8Array, messages: readonly Message[]): Uint8Array {
  const w = new ByteWriter().bytes(header);
  for (const m of messages) writeMessage(w, m);
  const body = w.finish();
  return new ByteWriter().bytes(body).u32(crc32(body)).finish();
}

/** The messages of a frame, or null when the CRC or the layout is wrong (the frame is dropped). */
export function decodeFrame(frame: Uint8Array, headerLength: number): Message[] | null {
  if (frame.length < headerLength + 5 + FRAME_TRAILER) return null;
  const body = frame.subarray(0, frame.length - FRAME_TRAILER);
  const crc = new DataView(frame.buffer, frame.byteOffset + frame.length - FRAME_TRAILER, 4).getUint32(0);
  if (crc32(body) !== crc) return null;
  const r = new ByteReader(body.subarray(headerLength));
  const out: Message[] = [];
  try {
    while (r.remaining > 0) {
      const type = r.byte();
      const transfer = r.u32();
      if (type === 1) {
        const seq = r.uvar();
        const total = r.uvar();
        const remaining = r.uvar();
        if (seq >= total || total < 2) return null;
        out.push({ type: 'data', transfer, seq, total, remaining, chunk: Uint8Array.from(r.rest()) });
      } else if (type === 2) {
        out.push({ type: 'data', transfer, seq: 0, total: 1, remaining: 0, chunk: Uint8Array.from(r.rest()) });
      } else if (type === 3) {
        const flags = r.byte();
        const map = (flags & 4) !== 0;
        const contiguous = map ? r.uvar() : 0;
        const bitmap = map ? Uint8Array.from(r.bytes(r.uvar())) : new Uint8Array(0);
        const refused = flags & 2 ? r.uvar() : 0;
        out.push({ type: 'ack', transfer, complete: (flags & 1) !== 0, refused, contiguous, bitmap });
      } else if (type === 4) {
        out.push({ type: 'poll', transfer, total: r.uvar() });
      } else {
        return null;
      }
    }
  } catch {
    return null;
  }
  return out;
}
