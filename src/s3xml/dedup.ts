import type { ResourceDef } from '../registry/types.js';
import type { FieldValue } from '../registry/values.js';

/**
 * How a record that arrives without a uuid finds the record it describes, as Sahana Eden's
 * importer deduplicates (its `deduplicate` table settings): a hospital by government id, then
 * name; an organisation by name or acronym; a location by name and parent, or by coordinates;
 * a component by its master and, for bed capacity, the unit or the bed type. Each candidate is
 * a set of column values, tried in order; the first live record matching one is the record.
 */
export type MatchCandidate = Record<string, FieldValue>;

const given = (v: FieldValue | undefined): v is Exclude<FieldValue, null> => v !== null && v !== undefined && v !== '';

export function matchCandidates(def: ResourceDef, values: Record<string, FieldValue>): MatchCandidate[] {
  const out: MatchCandidate[] = [];
  const v = (f: string): FieldValue | undefined => values[f];
  switch (def.name) {
    case 'med_hospital':
      if (given(v('gov_uuid'))) out.push({ gov_uuid: v('gov_uuid')! });
      if (given(v('name'))) out.push({ name: v('name')! });
      break;
    case 'org_organisation':
      if (given(v('name'))) out.push({ name: v('name')! });
      if (given(v('acronym'))) out.push({ acronym: v('acronym')! });
      break;
    case 'gis_location':
      if (given(v('name'))) out.push({ name: v('name')!, parent: v('parent') ?? null });
      if (given(v('lat')) && given(v('lon'))) out.push({ lat: v('lat')!, lon: v('lon')! });
      break;
    default: {
      const c = def.component;
      if (!c || !given(v(c.joinField))) break;
      const master = { [c.joinField]: v(c.joinField)! };
      if (!c.multiple) out.push(master);
      else if (def.name === 'med_bed_capacity') {
        if (given(v('unit_id'))) out.push({ ...master, unit_id: v('unit_id')! });
        else if (given(v('bed_type'))) out.push({ ...master, bed_type: v('bed_type')! });
      }
    }
  }
  return out;
}
