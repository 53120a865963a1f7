import type { Element } from 'libxmljs2';
import { parseXml } from '../src/interchange/xml.js';
import { codeOfLabel } from '../src/registry/eden-codes.js';
import { registry } from '../src/registry/registry.js';

/**
 * Field-by-field comparison of S3XML records before and after a trip through a standard format:
 * every field of the original that the mapping claims to carry must come back with the same
 * value. Records are matched by resource and a key (the hospital's name, a bed's type and unit).
 */
export interface FieldLoss {
  resource: string;
  key: string;
  field: string;
  before: string;
  after: string | undefined;
}

function value(d: Element, resource: string): string {
  const v = d.attr('value')?.value();
  // A coded field given by its label only (as the inbound stylesheets write them) means its code.
  const codes = registry.has(resource) ? registry.field(resource, d.attr('field')!.value())?.codes : undefined;
  const coded = v === undefined && codes ? codeOfLabel(codes, d.text().trim()) : undefined;
  const raw = coded !== undefined ? String(coded) : v !== undefined ? v.replace(/^"|"$/g, '') : d.text();
  const t = /^\d{4}-\d\d-\d\dT/.test(raw) ? Date.parse(raw) : NaN;
  return Number.isNaN(t) ? raw.trim() : new Date(t).toISOString();
}

function fields(r: Element): Map<string, string> {
  const m = new Map<string, string>();
  const resource = r.attr('name')!.value();
  for (const d of r.find('data') as Element[]) m.set(d.attr('field')!.value(), value(d, resource));
  // Eden's gov_uuid site tag is the hospital's gov_uuid field.
  const tag = r.get('resource[@name="org_site_tag"][data[@field="tag"]="gov_uuid"]/data[@field="value"]') as Element | null;
  if (tag) m.set('gov_uuid', tag.text().trim());
  for (const ref of r.find('reference') as Element[]) m.set(ref.attr('field')!.value(), ref.attr('uuid')?.value() ?? '');
  return m;
}

export type KeyFn = (r: Element) => string;

/** Compares the live `resource` records (masters or nested components) of two S3XML documents. */
export function compareRecords(
  before: string,
  after: string,
  resource: string,
  key: KeyFn,
  unmapped: readonly string[] = [],
): FieldLoss[] {
  const pick = (xml: string): Map<string, Element> =>
    new Map(
      (parseXml(xml).find(`//resource[@name="${resource}"][not(@deleted)]`) as Element[]).map((r) => [key(r), r]),
    );
  const a = pick(before);
  const b = pick(after);
  const losses: FieldLoss[] = [];
  for (const [k, r] of a) {
    const back = b.get(k);
    const fa = fields(r);
    const fb = back ? fields(back) : new Map<string, string>();
    for (const [field, v] of fa) {
      if (unmapped.includes(field)) continue;
      if (fb.get(field) !== v) losses.push({ resource, key: k, field, before: v, after: fb.get(field) });
    }
  }
  return losses;
}
