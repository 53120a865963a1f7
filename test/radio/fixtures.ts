import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { REFERENCE_DATA } from '../../src/registry/reference-data.js';
import { registry } from '../../src/registry/registry.js';
import { EDEN } from '../../src/registry/eden-codes.js';
import type { FieldDef } from '../../src/registry/types.js';
import type { FieldValue } from '../../src/registry/values.js';
import type { RecordVersion } from '../../src/store/types.js';
import { seededRandom } from './simulator.js';

/** Instance ids as the store writes them (plain uuids), plus one odd one the codec must carry as text. */
/** A MAC key for the radio link from one test instance to another (pairing stands in for it in tests without stores). */
export const linkKey = (from: string, to: string): Buffer => createHash('sha256').update(`test link ${from}>${to}`).digest();

export const INSTANCES = ['6f1c0e3a-2b7d-4c59-9a3e-1d2f4b5c6a70', '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d', 'c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f', 'site-A'];

const allReferenceUuids = Object.values(REFERENCE_DATA).flatMap((rows) => rows.map((r) => r.uuid));

const iso = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());

function valueArb(f: FieldDef, uuids: string[]): fc.Arbitrary<FieldValue> {
  let arb: fc.Arbitrary<FieldValue>;
  switch (f.type) {
    case 'string':
    case 'text':
      arb = f.options ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...f.options) }, { weight: 1, arbitrary: fc.string() }) : fc.string({ unit: 'grapheme', maxLength: 60 });
      break;
    case 'integer':
      arb = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger());
      break;
    case 'double':
      arb = fc.oneof(fc.double(), fc.integer({ min: -100000, max: 100000 }), fc.constant(-0));
      break;
    case 'boolean':
      arb = fc.boolean();
      break;
    case 'date':
      arb = fc.oneof({ weight: 5, arbitrary: iso.map((s) => s.slice(0, 10)) }, { weight: 1, arbitrary: fc.constant('2026-02-30') });
      break;
    case 'datetime':
      arb = fc.oneof({ weight: 5, arbitrary: iso }, { weight: 1, arbitrary: fc.constant('2026-03-01T10:00:00Z') });
      break;
    case 'json':
      arb = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as FieldValue);
      break;
    case 'reference':
      arb = fc.oneof(
        fc.uuid().map((u) => `urn:uuid:${u}`),
        fc.constantFrom(...allReferenceUuids),
        uuids.length ? fc.constantFrom(...uuids) : fc.uuid().map((u) => `urn:uuid:${u}`),
        fc.constant('not-a-uuid'),
      );
      break;
  }
  return fc.option(arb, { nil: null, freq: 3 });
}

const hlcArb = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(fc.integer({ min: 1_600_000_000_000, max: 4_000_000_000_000 }), fc.integer({ min: 0, max: 999_999 })).map(([ms, c]) => `${ms}.${String(c).padStart(6, '0')}`) },
  { weight: 1, arbitrary: fc.constant('odd-hlc') },
);

const versionArb = fc.dictionary(fc.constantFrom(...INSTANCES), fc.integer({ min: 1, max: 1_000_000 }), { minKeys: 1, maxKeys: 4, noNullPrototype: true });

/** Any record of any syncable resource, with all the odd values the codec must still carry exactly. */
export function recordArb(uuids: string[] = []): fc.Arbitrary<RecordVersion> {
  return fc.constantFrom(...registry.all().filter((r) => !r.referenceData)).chain((res) =>
    fc
      .record({
        uuid: fc.uuid().map((u) => `urn:uuid:${u}`),
        hlc: hlcArb,
        modSame: fc.boolean(),
        modified: iso,
        created: iso,
        deleted: fc.boolean(),
        replaced_by: fc.option(fc.uuid().map((u) => `urn:uuid:${u}`), { nil: null, freq: 4 }),
        origin: fc.constantFrom(...INSTANCES),
        changed_by: fc.constantFrom(...INSTANCES),
        version: versionArb,
        data: fc.record(Object.fromEntries(res.fields.map((f) => [f.name, valueArb(f, uuids)]))),
      })
      .map((x): RecordVersion => {
        const ms = /^\d{13}\./.test(x.hlc) ? Number(x.hlc.slice(0, 13)) : NaN;
        return {
          resource: res.name,
          uuid: x.uuid,
          created_on: x.created,
          modified_on: x.modSame && Number.isFinite(ms) ? new Date(ms).toISOString() : x.modified,
          deleted: x.deleted,
          replaced_by: x.replaced_by,
          origin: x.origin,
          changed_by: x.changed_by,
          version: x.version,
          hlc: x.hlc,
          data: x.data as Record<string, FieldValue>,
        };
      }),
  );
}

/** A later version of `rec`: some fields changed, the changer's counter bumped (or, sometimes, an arbitrary vector). */
export function changeArb(rec: RecordVersion): fc.Arbitrary<RecordVersion> {
  const res = registry.get(rec.resource);
  return fc
    .record({
      fields: fc.subarray(res.fields.map((f) => f.name), { minLength: 0 }),
      values: fc.record(Object.fromEntries(res.fields.map((f) => [f.name, valueArb(f, [])]))),
      changed_by: fc.constantFrom(...INSTANCES),
      dt: fc.integer({ min: 0, max: 86_400_000 }),
      odd: fc.integer({ min: 0, max: 9 }),
      version: versionArb,
      deleted: fc.boolean(),
    })
    .map((x) => {
      const data = { ...rec.data };
      for (const f of x.fields) data[f] = (x.values as Record<string, FieldValue>)[f]!;
      const ms = (/^\d{13}\./.test(rec.hlc) ? Number(rec.hlc.slice(0, 13)) : 1_700_000_000_000) + x.dt;
      const version = x.odd === 0 ? x.version : { ...rec.version, [x.changed_by]: (rec.version[x.changed_by] ?? 0) + 1 };
      return {
        ...rec,
        data,
        changed_by: x.changed_by,
        version,
        hlc: `${ms}.000000`,
        modified_on: new Date(ms).toISOString(),
        deleted: x.odd === 1 ? x.deleted : rec.deleted,
        origin: x.odd === 2 ? x.changed_by : rec.origin,
      };
    });
}

// ---- deterministic hospital-status data for the benchmarks and the link tests ---------------

/** Seeded, so that benchmark runs compare like with like. */
export const prng = seededRandom;

/** What a receiver must get: every declared field present (null when unset), nothing else changed. */
export function full(rec: RecordVersion): RecordVersion {
  const data: RecordVersion['data'] = {};
  for (const f of registry.get(rec.resource).fields) data[f.name] = rec.data[f.name] ?? null;
  return { ...rec, data };
}

function uuidFrom(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

const REASONS = ['Generator failure', 'Running on generator', 'Fuel shortage', 'Oxygen supply low', 'Access road flooded', 'Staff shortage', 'Mass casualty incident', 'Diverting ambulances', null, null, null];

/** The integer codes of one of Eden's option sets. */
const codes = (set: Readonly<Record<number, string>>): number[] => Object.keys(set).map(Number);

/** `n` hospital status records (one per hospital) as a site holds them after its first sync. */
export function hospitalStatuses(n: number, seed = 1, site = INSTANCES[0]!): RecordVersion[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const start = Date.parse('2026-11-20T06:00:00.000Z');
  return Array.from({ length: n }, (_, i) => {
    const ms = start + i * 37_000;
    const data: Record<string, FieldValue> = {
      hospital_id: uuidFrom(rand),
      facility_status: pick(codes(EDEN.facilityStatus)),
      facility_operations: pick(codes(EDEN.resourceStatus)),
      damage: null,
      power_supply_type: pick(codes(EDEN.powerSupplyType)),
      gas_supply_type: null,
      gas_supply_capacity: null,
      clinical_status: pick(codes(EDEN.clinicalStatus)),
      clinical_operations: pick(codes(EDEN.resourceStatus)),
      security_status: pick(codes(EDEN.securityStatus)),
      staffing: pick(codes(EDEN.resourceStatus)),
      ems_status: pick(codes(EDEN.emsTraffic)),
      ems_reason: null,
      or_status: null,
      or_reason: null,
      morgue_status: pick(codes(EDEN.morgueStatus)),
      morgue_units: Math.floor(rand() * 40),
      access_status: null,
      er_status: pick(codes(EDEN.facilityStatus)),
      er_reason: null,
      staffing_comments: null,
      comments: null,
    };
    return {
      resource: 'med_hospital_status',
      uuid: uuidFrom(rand),
      created_on: new Date(ms - 86_400_000).toISOString(),
      modified_on: new Date(ms).toISOString(),
      deleted: false,
      replaced_by: null,
      origin: site,
      changed_by: site,
      version: { [site]: 1 + Math.floor(rand() * 20) },
      hlc: `${ms}.000000`,
      data,
    };
  });
}

/**
 * The next status report of each hospital, as a field site types it: two to four coded fields
 * change, the morgue count moves, now and then a reason is typed.
 */
export function statusUpdates(prev: readonly RecordVersion[], seed = 2, site = INSTANCES[0]!): RecordVersion[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const coded: [string, readonly number[]][] = [
    ['ems_status', codes(EDEN.emsTraffic)],
    ['er_status', codes(EDEN.facilityStatus)],
    ['facility_status', codes(EDEN.facilityStatus)],
    ['clinical_status', codes(EDEN.clinicalStatus)],
    ['staffing', codes(EDEN.resourceStatus)],
    ['security_status', codes(EDEN.securityStatus)],
  ];
  const start = Date.parse('2026-11-21T06:00:00.000Z');
  return prev.map((r, i) => {
    const data = { ...r.data };
    const k = 2 + Math.floor(rand() * 3);
    for (let j = 0; j < k; j++) {
      const [f, opts] = pick(coded);
      data[f] = pick(opts);
    }
    data.morgue_units = Math.max(0, (r.data.morgue_units as number) + Math.floor(rand() * 7) - 3);
    if (rand() < 0.4) data.ems_reason = pick(REASONS);
    const ms = start + i * 41_000 + Math.floor(rand() * 20_000);
    return {
      ...r,
      data,
      changed_by: site,
      version: { ...r.version, [site]: (r.version[site] ?? 0) + 1 },
      hlc: `${ms}.000000`,
      modified_on: new Date(ms).toISOString(),
    };
  });
}
