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

/** Index just past the JSON value starting at `start`, or -1 if the text ends first. */
function valueEnd(text: string, start: number, maxDepth: number, line: () => number): number {
  const c = text[start];
  if (c === '"') {
    for (let i = start + 1; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 92) i++;
      else if (ch === 34) return i + 1;
    }
    return -1;
  }
  if (c !== '{' && c !== '[') {
    for (let i = start; i < text.length; i++) if (/[,}\]\s]/.test(text[i]!)) return i;
    return -1;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > maxDepth) throw new TidemarkError('malformed', `JSON nested deeper than ${maxDepth} levels`, { line: line() });
    } else if (ch === 125 || ch === 93) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
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

  const step = function* (final: boolean): Generator<S3Item> {
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
          const end = valueEnd(buf, pos, limits.maxDepth, lineAt);
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
            const end = valueEnd(buf, pos, limits.maxDepth, lineAt);
            if (end < 0 || (end === buf.length && !final)) return;
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
            const end = valueEnd(buf, pos, limits.maxDepth, lineAt);
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
    buf = pos > 0 ? buf.slice(pos) + piece : buf + piece;
    pos = 0;
    chars += piece.length;
    if (chars === piece.length && buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
    yield* step(false);
    opts.onRead?.(chars);
  }
  yield* step(true);
  if (phase !== 'end') bad(phase === 'start' ? 'empty document' : 'the document ends too early');
}
