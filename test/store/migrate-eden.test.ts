import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/open.js';
import { tempDir } from '../support/temp.js';

/**
 * A database made by the release before Tidemark took Sahana Eden's med model (schema 1: statuses
 * as EDXL-HAVE words, bed types as references, med_hospital_service), kept as the SQL text that
 * `sqlite3 .dump` printed for it. Opening it with this release converts it in place.
 */
const DUMP = readFileSync(new URL('./fixtures/release-1.sql', import.meta.url), 'utf8');

const dir = tempDir('tidemark-migrate');

function releaseOneDatabase(): { file: string; rows: (table: string) => Record<string, unknown>[] } {
  const file = join(dir, `release-1-${Math.random().toString(36).slice(2)}.db`);
  const db = new Database(file);
  db.exec(DUMP);
  const rows = (table: string): Record<string, unknown>[] => db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Record<string, unknown>[];
  return { file, rows };
}

const FACILITY: Record<string, number> = { Normal: 1, Compromised: 2, Evacuating: 3, Closed: 4, Unknown: 99 };
const ACTIVITY: Record<string, number> = { Normal: 1, Inadequate: 2 };

describe('a release-1 database opened by this release', () => {
  it("converts every hospital value to Eden's model and loses none", async () => {
    const { file, rows } = releaseOneDatabase();
    const hospitals = rows('med_hospital');
    const statuses = rows('med_hospital_status');
    const beds = rows('med_bed_capacity');
    const services = rows('med_hospital_service');
    const activity = rows('med_hospital_activity');
    const store = await openStore(`sqlite:${file}`);
    const converted: unknown[] = [];
    try {
      const kinds: Record<string, number> = { Hospital: 1, FieldHospital: 2, SpecialistHospital: 3, HealthCentre: 11, Dispensary: 21, Other: 98 };
      for (const old of hospitals) {
        const h = await store.get('med_hospital', old.uuid as string);
        assert.equal(h!.data.facility_type, kinds[old.facility_type as string]);
        for (const f of ['name', 'code', 'gov_uuid', 'comments'] as const) assert.equal(h!.data[f], old[f], f);
        assert.equal(h!.modified_on, old.modified_on, 'a conversion is not an edit');
        assert.deepEqual(h!.version, JSON.parse(old.tm_version as string));
      }
      for (const old of statuses) {
        const s = (await store.get('med_hospital_status', old.uuid as string))!.data;
        // Every old word is either an Eden code now or written into the comments.
        const notes = String(s.comments ?? '');
        const check = (from: string, to: string, map: Record<string, number>): void => {
          const word = old[from] as string;
          if (word in map) assert.equal(s[to], map[word], `${from} ${word}`);
          else {
            assert.equal(s[to], null, `${from} ${word}`);
            assert.ok(notes.includes(`${to}: ${word}`), `${from} ${word} kept in the comments: ${notes}`);
          }
        };
        check('facility_status', 'facility_status', FACILITY);
        check('er_status', 'er_status', FACILITY);
        check('clinical_status', 'clinical_status', { Normal: 1, Closed: 3 });
        check('morgue_status', 'morgue_status', { Open: 1, Full: 2, Exceeded: 3 });
        check('security_status', 'security_status', { Normal: 1, Elevated: 2, RestrictedAccess: 3, Lockdown: 4, Quarantine: 5 });
        check('ems_status', 'ems_status', { Normal: 1, Advisory: 2, Closed: 3, NotApplicable: 4 });
        check('facility_operations', 'facility_operations', ACTIVITY);
        check('clinical_operations', 'clinical_operations', ACTIVITY);
        check('staffing_status', 'staffing', ACTIVITY);
        check('power_supply_type', 'power_supply_type', { Grid: 1, Generator: 2, None: 99 });
        converted.push(s);
        if (old.comments) assert.ok(notes.startsWith(old.comments as string), 'existing comments stay first');
        for (const f of ['ems_reason', 'er_reason', 'morgue_units', 'staffing_comments'] as const) assert.equal(s[f], old[f], f);
      }
      const bedCodes: Record<string, number> = { 'urn:uuid:c2c82319-1662-5ec7-bb04-c0d9e7ca6cd8': 1, 'urn:uuid:ef1cd00e-28d2-54fa-ab35-1e970c9dc688': 8, 'urn:uuid:535b9de4-058b-5f0d-8e96-9a628fcdcaa1': 14 };
      for (const old of beds) {
        const b = (await store.get('med_bed_capacity', old.uuid as string))!.data;
        assert.equal(b.bed_type, bedCodes[old.bed_type_id as string]);
        for (const f of ['unit_name', 'beds_baseline', 'beds_available', 'capacity_status'] as const) assert.equal(b[f], old[f], f);
      }
      for (const old of services) {
        const s = (await store.get('med_hospital_services', old.uuid as string))!.data;
        for (const f of ['burn', 'card', 'trauma'] as const) assert.equal(s[f], old[f] === 1, f);
      }
      for (const old of activity) {
        const a = (await store.get('med_hospital_activity', old.uuid as string))!.data;
        assert.equal(a.comment, old.comments);
        assert.equal(a.patients, old.patients);
      }
    } finally {
      await store.close();
    }
    // Opening it again changes nothing more.
    const again = await openStore(`sqlite:${file}`);
    try {
      const now = await Promise.all(statuses.map(async (old) => (await again.get('med_hospital_status', old.uuid as string))!.data));
      assert.deepEqual(now, converted);
      assert.equal((await again.list('med_hospital')).length, hospitals.length);
    } finally {
      await again.close();
    }
  });
});
