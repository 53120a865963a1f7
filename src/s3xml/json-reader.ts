import { TidemarkError, type ErrorLocation } from '../errors.js';
import { type DocumentLimits, type S3Item, DEFAULT_DOCUMENT_LIMITS } from './model.js';
import { itemFromAttributes, type ReaderOptions } from './reader.js';
import { type DocumentInput, textPieces } from './source.js';

/**
 * A streaming S3JSON reader. The top level of an S3JSON document is small and regular
 * (`{"@attr": ..., "$_<table>": [ {record}, ... ], ...}`), so it is walked by a little state
 * machine, and each record object is cut out by bracket counting and handed to JSON.parse on its
 * own: memory holds one record at a time, and parsing stays in V8's fast native parser.
 */

const WS = /\s/;

/**
 * Finds where the JSON value starting at a given character ends, fed the text piece by piece: a
 * value cut by a piece boundary is resumed where the scan stopped, never scanned again from its
 * start, so reading stays linear in the input however large one value is.
 */
class ValueScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private opened = false;
  readonly primitive: boolean;

  constructor(
    first: string,
    private readonly maxDepth: number,
    private readonly line: () => number,
  ) {
    this.primitive = first !== '"' && first !== '{' && first !== '[';
  }

  /** Scans `text` from `from`; the index just past the value's end, or -1 if it goes on after `text`. */
  feed(text: string, from: number): number {
    for (let i = from; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (this.primitive) {
        // , } ] and JSON whitespace end a number, true, false or null.
        if (ch === 44 || ch === 125 || ch === 93 || ch === 32 || ch === 10 || ch === 13 || ch === 9) return i;
        continue;
      }
      if (!this.opened) {
        this.opened = true;
        if (ch === 34) {
          this.inString = true;
          continue;
        }
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 92) this.escaped = true;
        else if (ch === 34) {
          this.inString = false;
          if (this.depth === 0) return i + 1;
        }
      } else if (ch === 34) this.inString = true;
      else if (ch === 123 || ch === 91) {
        if (++this.depth > this.maxDepth) throw new TidemarkError('malformed', `JSON nested deeper than ${this.maxDepth} levels`, { line: this.line() });
      } else if (ch === 125 || ch === 93) {
        if (--this.depth === 0) return i + 1;
      }
    }
    return -1;
  }
}

const attrText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** An S3JSON record object as an S3Item (the same shape the S3XML reader gives). */
export function itemFromJson(resource: string, obj: unknown, where: ErrorLocation): S3Item {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TidemarkError('malformed', `each entry of "$_${resource}" must be an object`, { ...where, resource });
  }
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (k.startsWith('@')) attrs[k.slice(1)] = attrText(v);
  const item = itemFromAttributes(resource, attrs, where);
  const w = (field: string): ErrorLocation => ({ ...where, resource, field, ...(item.uuid ? { uuid: item.uuid } : {}) });
  const line = where.line;
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (k.startsWith('@') || k === '$') continue;
    if (k.startsWith('$_')) {
      const list = Array.isArray(v) ? v : [v];
      for (const c of list) item.components.push(itemFromJson(k.slice(2), c, { ...where, element: k }));
    } else if (k.startsWith('$k_')) {
      const field = k.slice(3);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TidemarkError('malformed', `"${k}" must be an object`, w(field));
      const r = v as Record<string, unknown>;
      const ref: S3Item['references'][number] = { field, line };
      if (r['@resource'] !== undefined) ref.resource = attrText(r['@resource']);
      if (r['@uuid'] !== undefined) ref.uuid = attrText(r['@uuid']);
      if (r['@tuid'] !== undefined) ref.tuid = attrText(r['@tuid']);
      const inline = Object.keys(r).find((x) => x.startsWith('$_'));
      if (inline) {
        const list = Array.isArray(r[inline]) ? (r[inline] as unknown[]) : [r[inline]];
        if (list.length !== 1) throw new TidemarkError('malformed', `"${k}" holds at most one inline record`, w(field));
        ref.inline = itemFromJson(inline.slice(2), list[0], { ...where, element: inline });
      }
      item.references.push(ref);
    } else if (k.startsWith('$')) {
      continue;
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ('@value' in o) item.data.push({ field: k, decoded: o['@value'], hasDecoded: true, text: '', line });
      else item.data.push({ field: k, text: typeof o.$ === 'string' ? o.$ : o.$ === undefined ? '' : JSON.stringify(o.$), line });
    } else if (typeof v === 'string') {
      item.data.push({ field: k, text: v, line });
    } else {
      item.data.push({ field: k, decoded: v, hasDecoded: true, text: '', line });
    }
  }
  return item;
}

type Phase = 'start' | 'key' | 'colon' | 'value' | 'array' | 'afterRecord' | 'afterValue' | 'end';

/** Top-level records of an S3JSON document, in document order, as they are read. */
export async function* readS3json(input: DocumentInput, opts: ReaderOptions & Partial<DocumentLimits> = {}): AsyncGenerator<S3Item> {
  const limits = { ...DEFAULT_DOCUMENT_LIMITS, ...opts };
  let buf = '';
  let pos = 0;
  let line = 1;
  let phase = 'start' as Phase;
  let key = '';
  let chars = 0;
  const lineAt = (): number => line;
  const bad = (message: string): never => {
    throw new TidemarkError('malformed', `not well-formed S3JSON: ${message}`, { line });
  };
  const advance = (to: number): void => {
    for (let i = pos; i < to; i++) if (buf.charCodeAt(i) === 10) line++;
    pos = to;
  };
  // A value that runs past the text read so far: its scanner, and the pieces it spans (joined once, when it ends).
  let pending: ValueScanner | undefined;
  let parts: string[] = [];
  let partsLength = 0;
  let knownEnd = -1;
  const endOf = (): number => {
    if (knownEnd >= 0) {
      const end = knownEnd;
      knownEnd = -1;
      return end;
    }
    const scanner = new ValueScanner(buf[pos]!, limits.maxDepth, lineAt);
    const end = scanner.feed(buf, pos);
    if (end < 0) {
      pending = scanner;
      parts = [buf.slice(pos)];
      partsLength = parts[0]!.length;
      buf = '';
      pos = 0;
    }
    return end;
  };

  const step = function* (): Generator<S3Item> {
    for (;;) {
      while (pos < buf.length && WS.test(buf[pos]!)) advance(pos + 1);
      if (pos >= buf.length) return;
      const c = buf[pos]!;
      switch (phase) {
        case 'start':
          if (c !== '{') bad('the document must be a JSON object');
          advance(pos + 1);
          phase = 'key';
          break;
        case 'key': {
          if (c === '}') {
            advance(pos + 1);
            phase = 'end';
            break;
          }
          if (c !== '"') bad(`expected a key, found "${c}"`);
          const end = endOf();
          if (end < 0) return;
          try {
            key = JSON.parse(buf.slice(pos, end)) as string;
          } catch {
            bad('bad key');
          }
          advance(end);
          phase = 'colon';
          break;
        }
        case 'colon':
          if (c !== ':') bad(`expected ":" after "${key}"`);
          advance(pos + 1);
          phase = 'value';
          break;
        case 'value':
          if (key.startsWith('$_')) {
            if (c !== '[') bad(`"${key}" must be a list of records`);
            advance(pos + 1);
            phase = 'array';
            break;
          }
          {
            const end = endOf();
            if (end < 0) return;
            try {
              JSON.parse(buf.slice(pos, end));
            } catch {
              bad(`bad value for "${key}"`);
            }
            advance(end);
            phase = 'afterValue';
          }
          break;
        case 'array':
        case 'afterRecord':
          if (c === ']') {
            advance(pos + 1);
            phase = 'afterValue';
            break;
          }
          if (phase === 'afterRecord') {
            if (c !== ',') bad(`expected "," or "]" in "${key}"`);
            advance(pos + 1);
            phase = 'array';
            break;
          }
          {
            if (c !== '{') bad(`each entry of "${key}" must be an object`);
            const end = endOf();
            if (end < 0) return;
            let obj: unknown;
            try {
              obj = JSON.parse(buf.slice(pos, end));
            } catch (e) {
              bad(`${(e as Error).message} in a record of "${key}"`);
            }
            const where = { line, element: key };
            advance(end);
            phase = 'afterRecord';
            yield itemFromJson(key.slice(2), obj, where);
          }
          break;
        case 'afterValue':
          if (c === '}') {
            advance(pos + 1);
            phase = 'end';
          } else if (c === ',') {
            advance(pos + 1);
            phase = 'key';
          } else bad(`expected "," or "}" after "${key}"`);
          break;
        case 'end':
          bad('text after the end of the document');
      }
    }
  };

  for await (const piece of textPieces(input, limits.maxBytes)) {
    chars += piece.length;
    if (pending) {
      const end = pending.feed(piece, 0);
      if (end < 0) {
        parts.push(piece);
        partsLength += piece.length;
        opts.onRead?.(chars);
        continue;
      }
      pending = undefined;
      buf = parts.join('') + piece;
      knownEnd = partsLength + end;
      parts = [];
    } else {
      buf = pos > 0 ? buf.slice(pos) + piece : buf + piece;
      if (chars === piece.length && buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
    }
    pos = 0;
    yield* step();
    opts.onRead?.(chars);
  }
  if (pending) {
    // The text ended inside a value: a number or literal ends with it; anything else is cut short.
    buf = parts.join('');
    pos = 0;
    if (pending.primitive) knownEnd = buf.length;
  }
  yield* step();
  if (phase !== 'end') bad(phase === 'start' ? 'empty document' : 'the document ends too early');
}
