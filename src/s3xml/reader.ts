import { SaxesParser } from 'saxes';
import { TidemarkError, type ErrorLocation } from '../errors.js';
import { type DocumentLimits, type S3Data, type S3Item, type S3Reference, DEFAULT_DOCUMENT_LIMITS, newItem, TM_ATTRS } from './model.js';
import { type DocumentInput, textPieces } from './source.js';

/**
 * A streaming S3XML reader. saxes (pure JavaScript, SAX-style) turns text into events; this
 * builds one `S3Item` per top-level `<resource>` and hands it on as soon as its end tag is read,
 * so a document of any size is read in constant memory. Why saxes and not libxml2's
 * SaxPushParser: see docs/formats.md ("Reading S3XML"); in short, it was faster here (events stay
 * in JavaScript instead of crossing into native code per node), it reports line numbers on every
 * event, and it never expands entities beyond the five predefined ones and character references.
 *
 * Refused outright, before any record is produced: a DOCTYPE (no DTD, no entities, no external
 * anything), elements nested deeper than the limit, documents over the size limit, and
 * malformed XML.
 */

type Frame =
  | { kind: 'root' }
  | { kind: 'resource'; item: S3Item }
  | { kind: 'data'; data: S3Data }
  | { kind: 'reference'; ref: S3Reference };

function readVersion(attrs: Record<string, string>, where: ErrorLocation): S3Item['meta'] {
  const version = attrs[TM_ATTRS.version];
  if (version === undefined) return undefined;
  const origin = attrs[TM_ATTRS.origin];
  const changedBy = attrs[TM_ATTRS.changed_by];
  const hlc = attrs[TM_ATTRS.hlc];
  let parsed: unknown;
  try {
    parsed = JSON.parse(version);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((n) => Number.isInteger(n)) || !origin || !changedBy || !hlc || !/^\d{13}\.\d{6}$/.test(hlc)) {
    throw new TidemarkError('invalid', `${TM_ATTRS.version}, ${TM_ATTRS.origin}, ${TM_ATTRS.changed_by} and ${TM_ATTRS.hlc} must come together and be well-formed`, { ...where, field: TM_ATTRS.version });
  }
  return { origin, changed_by: changedBy, version: parsed as Record<string, number>, hlc };
}

/** The record attributes of a `<resource>` element (or an S3JSON object's `@` keys). */
export function itemFromAttributes(resource: string, attrs: Record<string, string>, where: ErrorLocation): S3Item {
  const item = newItem(resource, { ...where, resource });
  if (attrs.alias) item.alias = attrs.alias;
  if (attrs.uuid) item.uuid = attrs.uuid;
  if (attrs.tuid) item.tuid = attrs.tuid;
  if (attrs.created_on) item.created_on = attrs.created_on;
  if (attrs.modified_on) item.modified_on = attrs.modified_on;
  if (attrs.deleted !== undefined) item.deleted = attrs.deleted.trim().toLowerCase() === 'true';
  if (attrs.replaced_by) item.replaced_by = attrs.replaced_by;
  item.meta = readVersion(attrs, item.where);
  if (item.uuid) item.where.uuid = item.uuid;
  return item;
}

export interface ReaderOptions extends Partial<DocumentLimits> {
  /** Called with the bytes of text read so far. */
  onRead?: (chars: number) => void;
}

/** Top-level records of an S3XML document, in document order, as they are read. */
export async function* readS3xml(input: DocumentInput, opts: ReaderOptions = {}): AsyncGenerator<S3Item> {
  const limits = { ...DEFAULT_DOCUMENT_LIMITS, ...opts };
  const parser = new SaxesParser({ position: true });
  const stack: Frame[] = [];
  const done: S3Item[] = [];
  let failure: TidemarkError | undefined;
  let sawRoot = false;
  const at = (element: string): ErrorLocation => ({ line: parser.line, element });
  const fail = (code: 'malformed' | 'invalid', message: string, where: ErrorLocation): never => {
    throw new TidemarkError(code, message, where);
  };

  parser.on('error', (e) => {
    failure ??= new TidemarkError('malformed', `not well-formed XML: ${e.message.replace(/^\d+:\d+: /, '')}`, { line: parser.line, column: parser.column });
  });
  parser.on('doctype', () => {
    fail('malformed', 'DOCTYPE is refused: S3XML needs no DTD, and a DTD could declare entities', at('!DOCTYPE'));
  });
  parser.on('opentag', (tag) => {
    if (stack.length >= limits.maxDepth) fail('malformed', `elements nested deeper than ${limits.maxDepth} levels`, at(tag.name));
    const attrs = tag.attributes as Record<string, string>;
    const top = stack[stack.length - 1];
    if (!top) {
      if (sawRoot || tag.name !== 's3xml') fail('malformed', `the document element must be <s3xml>, not <${tag.name}>`, at(tag.name));
      sawRoot = true;
      stack.push({ kind: 'root' });
      return;
    }
    if (tag.name === 'resource') {
      const where = at(tag.name);
      if (top.kind === 'data') fail('malformed', '<resource> inside <data>', where);
      if (top.kind === 'reference' && top.ref.inline) fail('malformed', 'a <reference> holds at most one inline <resource>', where);
      if (!attrs.name) fail('malformed', '<resource> without a name attribute', where);
      stack.push({ kind: 'resource', item: itemFromAttributes(attrs.name!, attrs, where) });
      return;
    }
    if (top.kind !== 'resource') fail('malformed', `<${tag.name}> is not allowed inside <${top.kind === 'root' ? 's3xml' : top.kind}>`, at(tag.name));
    const item = (top as { item: S3Item }).item;
    const field = attrs.field;
    if (tag.name === 'data' || tag.name === 'reference') {
      if (!field) fail('malformed', `<${tag.name}> without a field attribute`, at(tag.name));
      const line = parser.line;
      if (tag.name === 'data') stack.push({ kind: 'data', data: { field: field!, value: attrs.value, text: '', line } });
      else stack.push({ kind: 'reference', ref: { field: field!, resource: attrs.resource, uuid: attrs.uuid, tuid: attrs.tuid, line } });
      return;
    }
    fail('malformed', `unexpected element <${tag.name}> in <resource name="${item.resource}">`, at(tag.name));
  });
  const onText = (text: string): void => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'data') top.data.text += text;
    else if (top?.kind === 'reference') top.ref.text = (top.ref.text ?? '') + text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const frame = stack.pop()!;
    const parent = stack[stack.length - 1];
    if (frame.kind === 'resource') {
      if (parent?.kind === 'root') done.push(frame.item);
      else if (parent?.kind === 'resource') parent.item.components.push(frame.item);
      else if (parent?.kind === 'reference') parent.ref.inline = frame.item;
    } else if (frame.kind === 'data' && parent?.kind === 'resource') parent.item.data.push(frame.data);
    else if (frame.kind === 'reference' && parent?.kind === 'resource') parent.item.references.push(frame.ref);
  });

  let chars = 0;
  let first = true;
  for await (let piece of textPieces(input, limits.maxBytes)) {
    if (first && piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
    first = false;
    parser.write(piece);
    if (failure) throw failure;
    chars += piece.length;
    opts.onRead?.(chars);
    for (const item of done.splice(0)) yield item;
  }
  parser.close();
  if (failure) throw failure;
  if (!sawRoot) throw new TidemarkError('malformed', 'empty document: expected <s3xml>');
  for (const item of done.splice(0)) yield item;
}
