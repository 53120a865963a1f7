import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Element } from 'libxmljs2';
import { TidemarkError } from '../src/errors.js';
import { PROJECT_ROOT } from '../src/interchange/formats.js';
import { mapDocument, toS3xml } from '../src/interchange/inbound.js';
import { exportDocuments, type EnvelopeOptions } from '../src/interchange/outbound.js';
import { isSigned } from '../src/interchange/signature.js';
import { transform } from '../src/interchange/stylesheets.js';
import { formatForElement, validateDocument } from '../src/interchange/validate.js';
import { parseXml } from '../src/interchange/xml.js';
import { canonical } from './canonical.js';
import { compareRecords, type FieldLoss } from './roundtrip.js';

/**
 * The conformance suite: runs the cases in cases.json and reports one result per check. Used by
 * conformance/conformance.test.ts (part of `npm test`), and on its own:
 *   node --import tsx conformance/runner.ts [--update]   (--update rewrites expected/ outputs)
 */
export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const STANDARDS = resolve(process.env.TIDEMARK_SCHEMAS ?? join(PROJECT_ROOT, '..', 'shared', 'standards'));

interface ExportCase {
  name: string;
  format: string;
  input: string;
  content?: string;
  params?: Record<string, string>;
  expected: string[];
}
interface Cases {
  export: ExportCase[];
  envelope: EnvelopeOptions;
  roundtripHave: { input: string; unmapped: Record<string, string[]> };
  roundtripCap: string[];
  examples: { refusedValid: Record<string, string> };
}

export interface Result {
  check: string;
  ok: boolean;
  detail?: string;
}

export const cases = (): Cases => JSON.parse(readFileSync(join(HERE, 'cases.json'), 'utf8')) as Cases;
const local = (p: string): string => (p.startsWith('standards/') ? join(STANDARDS, p.slice('standards/'.length)) : join(HERE, p));
const read = (p: string): string => readFileSync(local(p), 'utf8');

/** Outbound: every document valid against project and official schemas, equal to the expected one. */
export function runExport(c: ExportCase, env: EnvelopeOptions, update?: (file: string, xml: string) => void): Result[] {
  const docs = exportDocuments(c.format, read(c.input), {
    schemasDir: STANDARDS,
    envelope: env,
    ...(c.content ? { content: c.content } : {}),
    ...(c.params ? { params: c.params } : {}),
  });
  const out: Result[] = [{ check: `${c.name}: ${docs.length} document(s), valid against project and official schemas`, ok: docs.length === c.expected.length }];
  docs.forEach((d, i) => {
    const file = c.expected[i];
    if (!file) return;
    if (update) update(local(file), d.xml);
    const same = canonical(d.xml) === canonical(read(file));
    out.push({ check: `${c.name}: output ${i + 1} equals ${file} after canonicalisation`, ok: same, ...(same ? {} : { detail: firstDifference(canonical(d.xml), canonical(read(file))) }) });
  });
  return out;
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, n) => l !== y[n]);
  return `line ${i + 1}: got "${x[i]}", expected "${y[i]}"`;
}

const lossText = (l: FieldLoss[]): string => l.slice(0, 5).map((x) => `${x.resource}[${x.key}].${x.field}: ${x.before} -> ${x.after ?? '(missing)'}`).join('; ');

/** S3XML -> HAVE -> S3XML keeps every field the mapping carries. */
export async function runRoundtripHave(c: Cases['roundtripHave']): Promise<Result[]> {
  const before = read(c.input);
  const have = exportDocuments('edxl-have', before)[0]!.xml;
  const [after] = await toS3xml('edxl-have', have, { schemasDir: STANDARDS });
  const doc = parseXml(before);
  const nameOf = (uuid: string): string => (doc.get(`//resource[@uuid="${uuid}"]/data[@field="name"]`) as Element | null)?.text() ?? uuid;
  const byName = (r: Element): string => (r.get('data[@field="name"]') as Element | null)?.text() ?? '';
  const master = (r: Element): string => {
    const p = r.parent() as Element;
    return p.attr('uuid') ? byName(p) || nameOf(p.attr('uuid')!.value()) : '';
  };
  const results: Result[] = [];
  const checks: [string, (r: Element) => string, string[]][] = [
    ['med_hospital', byName, c.unmapped.med_hospital ?? []],
    ['med_hospital_status', master, []],
    ['med_hospital_services', master, []],
    ['med_bed_capacity', (r) => `${master(r)}/${((e: Element) => e.attr('value')?.value() ?? e.text())(r.get('data[@field="bed_type"]') as Element)}/${(r.get('data[@field="unit_name"]') as Element | null)?.text() ?? ''}`, []],
  ];
  for (const [resource, key, unmapped] of checks) {
    const losses = compareRecords(before, after!, resource, key, unmapped);
    results.push({ check: `S3XML -> EDXL-HAVE -> S3XML keeps every mapped ${resource} field`, ok: !losses.length, ...(losses.length ? { detail: lossText(losses) } : {}) });
  }
  // Only the latest day of activity travels (HAVE's Activity24Hr is one day).
  const latest = (xml: string, hospital: string): Element | undefined =>
    (parseXml(xml).find(`//resource[@name="med_hospital"][data[@field="name"]="${hospital}"]/resource[@name="med_hospital_activity"]`) as Element[])
      .sort((a, b) => ((b.get('data[@field="date"]') as Element).attr('value')!.value() > (a.get('data[@field="date"]') as Element).attr('value')!.value() ? 1 : -1))[0];
  const hospitals = (doc.find('//resource[@name="med_hospital"][resource[@name="med_hospital_activity"]]/data[@field="name"]') as Element[]).map((e) => e.text());
  for (const h of hospitals) {
    const a = latest(before, h);
    const b = latest(after!, h);
    const losses = a && b ? compareRecords(`<s3xml>${a.toString()}</s3xml>`, `<s3xml>${b.toString()}</s3xml>`, 'med_hospital_activity', () => h) : [];
    results.push({ check: `S3XML -> EDXL-HAVE -> S3XML keeps the latest activity of ${h}`, ok: !!b && !losses.length, ...(losses.length ? { detail: lossText(losses) } : {}) });
  }
  const locs = compareRecords(before, after!, 'gis_location', (r) => `${(r.get('data[@field="lat"]') as Element).attr('value')!.value()},${(r.get('data[@field="lon"]') as Element).attr('value')!.value()}`, ['name']);
  results.push({ check: 'S3XML -> EDXL-HAVE -> S3XML keeps locations (coordinates, street, post code)', ok: !locs.length, ...(locs.length ? { detail: lossText(locs) } : {}) });
  return results;
}

const CAP_TIMES = ['sent', 'effective', 'onset', 'expires'];

/** CAP -> S3XML -> CAP gives the same alert (date-times compared as instants). */
export async function runRoundtripCap(source: string): Promise<Result[]> {
  const docs = source.startsWith('export:') ? exportDocuments('cap', read(source.slice(7))).map((d) => d.xml) : [read(source)];
  const results: Result[] = [];
  for (const cap of docs) {
    const [s3] = await toS3xml('cap', cap, { schemasDir: STANDARDS });
    const back = transform('s3xml-to-cap.xsl', s3!);
    const same = canonical(back, { instants: CAP_TIMES }) === canonical(cap, { instants: CAP_TIMES });
    const id = parseXml(cap).get<Element>('//*[local-name()="identifier"]')!.text();
    results.push({
      check: `CAP -> S3XML -> CAP keeps every element of ${id}`,
      ok: same,
      ...(same ? {} : { detail: firstDifference(canonical(back, { instants: CAP_TIMES }), canonical(cap, { instants: CAP_TIMES })) }),
    });
  }
  return results;
}

/** Every official example: valid ones import (or are refused for the reason given), invalid ones are refused. */
export function runExamples(refusedValid: Record<string, string>): Result[] {
  return examplePaths().map((path) => {
    const valid = path.includes('/valid/');
    const text = readFileSync(join(STANDARDS, path), 'utf8');
    const format = formatForElement(parseXml(text).root()!);
    let error: TidemarkError | undefined;
    try {
      if (!format) throw new TidemarkError('unsupported', 'no format for this document type');
      if (isSigned(text) && !format.envelope) {
        // Signed examples need a trusted partner certificate: schema-check them only.
        const issues = validateDocument(parseXml(text), format, 'official', { schemasDir: STANDARDS });
        if (issues.length) throw new TidemarkError('malformed', issues[0]!.message, { line: issues[0]!.line });
        throw new TidemarkError('forbidden', 'signature: signed by a partner outside the trust store');
      }
      mapDocument(format.name, text, { schemasDir: STANDARDS });
    } catch (e) {
      if (!(e instanceof TidemarkError)) throw e;
      error = e;
    }
    if (!valid) {
      const precise = !!error && (error.code !== 'malformed' || error.where.line !== undefined || /schema|well-formed/.test(error.message));
      return { check: `${path} (invalid) is refused`, ok: precise, ...(error ? { detail: error.describe() } : { detail: 'it was accepted' }) };
    }
    const reason = refusedValid[path];
    if (reason) {
      const ok = !!error && (error.message.includes(reason) || error.describe().includes(reason));
      return { check: `${path} (valid) is refused for "${reason}"`, ok, ...(error ? { detail: error.describe() } : { detail: 'it was accepted' }) };
    }
    return { check: `${path} (valid) maps to S3XML`, ok: !error, ...(error ? { detail: error.describe() } : {}) };
  });
}

/** The project's schemas and the official ones say the same (valid or invalid) about every example. */
export function runSchemaAgreement(): Result[] {
  return examplePaths().flatMap((path) => {
    const doc = parseXml(readFileSync(join(STANDARDS, path), 'utf8'));
    const format = formatForElement(doc.root()!);
    if (!format?.schema?.project) return [];
    const project = validateDocument(doc, format, 'project').length === 0;
    const official = validateDocument(doc, format, 'official', { schemasDir: STANDARDS }).length === 0;
    const expected = path.includes('/valid/');
    return [{ check: `${path}: project schema says ${project ? 'valid' : 'invalid'}, official says ${official ? 'valid' : 'invalid'}`, ok: project === official && official === expected }];
  });
}

function examplePaths(): string[] {
  return readFileSync(join(STANDARDS, 'examples', 'manifest.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t')[0]!);
}

export async function runAll(update?: (file: string, xml: string) => void): Promise<Result[]> {
  const c = cases();
  const results: Result[] = [];
  for (const e of c.export) results.push(...runExport(e, c.envelope, update));
  results.push(...(await runRoundtripHave(c.roundtripHave)));
  for (const s of c.roundtripCap) results.push(...(await runRoundtripCap(s)));
  results.push(...runExamples(c.examples.refusedValid));
  results.push(...runSchemaAgreement());
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { writeFileSync } = await import('node:fs');
  const update = process.argv.includes('--update') ? (file: string, xml: string) => writeFileSync(file, xml) : undefined;
  const results = await runAll(update);
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.check}${r.ok || !r.detail ? '' : `\n      ${r.detail}`}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
