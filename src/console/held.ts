import { randomUUID } from 'node:crypto';

/**
 * Files the console holds between two steps of one task (an uploaded bundle between its preview
 * and its import; an acknowledgement until it is downloaded). In memory, few, and short-lived:
 * a restart only means uploading again.
 */
const MAX = 8;
const TTL_MS = 30 * 60_000;
const held = new Map<string, { bytes: Buffer; name: string; at: number }>();

export function hold(bytes: Buffer, name: string): string {
  const now = Date.now();
  for (const [k, v] of held) if (now - v.at > TTL_MS) held.delete(k);
  while (held.size >= MAX) held.delete(held.keys().next().value!);
  const id = randomUUID();
  held.set(id, { bytes, name, at: now });
  return id;
}

export function takeHeld(id: string): { bytes: Buffer; name: string } | undefined {
  const v = held.get(id);
  return v && Date.now() - v.at <= TTL_MS ? v : undefined;
}
