import { TidemarkError } from '../../errors.js';

/**
 * Minimal AX.25 UI frames (no digipeaters): what Dire Wolf and hardware TNCs expect inside a KISS
 * data frame, and what amateur rules expect on air (the station's callsign in every frame).
 * 16 bytes: destination (7), source (7), control 0x03 (UI), PID 0xF0 (no layer 3).
 */
export const AX25_HEADER = 16;

export interface Callsign {
  call: string;
  ssid: number;
}

const CALL_RE = /^([A-Z0-9]{1,6})(?:-(\d{1,2}))?$/;

export function parseCallsign(text: string): Callsign {
  const m = CALL_RE.exec(text.trim().toUpperCase());
  const ssid = m?.[2] === undefined ? 0 : Number(m[2]);
  if (!m || ssid > 15) throw new TidemarkError('invalid', `"${text}" is not a callsign (up to 6 letters or digits, optional -SSID 0-15)`);
  return { call: m[1]!, ssid };
}

export function formatCallsign(c: Callsign): string {
  return c.ssid ? `${c.call}-${c.ssid}` : c.call;
}

function writeAddress(out: Uint8Array, at: number, c: Callsign, last: boolean, commandBit: boolean): void {
  const padded = c.call.padEnd(6, ' ');
  for (let i = 0; i < 6; i++) out[at + i] = padded.charCodeAt(i) << 1;
  out[at + 6] = (commandBit ? 0x80 : 0) | 0x60 | ((c.ssid & 0x0f) << 1) | (last ? 1 : 0);
}

function readAddress(b: Uint8Array, at: number): Callsign {
  let call = '';
  for (let i = 0; i < 6; i++) call += String.fromCharCode(b[at + i]! >> 1);
  return { call: call.trimEnd(), ssid: (b[at + 6]! >> 1) & 0x0f };
}

export function ax25Header(to: Callsign, from: Callsign): Uint8Array {
  const h = new Uint8Array(AX25_HEADER);
  writeAddress(h, 0, to, false, true);
  writeAddress(h, 7, from, true, false);
  h[14] = 0x03;
  h[15] = 0xf0;
  return h;
}

export interface Ax25Frame {
  to: Callsign;
  from: Callsign;
  info: Uint8Array;
}

/** A UI frame without digipeaters, or null for anything else heard on the channel. */
export function parseAx25(b: Uint8Array): Ax25Frame | null {
  if (b.length < AX25_HEADER) return null;
  if ((b[6]! & 1) !== 0 || (b[13]! & 1) !== 1 || b[14] !== 0x03 || b[15] !== 0xf0) return null;
  return { to: readAddress(b, 0), from: readAddress(b, 7), info: b.subarray(AX25_HEADER) };
}

export function sameCall(a: Callsign, b: Callsign): boolean {
  return a.call === b.call && a.ssid === b.ssid;
}
