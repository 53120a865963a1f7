import type { ResourceDef } from '../registry/types.js';
import type { StoredRecord } from '../store/types.js';
import { TM_ATTRS } from './model.js';
import { isTextField, representation, SITE_TAG, valueAttribute } from './represent.js';
import { edenTypeName, ORG_TYPE } from './org-type.js';
import { CAP_AREA, CAP_INFO, capPairs, capPolygons, capPolygonToWkt, derivedUuid, locationName } from './cap-components.js';

export { isTextField } from './represent.js';

/**
 * S3XML text for records, written the way Sahana Eden writes it (s3xml.py): `<data>` text for
 * strings, a JSON `value` attribute for everything else (datetimes unquoted), references by uuid,
 * components nested with their alias, tombstones without data. Tidemark's version metadata rides
 * along as `tm_*` attributes, which Eden's parser ignores.
 */

/** One master (or top-level) record with the components that are exported nested inside it. */
export interface ExportNode {
  def: ResourceDef;
  record: StoredRecord;
  /** The component alias (`alias` attribute), for nested components only. */
  alias?: string;
  components: ExportNode[];
}

/** Facts about referenced records that Eden puts on `<reference>` (gis_location: lat, lon, name). */
export interface ReferenceLookups {
  locations: Map<string, { name: string | null; lat: number | null; lon: number | null }>;
  /** This instance's domain, for Eden's uid rule (see exportUid). */
  domain?: string;
}

/**
 * Eden's export_uid: a uid that is neither a URN nor already qualified gets the writer's domain
 * (`host/uid`), so it stays unique elsewhere; the importer strips its own domain again.
 */
export function exportUid(uid: string, domain: string | undefined): string {
  return !domain || uid.startsWith('urn:') || uid.includes('/') ? uid : `${domain}/${uid}`;
}

// Characters XML 1.0 cannot carry at all; written as U+FFFD rather than producing a broken document.
/* eslint-disable no-control-regex -- these patterns exist to find control characters */
const TEXT_SPECIAL = /[&<>\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const ATTR_SPECIAL = /[&<>"\t\n\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
/* eslint-enable no-control-regex */

// One pass with a table instead of a chain of replaces: every record's tm_version (JSON, full of
// quotes) is escaped, and eight passes over it were a tenth of the export's time.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
const entity = (c: string): string => ENTITIES[c] ?? '\uFFFD';
/* eslint-disable no-control-regex -- as above */
const TEXT_ALL = /[&<>\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
const ATTR_ALL = /[&<>"\t\n\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
/* eslint-enable no-control-regex */

export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_ALL, entity) : s;
}

export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_ALL, entity) : s;
}

/** Eden writes location coordinates on references with %.4f (about 11 m). */
export const formatCoordinate = (n: number): string => n.toFixed(4);

export function xmlHead(attrs: Record<string, string | number | boolean | undefined>): string {
  let s = '<?xml version="1.0" encoding="utf-8"?>\n<s3xml';
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) s += ` ${k}="${escapeAttr(String(v))}"`;
  return `${s}>\n`;
}

export const XML_TAIL = '</s3xml>\n';

function metaAttributes(r: StoredRecord): string {
  return (
    ` ${TM_ATTRS.origin}="${r.origin}" ${TM_ATTRS.changed_by}="${r.changed_by}"` +
    ` ${TM_ATTRS.version}="${escapeAttr(JSON.stringify(r.version))}" ${TM_ATTRS.hlc}="${r.hlc}"`
  );
}

/** One `<resource>` element (with its nested components), indented by `depth` levels. */
export function xmlRecord(node: ExportNode, lookups: ReferenceLookups, depth = 1): string {
  const { def, record: r } = node;
  const pad = '  '.repeat(depth);
  let s = `${pad}<resource name="${def.name}"`;
  if (node.alias) s += ` alias="${node.alias}"`;
  s += ` uuid="${escapeAttr(exportUid(r.uuid, lookups.domain))}"`;
  if (r.deleted) {
    // Eden's tombstone: identity, deleted, modified_on and (for merges) replaced_by; no data.
    s += ` deleted="True" modified_on="${r.modified_on}"`;
    if (r.replaced_by) s += ` replaced_by="${escapeAttr(exportUid(r.replaced_by, lookups.domain))}"`;
    return `${s}${metaAttributes(r)}/>\n`;
  }
  s += ` created_on="${r.created_on}" modified_on="${r.modified_on}"${metaAttributes(r)}>\n`;
  const inner = `${pad}  `;
  const joinField = node.alias ? def.component?.joinField : undefined;
  for (const f of def.fields) {
    const v = r.data[f.name];
    if (v === null || v === undefined || f.name === joinField) continue;
    if (f.type === 'reference') {
      s += `${inner}<reference field="${f.name}" resource="${f.resource}" uuid="${escapeAttr(exportUid(String(v), lookups.domain))}"`;
      const loc = f.resource === 'gis_location' ? lookups.locations.get(String(v)) : undefined;
      if (loc) {
        if (loc.lat !== null && loc.lon !== null) s += ` lat="${formatCoordinate(loc.lat)}" lon="${formatCoordinate(loc.lon)}"`;
        s += loc.name ? `>${escapeText(loc.name)}</reference>\n` : '/>\n';
      } else s += '/>\n';
    } else if (def.name === SITE_TAG.master && f.name === SITE_TAG.field) {
      continue;
    } else if (isTextField(f)) {
      s += `${inner}<data field="${f.name}">${escapeText(String(v))}</data>\n`;
    } else {
      s += `${inner}<data field="${f.name}" value="${escapeAttr(valueAttribute(f, v))}">${escapeText(representation(f, v))}</data>\n`;
    }
  }
  const tag = def.name === SITE_TAG.master ? r.data[SITE_TAG.field] : null;
  if (tag !== null && tag !== undefined && tag !== '') {
    s += `${inner}<resource name="${SITE_TAG.resource}" alias="${SITE_TAG.alias}"><data field="tag">${SITE_TAG.alias}</data><data field="value">${escapeText(String(tag))}</data></resource>\n`;
  }
  if (def.name === CAP_AREA.resource) s += capAreaComponents(r, inner, lookups.domain);
  if (def.name === CAP_INFO.resource) s += capInfoComponents(r, inner, lookups.domain);
  const type = def.name === ORG_TYPE.master && r.data[ORG_TYPE.field] ? edenTypeName(String(r.data[ORG_TYPE.field])) : undefined;
  if (type) {
    s +=
      `${inner}<resource name="${ORG_TYPE.link}" uuid="${escapeAttr(exportUid(`${r.uuid}-type`, lookups.domain))}"><reference field="${ORG_TYPE.field}" resource="${ORG_TYPE.resource}">` +
      `<resource name="${ORG_TYPE.resource}"><data field="name">${escapeText(type)}</data></resource></reference></resource>\n`;
  }
  for (const c of node.components) s += xmlRecord(c, lookups, depth + 1);
  return `${s}${pad}</resource>\n`;
}

/** A CAP area's polygons and geocodes as Eden's components (cap-components.ts), after its own fields. */
function capAreaComponents(r: StoredRecord, pad: string, domain: string | undefined): string {
  let s = '';
  const id = (kind: 'location' | 'polygon' | 'tag', i: number): string => escapeAttr(exportUid(derivedUuid(r.uuid, kind, i), domain));
  capPolygons(r.data.polygon).forEach((polygon, i) => {
    const wkt = capPolygonToWkt(polygon);
    if (!wkt) return;
    s +=
      `${pad}<resource name="${CAP_AREA.location}" uuid="${id('location', i)}"><reference field="location_id" resource="gis_location">` +
      `<resource name="gis_location" uuid="${id('polygon', i)}"><data field="gis_feature_type" value="3">Polygon</data>` +
      `<data field="name">${escapeText(locationName(String(r.data.name ?? '')))}</data><data field="wkt">${wkt}</data></resource></reference></resource>\n`;
  });
  capPairs(r.data.geocode).forEach((g, i) => {
    s += `${pad}<resource name="${CAP_AREA.tag}" uuid="${id('tag', i)}"><data field="tag">${escapeText(g.valueName)}</data><data field="value">${escapeText(g.value)}</data></resource>\n`;
  });
  return s;
}

/** A CAP info's parameters as Eden's cap_info_parameter components (cap-components.ts). */
function capInfoComponents(r: StoredRecord, pad: string, domain: string | undefined): string {
  return capPairs(r.data.parameter)
    .map(
      (p, i) =>
        `${pad}<resource name="${CAP_INFO.parameter}" uuid="${escapeAttr(exportUid(derivedUuid(r.uuid, 'parameter', i), domain))}">` +
        `<data field="name">${escapeText(p.valueName)}</data><data field="value">${escapeText(p.value)}</data></resource>\n`,
    )
    .join('');
}
