import type { Writable } from 'node:stream';
import { TidemarkError } from '../errors.js';
import type { Store } from '../store/index.js';
import { exportRecords, type ExportOptions, type ExportSummary } from './export.js';
import { importRecords, type ImportOptions, type ImportSummary } from './import.js';
import type { DocumentInput } from './source.js';

/**
 * The one switch from a format name (`--format`, a `.json` suffix, an Accept header) to the code
 * that writes and reads it. S3XML and S3JSON are native; the interchange stage adds its formats
 * (edxl-have, cap, edxl-de...) with `registerRecordFormat` from its own module, and the CLI and
 * the HTTP routes pick them up from here without further changes.
 */
export type FormatExportOptions = Omit<ExportOptions, 'format'>;
export type FormatImportOptions = Omit<ImportOptions, 'format'> & {
  /** Interchange formats: a certificate file or folder that a signed document must verify against. */
  trust?: string;
};

export interface RecordFormat {
  name: string;
  mediaType: string;
  /** File suffix, without dot. */
  extension: string;
  export?: (store: Store, opts: FormatExportOptions, out: Writable) => Promise<ExportSummary>;
  import?: (store: Store, input: DocumentInput, opts: FormatImportOptions) => Promise<ImportSummary>;
}

const FORMATS = new Map<string, RecordFormat>([
  [
    's3xml',
    {
      name: 's3xml',
      mediaType: 'application/xml',
      extension: 'xml',
      export: (store, opts, out) => exportRecords(store, { ...opts, format: 's3xml' }, out),
      import: (store, input, opts) => importRecords(store, input, { ...opts, format: 's3xml' }),
    },
  ],
  [
    's3json',
    {
      name: 's3json',
      mediaType: 'application/json',
      extension: 'json',
      export: (store, opts, out) => exportRecords(store, { ...opts, format: 's3json' }, out),
      import: (store, input, opts) => importRecords(store, input, { ...opts, format: 's3json' }),
    },
  ],
]);

export function registerRecordFormat(format: RecordFormat): void {
  FORMATS.set(format.name, format);
}

export function recordFormats(): RecordFormat[] {
  return [...FORMATS.values()];
}

export function recordFormat(name: string, direction?: 'export' | 'import'): RecordFormat {
  const f = FORMATS.get(name);
  if (!f) throw new TidemarkError('unsupported', `unknown format "${name}" (known: ${[...FORMATS.keys()].join(', ')})`, { field: 'format' });
  if (direction && !f[direction]) throw new TidemarkError('unsupported', `format "${name}" cannot be used to ${direction}`, { field: 'format' });
  return f;
}
