import type { Element } from 'libxmljs2';
import { parseXml } from '../../src/interchange/xml.js';
import { registry } from '../../src/registry/registry.js';
import { typeByName } from '../../src/s3xml/org-type.js';
import { coerceValue, type FieldValue } from '../../src/registry/values.js';
import type { Store } from '../../src/store/index.js';
import type { FieldDifference } from './support.js';

/**
 * Every value Eden wrote in an S3XML document, for the fields Tidemark models, against what
 * Tidemark stored (or, the other way round, against a second document): the list of what differs.
 */

/** Eden's rule read back: the JSON of `value` when there is one, else the text. */
export function edenValue(resource: string, d: Element): FieldValue | undefined {
  const f = registry.field(resource, d.attr('field')!.value());
  if (!f) return undefined;
  const v = d.attr('value')?.value();
  let raw: unknown = d.text();
  if (v !== undefined) {
    if (f.type === 'datetime' || f.type === 'date') raw = v;
    else {
      try {
        raw = JSON.parse(v);
      } catch {
        raw = v;
      }
    }
  }
  if (f.type === 'json' && v !== undefined) {
    // Eden keeps some json fields as JSON text, and writes the JSON of that text.
    if (typeof raw !== 'string') return raw as FieldValue;
    try {
      return JSON.parse(raw) as FieldValue;
    } catch {
      return raw;
    }
  }
  return coerceValue(f, raw);
}

/** The modelled values of one `<resource>` element (gov_uuid from Eden's site tag). */
export function edenRecord(r: Element): Record<string, FieldValue> {
  const resource = r.attr('name')!.value();
  const out: Record<string, FieldValue> = {};
  for (const d of r.find('data') as Element[]) {
    const v = edenValue(resource, d);
    if (v !== undefined) out[d.attr('field')!.value()] = v;
  }
  for (const ref of r.find('reference[@uuid]') as Element[]) {
    const field = ref.attr('field')!.value();
    if (registry.field(resource, field)?.type === 'reference') out[field] = ref.attr('uuid')!.value();
  }
  // Eden's organisation-type link: the type by its name (what Eden's represent writes).
  const type = r.get('resource[@name="org_organisation_organisation_type"]/reference[@field="organisation_type_id"]') as Element | null;
  if (resource === 'org_organisation' && type) out.organisation_type_id = typeByName(type.text()) ?? `unknown type ${type.text()}`;
  if (resource === 'med_hospital') {
    const tag = r.get('resource[@name="org_site_tag" or @name="org_gov_uuid_site_tag"][data[@field="tag"]="gov_uuid"]/data[@field="value"]') as Element | null;
    if (tag) out.gov_uuid = tag.text().trim();
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every modelled record of `xml` (masters and components) with its uuid. */
export function edenRecords(xml: string): { resource: string; uuid: string; values: Record<string, FieldValue>; master?: string }[] {
  const out: { resource: string; uuid: string; values: Record<string, FieldValue>; master?: string }[] = [];
  const walk = (r: Element, master?: string): void => {
    const resource = r.attr('name')!.value();
    const uuid = r.attr('uuid')?.value();
    // Eden's organisation types are its own records; Tidemark's are fixed rows, compared through the link (edenRecord).
    if (!registry.has(resource) || !uuid || r.attr('deleted')?.value() === 'True' || resource === 'org_organisation_type') return;
    out.push({ resource, uuid, values: edenRecord(r), master });
    for (const c of r.find('resource') as Element[]) walk(c, uuid);
  };
  for (const r of parseXml(xml).find('/s3xml/resource') as Element[]) walk(r);
  // Eden's cap_area_tag and cap_info_parameter components (under the alert, naming their area or
  // info) are the area's geocodes and the info's parameters.
  for (const [component, owner, join, field, name] of [
    ['cap_area_tag', 'cap_area', 'area_id', 'geocode', 'tag'],
    ['cap_info_parameter', 'cap_info', 'info_id', 'parameter', 'name'],
  ] as const) {
    for (const t of parseXml(xml).find(`//resource[@name="${component}"]`) as Element[]) {
      const rec = out.find((r) => r.resource === owner && r.uuid === (t.get(`reference[@field="${join}"]`) as Element | null)?.attr('uuid')?.value());
      const text = (f: string): string => (t.get(`data[@field="${f}"]`) as Element | null)?.text().trim() ?? '';
      if (rec) rec.values[field] = [...((rec.values[field] as FieldValue[] | undefined) ?? []), { valueName: text(name), value: text('value') }];
    }
  }
  return out;
}

/** What Tidemark stored differently from what Eden's document says (missing records included). */
export async function differencesFromStore(store: Store, xml: string): Promise<FieldDifference[]> {
  const diffs: FieldDifference[] = [];
  for (const e of edenRecords(xml)) {
    const stored = await store.get(e.resource, e.uuid);
    if (!stored) {
      diffs.push({ resource: e.resource, uuid: e.uuid, field: '(record)', eden: 'present', tidemark: undefined });
      continue;
    }
    for (const [field, v] of Object.entries(e.values)) {
      if (!same(stored.data[field], v)) diffs.push({ resource: e.resource, uuid: e.uuid, field, eden: v, tidemark: stored.data[field] });
    }
  }
  return diffs;
}
