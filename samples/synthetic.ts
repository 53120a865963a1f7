import { createHash } from 'node:crypto';
import { EDEN } from '../src/registry/eden-codes.js';
import { REFERENCE_DATA } from '../src/registry/reference-data.js';
import type { FieldValue } from '../src/registry/values.js';
import type { Store } from '../src/store/index.js';

/**
 * Large synthetic data sets for benchmarks and memory tests: districts (gis_location) with
 * hospitals (bed capacity by bed type, current status), organisations and their offices, in the
 * proportions of a real deployment. Deterministic for a given seed, so two runs compare.
 *
 * Every row counts as one record: a "site" is a location, a hospital, two bed-capacity rows and
 * a status row (5 records); every 20th site adds an organisation and an office.
 */

export interface SyntheticRecord {
  resource: string;
  uuid: string;
  data: Record<string, FieldValue>;
}

/** A small deterministic PRNG (xorshift128+ reduced to 32-bit steps). */
class Random {
  private a: number;
  private b: number;
  constructor(private readonly seed: number) {
    this.a = seed ^ 0x9e3779b9;
    this.b = Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35;
    for (let i = 0; i < 8; i++) this.next();
  }
  next(): number {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.b = x;
    return (this.b + y) >>> 0;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  private serial = 0;
  /** Random-looking (so indexes see realistic insert order) but unique and repeatable. */
  uuid(): string {
    const s = createHash('sha1').update(`${this.seed}:${this.serial++}`).digest('hex');
    return `urn:uuid:${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${((parseInt(s[16]!, 16) & 3) | 8).toString(16)}${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }
}

const TOWNS = ['Abuja', 'Bamako', 'Chittagong', 'Dhaka', 'Goma', 'Jacmel', 'Kathmandu', 'Kisumu', 'Leyte', 'Mopti', 'Nyala', 'Pokhara', 'Sylhet', 'Tacloban'];
// Sahana Eden's codes (src/registry/eden-codes.ts): EMS traffic, facility status, bed types.
const STATUS = [1, 2, 3] as const;
const FACILITY = [1, 2, 3] as const;
const BED_TYPES = Object.keys(EDEN.bedType).map(Number);
const ORG_TYPES = REFERENCE_DATA.org_organisation_type!.map((r) => r.uuid);

/** `count` records in dependency order (referenced records come first). */
export function* syntheticRecords(count: number, seed = 1): Generator<SyntheticRecord> {
  const rnd = new Random(seed);
  let made = 0;
  let org = '';
  const day = Date.UTC(2026, 2, 1);
  for (let site = 0; made < count; site++) {
    const town = rnd.pick(TOWNS);
    const emit = function* (r: SyntheticRecord): Generator<SyntheticRecord> {
      if (made < count) {
        made++;
        yield r;
      }
    };
    const location = rnd.uuid();
    yield* emit({
      resource: 'gis_location',
      uuid: location,
      data: { name: `${town} district ${site}`, level: 'L2', parent: null, lat: -10 + rnd.int(2000000) / 100000, lon: 20 + rnd.int(4000000) / 100000, addr_street: `${1 + rnd.int(300)} Main Road`, addr_postcode: String(10000 + rnd.int(89999)), wkt: null },
    });
    if (site % 20 === 0) {
      org = rnd.uuid();
      yield* emit({
        resource: 'org_organisation',
        uuid: org,
        data: { name: `${town} Health Partners ${site / 20}`, acronym: `THP${site / 20}`, organisation_type_id: rnd.pick(ORG_TYPES), country: 'KE', website: `https://thp${site / 20}.example.org`, phone: `+254 700 ${String(site).padStart(6, '0')}`, comments: null },
      });
      yield* emit({
        resource: 'org_office',
        uuid: rnd.uuid(),
        data: { name: `${town} field office`, code: `OFF-${site}`, organisation_id: org, location_id: location, phone1: '+254 700 100200', phone2: null, email: `office${site}@example.org`, fax: null, obsolete: false, comments: 'Open 08:00-17:00 & weekends on call' },
      });
    }
    const hospital = rnd.uuid();
    const total = 20 + rnd.int(480);
    const available = rnd.int(total);
    yield* emit({
      resource: 'med_hospital',
      uuid: hospital,
      data: {
        name: `${town} General Hospital ${site}`,
        code: `H-${String(site).padStart(7, '0')}`,
        gov_uuid: `GOV-${site}`,
        facility_type: 1,
        organisation_id: org,
        location_id: location,
        contact_name: 'Duty manager',
        phone_exchange: `+254 711 ${String(site).padStart(6, '0')}`,
        phone_business: null,
        phone_emergency: '+254 999',
        email: `h${site}@example.org`,
        website: null,
        fax: null,
        total_beds: total,
        available_beds: available,
        doctors: 2 + rnd.int(60),
        nurses: 5 + rnd.int(200),
        non_medical_staff: rnd.int(100),
        obsolete: false,
        comments: null,
      },
    });
    for (let b = 0; b < 2; b++) {
      const baseline = 5 + rnd.int(100);
      yield* emit({
        resource: 'med_bed_capacity',
        uuid: rnd.uuid(),
        data: { hospital_id: hospital, bed_type: BED_TYPES[(site + b) % BED_TYPES.length]!, unit_name: `Ward ${b + 1}`, capacity_status: 'VacantAvailable', beds_baseline: baseline, beds_available: rnd.int(baseline), beds_add24: rnd.int(10), date: new Date(day + site * 1000).toISOString(), comments: null },
      });
    }
    yield* emit({
      resource: 'med_hospital_status',
      uuid: rnd.uuid(),
      data: { hospital_id: hospital, ems_status: rnd.pick(STATUS), ems_reason: null, er_status: rnd.pick(FACILITY), er_reason: null, facility_status: rnd.pick(FACILITY), clinical_status: 1, morgue_status: 1, morgue_units: rnd.int(20), security_status: 1, facility_operations: 1, clinical_operations: 1, staffing: 1, staffing_comments: null, power_supply_type: 1, comments: null },
    });
  }
}

/** Loads `count` synthetic records into a store, in batches through the Writer's bulk path. */
export async function populate(store: Store, count: number, seed = 1, onProgress?: (n: number) => void): Promise<void> {
  const batch = new Map<string, { uuid: string; data: Record<string, FieldValue> }[]>();
  let pending = 0;
  let done = 0;
  const flush = async (): Promise<void> => {
    await store.transaction(async (w) => {
      for (const name of store.registry.dependencyOrder()) {
        const items = batch.get(name);
        if (items?.length) await w.insertLocal(store.registry.get(name), items);
      }
    });
    done += pending;
    batch.clear();
    pending = 0;
    onProgress?.(done);
  };
  for (const r of syntheticRecords(count, seed)) {
    const list = batch.get(r.resource) ?? batch.set(r.resource, []).get(r.resource)!;
    list.push({ uuid: r.uuid, data: r.data });
    if (++pending >= 5000) await flush();
  }
  if (pending) await flush();
}
