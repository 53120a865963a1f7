import { createHash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { EMPTY_BODY, encodePage, headerLine, trailerFor, writeBundle, type BundleAuth, type BundleHeader } from './format.js';

/**
 * Writes a bundle page by page. The header (first line) carries the body's size, record count and
 * ranges, known only once every page is collected; a reader uses them to refuse a bad file before
 * touching the database. So a file bundle's body goes to a temporary file beside the target while
 * it is collected, and `finish` writes the target: header, the body copied from the temporary file
 * and hashed as it passes, then the checksum and authentication lines (they cover the digest, see
 * format.ts). Memory stays one page plus a copy buffer, whatever the size.
 */
export interface BundleWriter {
  page(page: unknown): Promise<void>;
  /** Writes the envelope; undefined when `keep` said the bundle is not worth writing. */
  finish(header: Omit<BundleHeader, 'body' | 'version'>, records: number, auth: BundleAuth, keep?: (h: BundleHeader) => boolean): Promise<{ header: BundleHeader; size: number } | undefined>;
  /** Removes whatever was written (after a failure). */
  abort(): Promise<void>;
}

/** A small bundle in memory (acknowledgements, mail, the console's uploads). */
export class MemoryBundleWriter implements BundleWriter {
  private members: Buffer[] = [];
  bytes: Buffer | undefined;

  async page(page: unknown): Promise<void> {
    this.members.push(encodePage(page));
  }

  async finish(header: Omit<BundleHeader, 'body' | 'version'>, records: number, auth: BundleAuth): Promise<{ header: BundleHeader; size: number }> {
    const written = writeBundle(header, this.members.length ? Buffer.concat(this.members) : EMPTY_BODY, records, auth);
    this.members = [];
    this.bytes = written.bytes;
    return { header: written.header, size: written.bytes.length };
  }

  async abort(): Promise<void> {
    this.members = [];
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off)).bytesWritten;
}

const COPY_CHUNK = 1024 * 1024;

/** A bundle streamed to `path`, which appears only when complete (written as PATH.part, then renamed). */
export class FileBundleWriter implements BundleWriter {
  private readonly bodyPath: string;
  private readonly partPath: string;
  private body: FileHandle | undefined;
  private bodyBytes = 0;

  constructor(readonly path: string) {
    // Names a watched folder skips (".part"), beside the target: same device, so the rename is atomic.
    this.bodyPath = `${path}.body.part`;
    this.partPath = `${path}.part`;
  }

  async page(page: unknown): Promise<void> {
    this.body ??= await open(this.bodyPath, 'w');
    const member = encodePage(page);
    await writeAll(this.body, member);
    this.bodyBytes += member.length;
  }

  async finish(header: Omit<BundleHeader, 'body' | 'version'>, records: number, auth: BundleAuth, keep?: (h: BundleHeader) => boolean): Promise<{ header: BundleHeader; size: number } | undefined> {
    this.body ??= await open(this.bodyPath, 'w');
    if (!this.bodyBytes) {
      await writeAll(this.body, EMPTY_BODY);
      this.bodyBytes = EMPTY_BODY.length;
    }
    await this.body.close();
    this.body = undefined;
    const { header: full, line } = headerLine(header, this.bodyBytes, records);
    if (keep && !keep(full)) {
      await this.abort();
      return undefined;
    }
    const hash = createHash('sha256').update(line);
    const out = await open(this.partPath, 'w');
    try {
      await writeAll(out, line);
      const body = await open(this.bodyPath, 'r');
      try {
        const buf = Buffer.alloc(COPY_CHUNK);
        for (let n = (await body.read(buf, 0, COPY_CHUNK)).bytesRead; n > 0; n = (await body.read(buf, 0, COPY_CHUNK)).bytesRead) {
          const piece = buf.subarray(0, n);
          hash.update(piece);
          await writeAll(out, piece);
        }
      } finally {
        await body.close();
      }
      const trailer = trailerFor(hash.digest('hex'), auth);
      await writeAll(out, trailer);
      // On the stick before it has its name: a stick pulled out leaves a .part, never half a bundle.
      await out.datasync();
      await out.close();
      await rename(this.partPath, this.path);
      await rm(this.bodyPath, { force: true });
      return { header: full, size: line.length + this.bodyBytes + trailer.length };
    } catch (e) {
      await out.close().catch(() => undefined);
      await this.abort();
      throw e;
    }
  }

  async abort(): Promise<void> {
    await this.body?.close().catch(() => undefined);
    this.body = undefined;
    await rm(this.bodyPath, { force: true });
    await rm(this.partPath, { force: true });
  }
}
