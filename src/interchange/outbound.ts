import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Document, Element } from 'libxmljs2';
import { TidemarkError } from '../errors.js';
import { wallClockMs } from '../store/clock.js';
import { escapeAttr } from '../s3xml/writer.js';
import { type FormatDef, getFormat } from './formats.js';
import { transform, type StylesheetParams } from './stylesheets.js';
import { assertDocumentValid } from './validate.js';
import { detachXml, parseXml } from './xml.js';

/**
 * S3XML in, standard documents out: run the format's stylesheet, split multi-document results,
 * wrap in an envelope when asked, and validate every document (project schema always, official
 * schemas too when a folder of them is given) before anything leaves. A document that fails is an
 * error, never a response.
 */
export interface EnvelopeOptions {
  distributionID?: string;
  senderID?: string;
  /** ISO instants; default now and now + 24 h. */
  sent?: string;
  expires?: string;
  status?: 'Actual' | 'Exercise' | 'System' | 'Test';
  kind?: string;
  confidentiality?: 'Unclassified' | 'Classified';
  language?: string;
  keywords?: { list: string; value: string }[];
}

export interface ExportOptions {
  /** Folder of official OASIS schemas: outputs are also validated against them. */
  schemasDir?: string;
  params?: StylesheetParams;
  /** For envelopes: which format the content is in (default: chosen from the records). */
  content?: string;
  envelope?: EnvelopeOptions;
}

export interface ExportedDocument {
  format: string;
  mediaType: string;
  xml: string;
  /** The parsed document, already validated. */
  doc: Document;
}

const WRAPPER = 'urn:tidemark:xslt';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function withoutDecl(xml: string): string {
  return xml.replace(/^\s*<\?xml[^?]*\?>\s*/, '');
}

/** The format an envelope's content is in when the caller does not say: from the records. */
function contentFormatFor(s3xml: string): string {
  if (/<resource\b[^>]*\bname="cap_alert"/.test(s3xml)) return 'cap';
  if (/<resource\b[^>]*\bname="med_hospital"/.test(s3xml)) return 'edxl-have';
  return 's3xml';
}

function check(doc: Document, format: FormatDef, opts: ExportOptions): void {
  assertDocumentValid(doc, format, { ...(opts.schemasDir ? { schemasDir: opts.schemasDir } : {}), code: 'invalid' });
}

/**
 * Runs one format's stylesheet and returns its document(s), unvalidated; a single document comes
 * with its parse (read only), so it is not parsed a second time for validation.
 */
function run(format: FormatDef, s3xml: string, params: StylesheetParams): { xml: string; doc?: Document }[] {
  if (!format.export) throw new TidemarkError('unsupported', `format ${format.name} cannot be exported`);
  // "now" (which alerts are current) is this instance's clock, not the stylesheet's own, so a
  // moved clock (TIDEMARK_CLOCK_OFFSET_MS) moves it too; stylesheets that do not declare it ignore it.
  const out = transform(format.export, s3xml, { now: new Date(wallClockMs()).toISOString(), ...format.params, ...params });
  const doc = parseXml(out, { readOnly: true });
  const root = doc.root()!;
  if (root.namespace()?.href() !== WRAPPER) return [{ xml: out, doc }];
  // Several documents (CAP: one per alert) come wrapped; each child declares its own namespaces.
  return root
    .childNodes()
    .filter((n) => n.type() === 'element')
    .map((n) => ({ xml: detachXml(n as Element) }));
}

/** Exports `s3xml` (an S3XML document) as validated documents of `formatName`. */
export function exportDocuments(formatName: string, s3xml: string, opts: ExportOptions = {}): ExportedDocument[] {
  const format = getFormat(formatName);
  if (format.native) throw new TidemarkError('unsupported', `${format.name} is written by the S3XML exporter, not a stylesheet`);
  if (format.content) throw new TidemarkError('unsupported', `${format.name} only travels inside an envelope`);
  if (format.envelope) return [envelope(format, s3xml, opts)];
  return run(format, s3xml, opts.params ?? {}).map(({ xml, doc: parsed }) => {
    const doc = parsed ?? parseXml(xml, { readOnly: true });
    check(doc, format, opts);
    return { format: format.name, mediaType: format.mediaType, xml: XML_DECL + withoutDecl(xml), doc };
  });
}

/**
 * The request document the envelope stylesheet reads (`<tm:envelope>`, see s3xml-to-edxl-de.xsl):
 * the content documents made from `s3xml` (each validated) and the envelope's attributes.
 */
export function envelopeRequest(s3xml: string, opts: ExportOptions = {}): string {
  const contentName = opts.content ?? contentFormatFor(s3xml);
  let contents: { format: FormatDef; xml: string; id?: string; description: string }[];
  if (contentName === 's3xml') {
    contents = [{ format: getFormat('s3xml-embedded'), xml: withoutDecl(s3xml), description: 'Tidemark S3XML records' }];
  } else {
    const inner = getFormat(contentName);
    if (inner.envelope || inner.native || !inner.export) {
      throw new TidemarkError('unsupported', `an envelope cannot carry ${contentName} content`);
    }
    contents = exportDocuments(contentName, s3xml, { ...opts, envelope: undefined }).map((d) => {
      const root = d.doc.root()!;
      const id = root.get<Element>('*[local-name()="identifier"]')?.text();
      return {
        format: inner,
        xml: withoutDecl(d.xml),
        ...(id ? { id } : {}),
        description: `${inner.title}${id ? ` ${id}` : ''}`,
      };
    });
  }
  if (!contents.length) throw new TidemarkError('not_found', 'nothing to put in the envelope');
  const e = opts.envelope ?? {};
  const now = new Date(wallClockMs());
  const attrs: Record<string, string> = {
    distributionID: e.distributionID ?? `urn:uuid:${randomUUID()}`,
    senderID: e.senderID ?? `tidemark@${hostname()}`,
    sent: e.sent ?? now.toISOString(),
    expires: e.expires ?? new Date(now.getTime() + 24 * 3600_000).toISOString(),
    status: e.status ?? 'Actual',
    kind: e.kind ?? 'Report',
    confidentiality: e.confidentiality ?? 'Unclassified',
    language: e.language ?? 'en',
  };
  return (
    `<tm:envelope xmlns:tm="urn:tidemark:envelope" ${Object.entries(attrs)
      .map(([k, v]) => `${k}="${escapeAttr(v)}"`)
      .join(' ')}>` +
    (e.keywords ?? []).map((k) => `<tm:keyword list="${escapeAttr(k.list)}">${escapeAttr(k.value)}</tm:keyword>`).join('') +
    contents
      .map(
        (c) =>
          `<tm:content format="${c.format.name === 's3xml-embedded' ? 's3xml' : c.format.name}" description="${escapeAttr(c.description)}"${
            c.id ? ` id="${escapeAttr(c.id)}"` : ''
          }>${c.xml}</tm:content>`,
      )
      .join('') +
    '</tm:envelope>'
  );
}

function envelope(format: FormatDef, s3xml: string, opts: ExportOptions): ExportedDocument {
  const request = envelopeRequest(s3xml, opts);
  const { xml, doc: parsed } = run(format, request, opts.params ?? {})[0]!;
  const doc = parsed ?? parseXml(xml, { readOnly: true });
  check(doc, format, opts);
  return { format: format.name, mediaType: format.mediaType, xml: XML_DECL + withoutDecl(xml), doc };
}
