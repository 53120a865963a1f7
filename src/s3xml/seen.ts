/**
 * A Bloom filter of the uuids an import has met, so "the same uuid twice in one document" is
 * caught in fixed memory (4 MiB) however long the document is. A hit is only a suspicion: the
 * importer confirms it against the database (the row was written by this very import) before
 * calling it a duplicate (the row is looked up for the upsert anyway), so a false positive costs
 * nothing (see docs/formats.md for the one rare case where it could matter).
 */
export class SeenFilter {
  private readonly bits: Uint8Array;
  private readonly mask: number;

  constructor(log2Bits = 25) {
    this.bits = new Uint8Array(1 << (log2Bits - 3));
    this.mask = (1 << log2Bits) - 1;
  }

  private static hashes(s: string): [number, number] {
    // FNV-1a and a multiplicative variant: two independent 32-bit hashes for double hashing.
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    return [h1 >>> 0, (h2 >>> 0) | 1];
  }

  /** Adds `s`; returns true if it (probably) was there already. */
  add(s: string): boolean {
    const [h1, h2] = SeenFilter.hashes(s);
    let present = true;
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      const byte = bit >>> 3;
      const m = 1 << (bit & 7);
      if (!(this.bits[byte]! & m)) {
        present = false;
        this.bits[byte]! |= m;
      }
    }
    return present;
  }
}
