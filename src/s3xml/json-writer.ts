import type { StoredRecord } from '../store/types.js';
import { TM_ATTRS } from './model.js';
import { type ExportNode, type ReferenceLookups, exportUid, formatCoordinate, isTextField } from './writer.js';

/**
 * S3JSON, Eden's mechanical JSON twin of S3XML (s3xml.py tree2json): `$_<table>` lists of
 * records, `@attr` attributes, plain values for string fields, `{"@value": raw}` for the rest,
 * `$k_<field>` references. Records are written one by one, so the document streams.
 */

function metaAttributes(r: StoredRecord, o: Record<string, unknown>): void {
  o[`@${TM_ATTRS.origin}`] = r.origin;
  o[`@${TM_ATTRS.changed_by}`] = r.changed_by;
  o[`@${TM_ATTRS.version}`] = JSON.stringify(r.version);
  o[`@${TM_ATTRS.hlc}`] = r.hlc;
}

export function jsonRecordObject(node: ExportNode, lookups: ReferenceLookups): Record<string, unknown> {
  const { def, record: r } = node;
  const o: Record<string, unknown> = {};
  if (node.alias) o['@alias'] = node.alias;
  o['@uuid'] = exportUid(r.uuid, lookups.domain);
  if (r.deleted) {
    o['@deleted'] = 'True';
    o['@modified_on'] = r.modified_on;
    if (r.replaced_by) o['@replaced_by'] = exportUid(r.replaced_by, lookups.domain);
    metaAttributes(r, o);
    return o;
  }
  o['@created_on'] = r.created_on;
  o['@modified_on'] = r.modified_on;
  metaAttributes(r, o);
  const joinField = node.alias ? def.component?.joinField : undefined;
  for (const f of def.fields) {
    const v = r.data[f.name];
    if (v === null || v === undefined || f.name === joinField) continue;
    if (f.type === 'reference') {
      const ref: Record<string, unknown> = { '@resource': f.resource, '@uuid': exportUid(String(v), lookups.domain) };
      const loc = f.resource === 'gis_location' ? lookups.locations.get(String(v)) : undefined;
      if (loc) {
        if (loc.lat !== null && loc.lon !== null) {
          ref['@lat'] = formatCoordinate(loc.lat);
          ref['@lon'] = formatCoordinate(loc.lon);
        }
        if (loc.name) ref.$ = loc.name;
      }
      o[`$k_${f.name}`] = ref;
    } else if (isTextField(f)) {
      o[f.name] = v;
    } else {
      o[f.name] = { '@value': v };
    }
  }
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const c of node.components) {
    const list = groups.get(c.def.name) ?? [];
    list.push(jsonRecordObject(c, lookups));
    groups.set(c.def.name, list);
  }
  for (const [name, list] of groups) o[`$_${name}`] = list;
  return o;
}

/** The document opening: root attributes, left open for `$_<table>` lists. */
export function jsonHead(attrs: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) parts.push(`${JSON.stringify(`@${k}`)}:${JSON.stringify(String(v))}`);
  return `{${parts.join(',')}`;
}
