import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import libxml from 'libxmljs2';
import { TidemarkError } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/interchange/formats.js';
import { REFERENCE_DATA } from '../../src/registry/reference-data.js';
import { exportRecords, type ExportOptions, type ExportSummary } from '../../src/s3xml/index.js';
import type { Store } from '../../src/store/index.js';

/** Eden's bed_type codes (src/registry/eden-codes.ts). */
export const ADULT_ICU = 1;
export const NEONATAL_ICU = 3;
export const FLOOD = REFERENCE_DATA.event_event_type![0]!.uuid;

/** Exports into a string. */
export async function exportText(store: Store, opts: Partial<ExportOptions> = {}): Promise<{ text: string; summary: ExportSummary }> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  const summary = await exportRecords(store, { format: 's3xml', ...opts }, out);
  out.end();
  return { text: Buffer.concat(parts).toString('utf8'), summary };
}

/**
 * The records of an export, in a canonical order, without what differs between instances by
 * design (the cursor, the instance id, and the order of the feed, which is each instance's own
 * change sequence).
 */
export function comparable(text: string): string {
  if (text.startsWith('{')) {
    const doc = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(doc).sort()) {
      if (['@cursor', '@tm_instance', '@domain'].includes(k)) continue;
      const v = doc[k];
      out[k] = Array.isArray(v) ? [...(v as { '@uuid': string }[])].sort((x, y) => x['@uuid'].localeCompare(y['@uuid'])) : v;
    }
    return JSON.stringify(out, null, 1);
  }
  const body = text.replace(/ (cursor|tm_instance|domain)="[^"]*"/g, '');
  const parts = body.split(/\n(?= {2}<resource )/);
  const head = parts.shift()!;
  const last = parts.pop()!.replace(/\n<\/s3xml>\n$/, '');
  return [head, ...[...parts, last].sort()].join('\n');
}

const XSD_FILE = join(PROJECT_ROOT, 'xsd', 's3xml.xsd');
const schema = libxml.parseXml(readFileSync(XSD_FILE, 'utf8'), { baseUrl: XSD_FILE });

/** Validates an S3XML document against xsd/s3xml.xsd; returns the problems (empty when valid). */
export function schemaProblems(xml: string): string[] {
  const doc = libxml.parseXml(xml, { nonet: true, huge: true });
  if (doc.validate(schema)) return [];
  return doc.validationErrors.map((e) => `line ${e.line}: ${e.message.trim()}`);
}

/** Runs `fn` and returns the TidemarkError it throws, checking its code. */
export async function refused(fn: () => unknown, code: TidemarkError['code']): Promise<TidemarkError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof TidemarkError, `expected a TidemarkError, got ${String((e as Error).stack ?? e)}`);
    assert.equal(e.code, code, e.describe());
    return e;
  }
  return assert.fail('expected a refusal');
}

/** Everything a store holds that an import could change: the feed head and every row count. */
export async function snapshot(store: Store): Promise<string> {
  const counts: string[] = [`head=${await store.head()}`];
  for (const r of store.registry.all()) counts.push(`${r.name}=${await store.count(r.name, { includeDeleted: true })}`);
  return counts.join(' ');
}

/**
 * A small but complete data set: an organisation with an office, a location, two hospitals with
 * bed capacity, status and services, a shelter, a CAP alert with info and area (JSON fields,
 * datetimes), one merged and one deleted record.
 */
export async function seed(store: Store): Promise<Record<string, string>> {
  const loc = await store.create('gis_location', { name: 'Kisumu <town> & "port"', level: 'L2', lat: -0.0917, lon: 34.768 });
  const org = await store.create('org_organisation', { name: 'Lake Relief', acronym: 'LR', country: 'KE' });
  const dup = await store.create('org_organisation', { name: 'Lake Relief (duplicate)' });
  const office = await store.create('org_office', { name: 'Kisumu office', organisation_id: dup.uuid, location_id: loc.uuid, obsolete: false, comments: 'line one\nline two\ttabbed' });
  const h1 = await store.create('med_hospital', { name: 'Jaramogi Hospital', organisation_id: org.uuid, location_id: loc.uuid, total_beds: 450, available_beds: 12, obsolete: false });
  const h2 = await store.create('med_hospital', { name: 'Closed Clinic', facility_type: 11 });
  await store.create('med_bed_capacity', { hospital_id: h1.uuid, bed_type: ADULT_ICU, beds_baseline: 20, beds_available: 3, date: '2026-03-01T08:00:00Z', capacity_status: 'VacantAvailable' });
  await store.create('med_bed_capacity', { hospital_id: h1.uuid, bed_type: NEONATAL_ICU, beds_baseline: 8, beds_available: 0, capacity_status: 'NotAvailable' });
  await store.create('med_hospital_status', { hospital_id: h1.uuid, ems_status: 2, facility_status: 2, ems_reason: 'Flooded access road' });
  await store.create('med_hospital_services', { hospital_id: h1.uuid, burn: true, card: false, surg: true });
  await store.create('cr_shelter', { name: 'School shelter', capacity_day: 300, population: 120, status: 'Open', location_id: loc.uuid, organisation_id: org.uuid });
  const alert = await store.create('cap_alert', { identifier: 'KE-2026-001', sender: 'met@example.org', sent: '2026-03-01T06:00:00+03:00', status: 'Actual', msg_type: 'Alert', scope: 'Public', codes: ['a', 'b'] });
  const info = await store.create('cap_info', { alert_id: alert.uuid, category: ['Met', 'Safety'], event: 'Flood', event_type_id: FLOOD, urgency: 'Expected', severity: 'Severe', certainty: 'Likely', parameter: { layer: 'x', n: 2 }, expires: '2026-03-02T06:00:00Z' });
  await store.create('cap_area', { alert_id: alert.uuid, info_id: info.uuid, name: 'Lakeshore', polygon: [[-0.1, 34.7], [-0.2, 34.8], [-0.1, 34.7]], altitude: 1134.5 });
  await store.merge('org_organisation', dup.uuid, org.uuid);
  await store.remove('med_hospital', h2.uuid);
  return { loc: loc.uuid, org: org.uuid, dup: dup.uuid, office: office.uuid, h1: h1.uuid, h2: h2.uuid, alert: alert.uuid, info: info.uuid };
}
