import type { Knex } from 'knex';
import { LEGACY_BED_TYPES } from '../registry/reference-data.js';

/**
 * Databases made before Tidemark adopted Sahana Eden's model for the med_* tables (schema 1)
 * stored hospital types and statuses as EDXL-HAVE words and bed types as references to
 * Tidemark's own bed-type rows. This turns them into Eden's integer codes in place. Nothing is
 * dropped: each old column is kept under a `_v1` name, and a word with no Eden code (a clinical
 * status "Compromised", a power supply "Solar") is written into the record's comments, so no
 * value is lost. Every instance converts the same way, so versions are left as they are.
 */

type Mapping = Record<string, number>;

const FACILITY: Mapping = { Normal: 1, Compromised: 2, Evacuating: 3, Closed: 4, Unknown: 99 };
const ACTIVITY: Mapping = { Normal: 1, Inadequate: 2 };

interface CodedColumn {
  /** Column holding the old word. */
  from: string;
  /** Eden's integer column. */
  to: string;
  map: Mapping;
}

const CONVERSIONS: Record<string, { comments: string; columns: CodedColumn[] }> = {
  med_hospital: {
    comments: 'comments',
    columns: [{ from: 'facility_type', to: 'facility_type', map: { Hospital: 1, FieldHospital: 2, SpecialistHospital: 3, HealthCentre: 11, Dispensary: 21, Other: 98 } }],
  },
  med_hospital_status: {
    comments: 'comments',
    columns: [
      { from: 'facility_status', to: 'facility_status', map: FACILITY },
      { from: 'er_status', to: 'er_status', map: FACILITY },
      { from: 'clinical_status', to: 'clinical_status', map: { Normal: 1, Closed: 3 } },
      { from: 'morgue_status', to: 'morgue_status', map: { Open: 1, Full: 2, Exceeded: 3 } },
      { from: 'security_status', to: 'security_status', map: { Normal: 1, Elevated: 2, RestrictedAccess: 3, Lockdown: 4, Quarantine: 5 } },
      { from: 'ems_status', to: 'ems_status', map: { Normal: 1, Advisory: 2, Closed: 3, NotApplicable: 4 } },
      { from: 'facility_operations', to: 'facility_operations', map: ACTIVITY },
      { from: 'clinical_operations', to: 'clinical_operations', map: ACTIVITY },
      { from: 'staffing_status', to: 'staffing', map: ACTIVITY },
      { from: 'power_supply_type', to: 'power_supply_type', map: { Grid: 1, Mains: 1, Generator: 2, None: 99 } },
    ],
  },
};

const isText = (type: string | undefined): boolean => !!type && /char|text|string|clob/i.test(type);

/** Runs before the generic "add missing columns" step of migrateSchema; a no-op on new or converted databases. */
export async function migrateToEdenModel(knex: Knex): Promise<string[]> {
  const done: string[] = [];
  if ((await knex.schema.hasTable('med_hospital_service')) && !(await knex.schema.hasTable('med_hospital_services'))) {
    await knex.schema.renameTable('med_hospital_service', 'med_hospital_services');
    done.push('med_hospital_service -> med_hospital_services');
  }
  for (const [table, conv] of Object.entries(CONVERSIONS)) {
    if (!(await knex.schema.hasTable(table))) continue;
    const info = await knex(table).columnInfo();
    const pending = conv.columns.filter((c) => isText(info[c.from]?.type) && !(`${c.from}_v1` in info));
    if (!pending.length) continue;
    await knex.schema.alterTable(table, (t) => {
      for (const c of pending) t.renameColumn(c.from, `${c.from}_v1`);
    });
    const after = await knex(table).columnInfo();
    await knex.schema.alterTable(table, (t) => {
      for (const c of pending) if (!(c.to in after)) t.bigInteger(c.to);
      if (!(conv.comments in after)) t.text(conv.comments);
    });
    const rows = (await knex(table).select(['id', conv.comments, ...pending.map((c) => `${c.from}_v1`)])) as Record<string, unknown>[];
    for (const row of rows) {
      const update: Record<string, unknown> = {};
      const notes: string[] = [];
      for (const c of pending) {
        const old = row[`${c.from}_v1`];
        if (old === null || old === undefined || old === '') continue;
        const code = c.map[String(old)];
        update[c.to] = code ?? null;
        if (code === undefined) notes.push(`${c.to}: ${String(old)}`);
      }
      if (notes.length) {
        const prior = typeof row[conv.comments] === 'string' && row[conv.comments] ? `${String(row[conv.comments])}\n` : '';
        update[conv.comments] = `${prior}${notes.join('; ')}`;
      }
      if (Object.keys(update).length) await knex(table).where({ id: row.id }).update(update);
    }
    done.push(`${table}: ${pending.map((c) => c.to).join(', ')}`);
  }
  await migrateBedTypes(knex, done);
  await copyColumn(knex, 'med_hospital_activity', 'comments', 'comment', 'text', done);
  await copyColumn(knex, 'cap_area', 'area_desc', 'name', 'text', done);
  return done;
}

async function migrateBedTypes(knex: Knex, done: string[]): Promise<void> {
  if (!(await knex.schema.hasTable('med_bed_capacity'))) return;
  const info = await knex('med_bed_capacity').columnInfo();
  if (!('bed_type_id' in info) || 'bed_type' in info) return;
  await knex.schema.alterTable('med_bed_capacity', (t) => t.bigInteger('bed_type'));
  for (const b of LEGACY_BED_TYPES) await knex('med_bed_capacity').where({ bed_type_id: b.uuid }).update({ bed_type: b.edenCode });
  // A bed type that is none of the shipped rows: Eden's "Other".
  await knex('med_bed_capacity').whereNull('bed_type').whereNotNull('bed_type_id').update({ bed_type: 99 });
  done.push('med_bed_capacity: bed_type');
}

/** Eden's name for a column Tidemark spelt differently: the new column gets the values, the old one stays. */
async function copyColumn(knex: Knex, table: string, from: string, to: string, type: 'text', done: string[]): Promise<void> {
  if (!(await knex.schema.hasTable(table))) return;
  const info = await knex(table).columnInfo();
  if (!(from in info) || to in info) return;
  await knex.schema.alterTable(table, (t) => t[type](to));
  await knex(table).update({ [to]: knex.ref(from) });
  done.push(`${table}: ${to}`);
}
