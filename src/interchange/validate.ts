import type { Document, Element } from 'libxmljs2';
import { TidemarkError } from '../errors.js';
import { type FormatDef, getFormat, listFormats } from './formats.js';
import { type SchemaSource, type ValidationIssue, validateDoc } from './schemas.js';
import { detach, parseXml } from './xml.js';
import { officialSchemasDir } from './schemas.js';

/**
 * Validation of a whole document as Tidemark sees it: the document's own schema, the schemas of
 * any content it embeds (CAP in an Atom feed, anything in an EDXL-DE envelope) and of an XML
 * signature, loaded together so that wildcards are really checked.
 *
 * Against the official schemas an envelope is checked in two steps, because the official EDXL-DE
 * 2.0 and EDXL-HAVE 1.0 schemas cannot be loaded together in libxml2 (both import XLink from
 * different files; libxml2 keeps the first): the envelope with the project's schemas for its
 * content, then each embedded document on its own against its official schema.
 */
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

export function formatForElement(el: Element): FormatDef | undefined {
  const ns = el.namespace()?.href() ?? '';
  return listFormats().find((f) => (f.namespace ?? '') === ns && f.root === el.name() && !f.native);
}

/** The embedded content documents of an envelope, with the format each is in. */
export function embeddedContent(doc: Document): { el: Element; format: FormatDef | undefined }[] {
  return (doc.find('//*[local-name()="embeddedXMLContent"]/*') as Element[]).map((el) => ({ el, format: formatForElement(el) }));
}

function involved(doc: Document, format: FormatDef): FormatDef[] {
  const out = new Map<string, FormatDef>();
  for (const name of format.contains ?? []) out.set(name, getFormat(name));
  if (format.envelope) {
    for (const { el, format: f } of embeddedContent(doc)) {
      if (!f) {
        throw new TidemarkError('unsupported', `envelope carries content of an unknown type {${el.namespace()?.href() ?? ''}}${el.name()}`, {
          line: el.line(),
          element: el.name(),
        });
      }
      out.set(f.name, f);
    }
  }
  if (doc.find('//ds:Signature', { ds: DSIG }).length) out.set('xmldsig', getFormat('xmldsig'));
  return [...out.values()];
}

export interface ValidateOptions {
  /** Folder of official schemas; with source 'official'. */
  schemasDir?: string;
}

/** All schema problems of `doc` read as `format`, against the project's or the official schemas. */
export function validateDocument(doc: Document, format: FormatDef, source: SchemaSource, opts: ValidateOptions = {}): ValidationIssue[] {
  const inner = involved(doc, format);
  if (source === 'project') return validateDoc(doc, [format, ...inner], 'project');
  if (!format.schema?.official) {
    // A format with no official schema (the Atom feed): its own project schema, its content official.
    return validateDoc(doc, [format, ...inner], 'project').concat(
      inner.flatMap((f) => (f.schema?.official ? officialParts(doc, f, opts) : [])),
    );
  }
  if (!format.envelope) return validateDoc(doc, [format, ...inner], 'official', opts.schemasDir);
  const issues = validateDoc(doc, [format, ...inner.map((f) => ({ ...f, schema: { project: f.schema?.project } }))], 'official', opts.schemasDir);
  for (const { el, format: f } of embeddedContent(doc)) {
    if (!f?.schema?.official) continue;
    const part = detach(el, { readOnly: true });
    // Lines in the detached part count from the embedded element's own line.
    issues.push(...validateDocument(part, f, 'official', opts).map((i) => ({ ...i, line: el.line() + i.line - 1, message: `in embedded ${f.name}: ${i.message}` })));
  }
  return issues;
}

function officialParts(doc: Document, f: FormatDef, opts: ValidateOptions): ValidationIssue[] {
  const ns = f.namespace ?? '';
  return (doc.find(`//*[namespace-uri()="${ns}" and local-name()="${f.root}"]`) as Element[]).flatMap((el) =>
    validateDoc(detach(el, { readOnly: true }), [f], 'official', opts.schemasDir).map((i) => ({ ...i, line: el.line() + i.line - 1, message: `in embedded ${f.name}: ${i.message}` })),
  );
}

/**
 * Validates against the project's schemas and, when a folder of official schemas is known,
 * against those too; throws one error naming the first problem (line, element, rule) and listing
 * the others. Inbound documents get `malformed` (HTTP 400), Tidemark's own output `invalid`.
 */
export function assertDocumentValid(
  doc: Document,
  format: FormatDef,
  opts: ValidateOptions & { code?: 'invalid' | 'malformed' } = {},
): void {
  const code = opts.code ?? 'malformed';
  for (const source of ['project', 'official'] as const) {
    if (source === 'official' && !opts.schemasDir) continue;
    const issues = validateDocument(doc, format, source, opts);
    if (!issues.length) continue;
    const problems = issues.map((i) => new TidemarkError(code, i.message, { line: i.line, ...(i.element ? { element: i.element } : {}) }));
    const first = issues[0]!;
    throw new TidemarkError(
      code,
      `${format.name} document fails the ${source} schema: ${first.message}`,
      { line: first.line, ...(first.element ? { element: first.element } : {}) },
      problems,
    );
  }
}


export interface TextValidation {
  format: FormatDef;
  /** One entry per schema set checked: the project's, then the official ones when known. */
  results: { source: SchemaSource; issues: ValidationIssue[] }[];
  valid: boolean;
}

/**
 * Validates a document given as text (`tidemark validate`, the console's upload): parsed safely,
 * its format named or recognised from its root, every problem with its line and element.
 */
export function validateText(text: string, opts: { format?: string; schemasDir?: string } = {}): TextValidation {
  const doc = parseXml(text, { readOnly: true });
  const format = opts.format ? getFormat(opts.format) : formatForElement(doc.root()!);
  if (!format) throw new TidemarkError('unsupported', `no format for a {${doc.root()!.namespace()?.href() ?? ''}}${doc.root()!.name()} document; name one`);
  const dir = officialSchemasDir(opts.schemasDir);
  const results = (dir ? (['project', 'official'] as const) : (['project'] as const)).map((source) => ({ source, issues: validateDocument(doc, format, source, dir ? { schemasDir: dir } : {}) }));
  return { format, results, valid: results.every((r) => !r.issues.length) };
}
