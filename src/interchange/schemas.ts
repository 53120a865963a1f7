import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Document } from 'libxmljs2';
import { TidemarkError } from '../errors.js';
import { type FormatDef, XSD_DIR } from './formats.js';
import { parseXml } from './xml.js';

/**
 * XSD validation with libxml2. Schema documents are read and parsed once and kept; several
 * schemas that must be active together (an EDXL-DE envelope and the CAP inside it) are loaded
 * through a small generated driver that imports each by absolute path, because libxml2 only
 * checks wildcard content whose namespace's schema is loaded, and keeps only the first schema it
 * sees for a namespace.
 */
export interface ValidationIssue {
  line: number;
  element?: string;
  message: string;
}

export type SchemaSource = 'project' | 'official';

/** The folder of official OASIS schemas: `--schemas DIR`, else TIDEMARK_SCHEMAS. */
export function officialSchemasDir(explicit?: string): string | undefined {
  const dir = explicit ?? process.env.TIDEMARK_SCHEMAS;
  return dir ? resolve(dir) : undefined;
}

const cache = new Map<string, Document>();

function schemaFile(format: FormatDef, source: SchemaSource, dir?: string): string {
  const ref = format.schema?.[source];
  if (!ref) throw new TidemarkError('unsupported', `format ${format.name} has no ${source} schema`);
  if (source === 'project') return join(XSD_DIR, ref);
  const base = officialSchemasDir(dir);
  if (!base) {
    throw new TidemarkError('unsupported', 'no folder of official schemas given (--schemas DIR or TIDEMARK_SCHEMAS)');
  }
  return join(base, ref);
}

function loadSchemaDoc(files: string[]): Document {
  const key = files.join('|');
  const hit = cache.get(key);
  if (hit) return hit;
  for (const f of files) if (!existsSync(f)) throw new TidemarkError('not_found', `schema file not found: ${f}`);
  let doc: Document;
  if (files.length === 1) {
    doc = parseXml(readFileSync(files[0]!, 'utf8'), { baseUrl: files[0]! });
  } else {
    // Namespaces are read from each schema's targetNamespace so the driver imports them correctly.
    const imports = files.map((f) => {
      const tns = /targetNamespace\s*=\s*["']([^"']+)["']/.exec(readFileSync(f, 'utf8'))?.[1] ?? '';
      return `<xs:import namespace="${tns}" schemaLocation="${f}"/>`;
    });
    const driver = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">${imports.join('')}</xs:schema>`;
    doc = parseXml(driver, { baseUrl: join(XSD_DIR, 'driver.xsd') });
  }
  cache.set(key, doc);
  return doc;
}

const ELEMENT_IN_MESSAGE = /Element '(?:\{[^}]*\})?([^']+)'/;

/**
 * Validates `doc` against the schemas of `formats` (first the document's own format, then those
 * of any content it wraps). Returns the problems; an empty list means valid.
 */
export function validateDoc(doc: Document, formats: FormatDef[], source: SchemaSource, dir?: string): ValidationIssue[] {
  const [main, ...contained] = formats;
  if (!main?.schema?.[source]) throw new TidemarkError('unsupported', `format ${main?.name} has no ${source} schema`);
  // Content inside the document is checked with its official schema when there is one, else with
  // the project's (S3XML embedded in an envelope has no official schema).
  const files = [
    ...new Set([
      schemaFile(main, source, dir),
      ...contained.map((f) => schemaFile(f, f.schema?.[source] ? source : 'project', dir)),
    ]),
  ];
  const xsd = loadSchemaDoc(files);
  let ok: boolean;
  try {
    ok = doc.validate(xsd);
  } catch (e) {
    throw new TidemarkError('unsupported', `schema ${files.join(', ')} does not compile: ${(e as Error).message}`);
  }
  if (ok) return [];
  return doc.validationErrors.map((e) => {
    const message = String(e.message ?? e).trim();
    const element = ELEMENT_IN_MESSAGE.exec(message)?.[1];
    return { line: e.line ?? 0, ...(element ? { element } : {}), message };
  });
}
