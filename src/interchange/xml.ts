import libxml, { type Document, type Element } from 'libxmljs2';
import { TidemarkError } from '../errors.js';

/**
 * Parsing XML that comes from outside. libxml2 is told never to touch the network, never to load
 * a DTD and never to substitute entities; on top of that a document that declares entities or
 * points at an external DTD is refused outright (billion-laughs and XXE never reach the parser's
 * entity machinery), and size and nesting depth are bounded.
 */
export interface XmlLimits {
  /** Largest accepted document, in bytes (UTF-8). */
  maxBytes: number;
  /** Deepest accepted element nesting. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: XmlLimits = {
  maxBytes: Number(process.env.TIDEMARK_XML_MAX_BYTES ?? 32 * 1024 * 1024),
  maxDepth: 64,
};

/** Where in the source a position lies (1-based line). */
function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Refuses entity declarations and external DTDs. Every search here starts once and runs forward
 * (no lazy regular expression retried from each `<!DOCTYPE`), so the check stays linear in the input
 * whatever is repeated in it.
 */
function checkDoctype(text: string): void {
  const start = text.search(/<!DOCTYPE\b/i);
  if (start < 0) return;
  const where = { line: lineOf(text, start), element: '!DOCTYPE' };
  const close = text.indexOf('>', start);
  if (close < 0) return; // an unclosed DOCTYPE is not well-formed: the parser says so
  // The internal subset may itself contain '>' characters; look at everything up to its end.
  const subset = text.indexOf('[', start);
  const subsetEnd = subset >= 0 && subset < close ? text.indexOf(']>', subset) : -1;
  const head = text.slice(start, subsetEnd >= 0 ? subsetEnd + 2 : close + 1);
  if (/<!ENTITY/i.test(head)) throw new TidemarkError('malformed', 'DOCTYPE with entity declarations is refused', where);
  if (/\b(SYSTEM|PUBLIC)\b/.test(text.slice(start + 9, subset >= 0 && subset < close ? subset : close))) {
    throw new TidemarkError('malformed', 'DOCTYPE with an external DTD is refused', where);
  }
}

function checkDepth(root: Element, maxDepth: number): void {
  // One XPath query in libxml2 rather than a walk that wraps every node in a JS object.
  const deep = root.get<Element>(`/*${'/*'.repeat(maxDepth)}`);
  if (deep) {
    throw new TidemarkError('malformed', `elements nested deeper than ${maxDepth} levels`, { line: deep.line(), element: deep.name() });
  }
}

export interface ParseOptions extends Partial<XmlLimits> {
  /** Used to resolve relative references (schemas); never fetched from the network. */
  baseUrl?: string;
  /**
   * The caller only reads the document (validates it, queries it, detaches parts as text): short
   * text is then stored inside its node instead of in an allocation of its own (libxml2's
   * compact mode), about a quarter less parse time. Never for a document that is changed.
   */
  readOnly?: boolean;
}

/** Parses untrusted XML text into a libxml2 document, or throws a TidemarkError naming the line. */
export function parseXml(text: string, opts: ParseOptions = {}): Document {
  const limits = { ...DEFAULT_LIMITS, ...opts };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    throw new TidemarkError('too_large', `document of ${bytes} bytes is over the limit of ${limits.maxBytes}`);
  }
  checkDoctype(text);
  let doc: Document;
  try {
    doc = libxml.parseXml(text, {
      nonet: true,
      noent: false,
      dtdload: false,
      dtdvalid: false,
      dtdattr: false,
      xinclude: false,
      huge: false,
      compact: opts.readOnly === true,
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    });
  } catch (e) {
    const err = e as { message?: string; line?: number; column?: number };
    throw new TidemarkError('malformed', `not well-formed XML: ${(err.message ?? String(e)).trim()}`, {
      ...(err.line ? { line: err.line } : {}),
      ...(err.column ? { column: err.column } : {}),
    });
  }
  const root = doc.root();
  if (!root) throw new TidemarkError('malformed', 'document has no root element');
  checkDepth(root, limits.maxDepth);
  return doc;
}

/** `{namespace}local` of an element, the form errors and routing use. */
export function qname(el: Element): string {
  const ns = el.namespace();
  return ns ? `{${ns.href()}}${el.name()}` : el.name();
}

/**
 * The text of `el` as a stand-alone document, with every namespace in scope declared on it
 * (Element.toString() drops the ones declared on ancestors; cloning into a new libxmljs document
 * corrupts libxml2's memory, so the declarations are added to the start tag instead).
 */
export function detachXml(el: Element): string {
  const text = el.toString(false);
  const end = text.search(/\/?>/);
  const startTag = text.slice(0, end);
  const decls: string[] = [];
  // Only the prefixes the subtree uses (in element or attribute names, or QName values such as xsi:type).
  const used = new Set([...text.matchAll(/[<\s"'/]([A-Za-z_][\w.-]*):[A-Za-z_]/g)].map((m) => m[1]));
  for (const ns of el.namespaces()) {
    const prefix = ns.prefix();
    const attr = prefix ? `xmlns:${prefix}` : 'xmlns';
    if (prefix === 'xml' || (prefix && !used.has(prefix)) || new RegExp(`\\s${attr}\\s*=`).test(startTag)) continue;
    decls.push(` ${attr}="${ns.href().replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`);
  }
  return startTag + decls.join('') + text.slice(end);
}

/** `el` as a document of its own (see detachXml). */
export function detach(el: Element, opts: ParseOptions = {}): Document {
  return parseXml(detachXml(el), opts);
}

/** Serializes a document without reformatting it. */
export function serialize(doc: Document): string {
  return doc.toString(false);
}
