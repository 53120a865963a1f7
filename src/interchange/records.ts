import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { Element } from 'libxmljs2';
import { TidemarkError } from '../errors.js';
import { exportRecords, registerRecordFormat, type ExportSummary, type ImportSummary } from '../s3xml/index.js';
import type { FormatExportOptions } from '../s3xml/formats.js';
import { textPieces, type DocumentInput } from '../s3xml/source.js';
import type { Store } from '../store/index.js';
import { listFormats, type FormatDef } from './formats.js';
import { importDocument, type InboundOptions } from './inbound.js';
import { exportDocuments, type EnvelopeOptions, type ExportedDocument } from './outbound.js';
import { officialSchemasDir } from './schemas.js';
import { isSigned, TrustStore } from './signature.js';
import { verifySigned } from './signature-check.js';
import { warmUp } from './stylesheets.js';
import { parseXml, serialize } from './xml.js';

/**
 * The store side of the interchange: records out of the store as validated standard documents,
 * standard documents into the store. The CLI (`export`/`import --format`) reaches these through
 * the record-format table of src/s3xml; the HTTP feeds and partner pushes call them directly.
 */

/** A bounding box `minLat,minLon,maxLat,maxLon` (the `area` filter of the feeds). */
export interface Area {
  minLat: number;
  minLon: number;
  maxLat: number;
  maxLon: number;
}

export function parseArea(text: string): Area {
  const n = text.split(',').map((s) => Number(s.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isFinite(x)) || n[0]! > n[2]! || n[1]! > n[3]!) {
    throw new TidemarkError('invalid', `area "${text}" is not minLat,minLon,maxLat,maxLon`, { field: 'area' });
  }
  return { minLat: n[0]!, minLon: n[1]!, maxLat: n[2]!, maxLon: n[3]! };
}

const inside = (a: Area, lat: number, lon: number): boolean => lat >= a.minLat && lat <= a.maxLat && lon >= a.minLon && lon <= a.maxLon;

/**
 * Keeps the records that lie in the area: hospitals (and other located records) by their location
 * reference, CAP alerts when a point of one of their polygons or circles lies inside.
 */
export function filterArea(s3xml: string, area: Area): string {
  const doc = parseXml(s3xml);
  for (const r of doc.find('/s3xml/resource') as Element[]) {
    const name = r.attr('name')?.value();
    if (name === 'cap_alert') {
      const points = (r.find('resource[@name="cap_area"]/data[@field="polygon" or @field="circle"]/@value') as unknown as { value(): string }[])
        .flatMap((a) => (JSON.parse(a.value()) as string[]).flatMap((s) => s.trim().split(/\s+/)))
        .map((p) => p.split(',').map(Number))
        .filter((p) => p.length === 2);
      if (!points.some(([lat, lon]) => inside(area, lat!, lon!))) r.remove();
    } else if (name !== 'gis_location') {
      const loc = r.get<Element>('reference[@field="location_id"]');
      const lat = Number(loc?.attr('lat')?.value());
      const lon = Number(loc?.attr('lon')?.value());
      if (!loc || !Number.isFinite(lat) || !Number.isFinite(lon) || !inside(area, lat, lon)) r.remove();
    }
  }
  return serialize(doc);
}

class Collect extends Writable {
  readonly parts: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.parts.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    cb();
  }
}

/** Which resources to read from the store for a format (locations too, for addresses and points, unless `withLocations` is false). */
function resourcesFor(format: FormatDef, asked?: string[], withLocations = true): string[] {
  const base = asked?.length ? asked : format.envelope ? ['med_hospital'] : format.resources.filter((r) => r !== '*');
  return withLocations && base.includes('med_hospital') && !base.includes('gis_location') ? [...base, 'gis_location'] : base;
}

export interface StoreExportOptions extends FormatExportOptions {
  area?: Area;
  schemasDir?: string;
  envelope?: EnvelopeOptions;
  /** For envelopes: the content format (default from the records). */
  content?: string;
  params?: Record<string, string>;
  /**
   * false: the masters alone, without the locations they refer to (the warm-up: a limit counts
   * locations too, and they come first, so the first 50 records of a store may hold no hospital).
   */
  withLocations?: boolean;
}

/** Exports records from the store as validated documents of `formatName`. */
export async function exportFromStore(
  store: Store,
  formatName: string,
  format: FormatDef,
  opts: StoreExportOptions,
): Promise<{ documents: ExportedDocument[]; summary: ExportSummary }> {
  const sink = new Collect();
  const resources = resourcesFor(format, opts.resources, opts.withLocations);
  for (const r of resources) store.registry.get(r);
  const summary = await exportRecords(store, { ...opts, resources, format: 's3xml', includeDeleted: false }, sink);
  let s3xml = sink.parts.join('');
  if (opts.area) s3xml = filterArea(s3xml, opts.area);
  const masters = resources.filter((r) => r !== 'gis_location');
  if (!masters.some((r) => s3xml.includes(`<resource name="${r}"`))) {
    throw new TidemarkError('not_found', `no ${masters.join(', ')} records match`);
  }
  const documents = exportDocuments(formatName, s3xml, {
    ...(opts.schemasDir ?? officialSchemasDir() ? { schemasDir: opts.schemasDir ?? officialSchemasDir() } : {}),
    ...(opts.params ? { params: opts.params } : {}),
    ...(opts.envelope ? { envelope: opts.envelope } : {}),
    ...(opts.content ? { content: opts.content } : format.envelope && resources.includes('cap_alert') ? { content: 'cap' } : {}),
  });
  return { documents, summary };
}

/**
 * Readies every feed before its first request: the stylesheets checked against their hashes and
 * loaded (warmUp), then each feed run on a few of the store's own records, round after round until
 * a round costs no less than the one before (at most `rounds`). One run is not enough: SaxonJS
 * builds its code for the templates on the first, but V8 only optimises that code and the XML
 * parser's after several (measured: 1.3 s, 1.3 s, 0.9 s, 0.6 s, then 0.45 s for the 50 sample
 * hospitals' EDXL-HAVE). The service calls it in the background once listening, one feed per
 * event-loop turn; an empty store just skips the second part. Returns the rounds run.
 */
export async function warmFeeds(store: Store, sample = 50, rounds = 6): Promise<number> {
  await warmUp();
  const feeds = listFormats().filter((f) => f.export && !f.content && !f.perRecord);
  let previous = Infinity;
  for (let round = 1; round <= rounds; round++) {
    const started = performance.now();
    for (const f of [...feeds]) {
      await new Promise((done) => setImmediate(done));
      try {
        await exportFromStore(store, f.name, f, { limit: sample, withLocations: false, params: f.name === 'cap-atom' ? { 'feed-url': 'http://localhost/feeds/cap' } : {} });
      } catch (e) {
        if (!(e instanceof TidemarkError && e.code === 'not_found')) throw e;
        feeds.splice(feeds.indexOf(f), 1); // nothing to serve: nothing to warm
      }
    }
    const ms = performance.now() - started;
    // settled: no faster than the round before (10% for noise), or nothing to run
    if (!feeds.length || ms > previous * 0.9) return round;
    previous = ms;
    // Envelopes run their content's stylesheet too: once is enough for their own (small) one.
    if (round === 1) feeds.splice(0, feeds.length, ...feeds.filter((f) => !f.envelope));
  }
  return rounds;
}

async function readAll(input: DocumentInput, maxBytes: number): Promise<string> {
  let text = '';
  for await (const piece of textPieces(input, maxBytes)) text += piece;
  return text;
}

const DEFAULT_MAX = 32 * 1024 * 1024;

/**
 * A signed document is imported as exactly what its signature covers (the verified canonical XML),
 * never as the file's own tree; one that cannot be verified is not imported at all.
 */
async function verifiedText(text: string, trust: string | undefined): Promise<string> {
  if (!isSigned(text)) return text;
  if (!trust) {
    throw new TidemarkError('forbidden', 'the document is signed: name the certificates of its signers with --trust (a file or folder) so that what is imported is what the signature covers');
  }
  return (await verifySigned(text, TrustStore.fromPath(trust))).xml;
}

/** Registers every stylesheet format with the record-format table (CLI export/import). */
export function registerInterchangeFormats(): void {
  for (const f of listFormats()) {
    if (f.native || f.content) continue;
    registerRecordFormat({
      name: f.name,
      mediaType: f.mediaType,
      extension: 'xml',
      ...(f.export
        ? {
            export: async (store, opts, out) => {
              const { documents, summary } = await exportFromStore(store, f.name, f, opts);
              if (!documents.length) throw new TidemarkError('not_found', `no records to write as ${f.name}`);
              if (documents.length > 1) {
                throw new TidemarkError(
                  'invalid',
                  `${f.name} is one document per record and ${documents.length} were selected: narrow the selection (--limit 1, --since), or use --format cap-atom or --format edxl-de for several`,
                );
              }
              out.write(documents[0]!.xml);
              return summary;
            },
          }
        : {}),
      ...(f.import || f.envelope
        ? {
            import: async (store, input, opts): Promise<ImportSummary> => {
              const text = await verifiedText(await readAll(input, opts.maxBytes ?? DEFAULT_MAX), opts.trust);
              const inbound: InboundOptions = { maxBytes: opts.maxBytes ?? DEFAULT_MAX };
              const dir = officialSchemasDir();
              if (dir) inbound.schemasDir = dir;
              const s = await importDocument(store, f.name, text, inbound);
              return { ...s, skipped: s.skipped + s.unchanged };
            },
          }
        : {}),
    });
  }
}
