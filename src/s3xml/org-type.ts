import { REFERENCE_DATA, type ReferenceRow } from '../registry/reference-data.js';

/**
 * Eden links an organisation to its types through the component
 * `org_organisation_organisation_type`, and knows its types by name (their uuids are its own:
 * unique `name`, which its importer deduplicates on). Tidemark keeps one type,
 * org_organisation.organisation_type_id, a fixed reference row; it writes the link with the type
 * inline by Eden's default name for it, and reads a link, or an Eden type record, by name.
 */
export const ORG_TYPE = {
  master: 'org_organisation',
  field: 'organisation_type_id',
  link: 'org_organisation_organisation_type',
  resource: 'org_organisation_type',
} as const;

/** Eden's default type name (its prepopulated list) for each Tidemark type it has; the others go by Tidemark's name. */
const EDEN_NAMES: Readonly<Record<string, string>> = {
  Government: 'Government',
  UN: 'UN agency',
  NGO: 'NGO',
  RedCross: 'Red Cross / Red Crescent',
  Academic: 'Academic',
  Private: 'Private',
  Military: 'Military',
};

const rows = (): readonly ReferenceRow[] => REFERENCE_DATA[ORG_TYPE.resource] ?? [];

/** The name Eden knows a Tidemark type by (a type Eden lacks is created there under Tidemark's name). */
export function edenTypeName(uuid: string): string | undefined {
  const row = rows().find((r) => r.uuid === uuid);
  if (!row) return undefined;
  return EDEN_NAMES[row.code] ?? row.name;
}

/** Tidemark's type for a name Eden gives: Eden's name for it, Tidemark's name or code (any case). */
export function typeByName(name: string): string | undefined {
  const n = name.trim().toLowerCase();
  return rows().find((r) => [edenTypeName(r.uuid), r.name, r.code].some((x) => x?.toLowerCase() === n))?.uuid;
}

/** Whether a uuid is one of Tidemark's fixed type rows. */
export const isTidemarkType = (uuid: string): boolean => rows().some((r) => r.uuid === uuid);
