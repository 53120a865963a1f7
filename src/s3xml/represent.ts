import { codeLabel } from '../registry/eden-codes.js';
import type { FieldDef } from '../registry/types.js';
import type { FieldValue } from '../registry/values.js';

/**
 * Sahana Eden's rule for a `<data>` element (s3xml.py, S3XML.resource): a plain string field is
 * written as text only; any other field carries the JSON of the stored value in `value` and its
 * representation as text (an option's label, "True"/"False", the number). Date-times go as
 * Eden's ISO form: UTC without a zone, seconds unless there are milliseconds.
 */

/** Whether a field is written as plain element text (Eden: string and text fields without a represent). */
export const isTextField = (f: FieldDef): boolean => (f.type === 'string' || f.type === 'text') && !f.options;

/** Eden's ISO form of an instant: `2026-11-30T09:32:22` (UTC, no zone; milliseconds only when set). */
export function edenDateTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{3})?Z$/.exec(iso);
  if (!m) return iso;
  return m[2] && m[2] !== '.000' ? `${m[1]}${m[2]}` : m[1]!;
}

/** The `value` attribute: JSON of the raw value; date-times unquoted, in Eden's form. */
export function valueAttribute(f: FieldDef, v: FieldValue): string {
  if (f.type === 'datetime') return edenDateTime(String(v));
  if (f.type === 'date') return String(v);
  return JSON.stringify(v);
}

/** The element text: what a reader sees (Eden's represent). */
export function representation(f: FieldDef, v: FieldValue): string {
  const label = codeLabel(f.codes, v);
  if (label !== undefined) return label;
  if (f.type === 'boolean') return v ? 'True' : 'False';
  if (f.type === 'datetime') return edenDateTime(String(v)).replace('T', ' ').slice(0, 16);
  if (f.type === 'json') return JSON.stringify(v);
  return String(v);
}

/**
 * Eden keeps a hospital's government identifier (EDXL-HAVE OrganizationID) as a site tag, a
 * component `org_site_tag` filtered by tag "gov_uuid"; Tidemark keeps it as med_hospital.gov_uuid
 * and writes and reads it as that component.
 */
export const SITE_TAG = {
  master: 'med_hospital',
  field: 'gov_uuid',
  resource: 'org_site_tag',
  alias: 'gov_uuid',
  /** Eden exports the same tag a second time under this name (its filtered-component table alias). */
  exportedAs: ['org_site_tag', 'org_gov_uuid_site_tag'],
} as const;
