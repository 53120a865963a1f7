import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TidemarkError } from '../errors.js';

/**
 * A format is data, not code: `xslt/formats.json` says what each one is called, which stylesheets
 * map it to and from S3XML, and which schemas check it. Adding a format means adding a stylesheet
 * pair, a schema and an entry in that file.
 */
export interface SchemaRef {
  /** File under the project's `xsd/`. */
  project?: string;
  /** Entry-point XSD relative to a folder of official OASIS schemas (`--schemas DIR`). */
  official?: string;
}

export interface FormatDef {
  readonly name: string;
  readonly title: string;
  readonly mediaType: string;
  /** Namespace and local name of the document element (what `validate` and EDXL-DE routing key on). */
  readonly namespace?: string;
  readonly root?: string;
  /** The master resources whose records the format carries. */
  readonly resources: readonly string[];
  /** Stylesheet (in `xslt/`) from S3XML to this format; absent: not exportable. */
  readonly export?: string;
  /** Stylesheet (in `xslt/`) from this format to S3XML; absent: not importable. */
  readonly import?: string;
  readonly schema?: SchemaRef;
  /** An envelope carries content of other formats (EDXL-DE). */
  readonly envelope?: boolean;
  /** Handled natively by src/s3xml (S3XML, S3JSON): no stylesheet, listed for completeness. */
  readonly native?: boolean;
  /** May carry an enveloped XML signature. */
  readonly signable?: boolean;
  /** Only ever found inside an envelope (S3XML in EDXL-DE, XML signatures). */
  readonly content?: boolean;
  /** One document per master record (CAP: one alert per document). */
  readonly perRecord?: boolean;
  /** Formats whose documents this one embeds (the Atom feed carries CAP alerts). */
  readonly contains?: readonly string[];
  /** Fixed stylesheet parameters (e.g. the EDXL-DE version). */
  readonly params?: Readonly<Record<string, string>>;
}

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const XSLT_DIR = join(PROJECT_ROOT, 'xslt');
export const XSD_DIR = join(PROJECT_ROOT, 'xsd');

let loaded: Map<string, FormatDef> | undefined;

function load(): Map<string, FormatDef> {
  if (loaded) return loaded;
  const raw = JSON.parse(readFileSync(join(XSLT_DIR, 'formats.json'), 'utf8')) as { formats: FormatDef[] };
  loaded = new Map(raw.formats.map((f) => [f.name, Object.freeze(f)]));
  return loaded;
}

export function listFormats(): FormatDef[] {
  return [...load().values()];
}

export function getFormat(name: string): FormatDef {
  const f = load().get(name);
  if (!f) {
    throw new TidemarkError('unsupported', `unknown format "${name}" (known: ${[...load().keys()].join(', ')})`);
  }
  return f;
}

/** The format whose document element is `{namespace}root`, if Tidemark speaks it. */
export function formatForRoot(namespace: string | undefined, root: string): FormatDef | undefined {
  return listFormats().find((f) => f.root === root && (f.namespace ?? '') === (namespace ?? '') && f.import);
}
