import type { FieldValue } from '../registry/values.js';

/**
 * Eden keeps a CAP area's polygons and geocodes, and an info's parameters, in components of
 * their own: `cap_area_location` links the area to a gis_location holding the polygon as WKT,
 * `cap_area_tag` holds one geocode (tag = valueName), `cap_info_parameter` one parameter (name =
 * valueName). Tidemark keeps them as cap_area.polygon, cap_area.geocode and cap_info.parameter,
 * and writes them also as those components, nested in their area or info as Eden's own CAP
 * import nests them, so Eden's REST import stores them (static/formats/cap/import.xsl).
 */
export const CAP_AREA = {
  resource: 'cap_area',
  location: 'cap_area_location',
  tag: 'cap_area_tag',
} as const;

export const CAP_INFO = {
  resource: 'cap_info',
  parameter: 'cap_info_parameter',
} as const;

/** Each such component: the record it belongs to, the reference naming it (when under the alert), the field it fills. */
export const CAP_PARTS: Readonly<Record<string, { owner: string; join: string; field: string; name?: string }>> = {
  [CAP_AREA.location]: { owner: CAP_AREA.resource, join: 'area_id', field: 'polygon' },
  [CAP_AREA.tag]: { owner: CAP_AREA.resource, join: 'area_id', field: 'geocode', name: 'tag' },
  [CAP_INFO.parameter]: { owner: CAP_INFO.resource, join: 'info_id', field: 'parameter', name: 'name' },
};

/** Eden limits gis_location.name to 128 characters. */
const LOCATION_NAME_MAX = 128;

/** CAP's `lat,lon lat,lon ...` as WKT `POLYGON((lon lat,lon lat,...))` (WKT puts x = longitude first). */
export function capPolygonToWkt(polygon: string): string | undefined {
  const points = polygon.trim().split(/\s+/).map((p) => p.split(','));
  if (points.length < 4 || points.some((p) => p.length !== 2 || p.some((n) => !Number.isFinite(Number(n)) || n === ''))) return undefined;
  return `POLYGON((${points.map(([lat, lon]) => `${lon} ${lat}`).join(',')}))`;
}

/** The outer ring of a WKT polygon as CAP's `lat,lon ...` (numbers as WKT writes them); undefined if not a polygon. */
export function wktToCapPolygon(wkt: string): string | undefined {
  const m = /^\s*POLYGON\s*\(\s*\(([^()]*)\)/i.exec(wkt);
  if (!m) return undefined;
  const points = m[1]!.split(',').map((p) => p.trim().split(/\s+/));
  if (points.some((p) => p.length < 2 || p.slice(0, 2).some((n) => !Number.isFinite(Number(n))))) return undefined;
  return points.map(([lon, lat]) => `${lat},${lon}`).join(' ');
}

/** A CAP geocode or parameter as Tidemark holds it. */
export interface CapPair {
  valueName: string;
  value: string;
}

export const capPairs = (v: FieldValue | undefined): CapPair[] =>
  Array.isArray(v) ? v.filter((p): p is Record<string, string> & CapPair => typeof p === 'object' && p !== null && 'valueName' in p).map((p) => ({ valueName: String(p.valueName), value: String(p.value ?? '') })) : [];

export const capPolygons = (v: FieldValue | undefined): string[] => (Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : []);

export const locationName = (name: string): string => name.slice(0, LOCATION_NAME_MAX);

/**
 * Identities of the derived component records (Eden's form for a record derived from another,
 * `urn:uuid:...-suffix`), the same on every export, so a second import into Eden updates them.
 */
export const derivedUuid = (owner: string, kind: 'location' | 'polygon' | 'tag' | 'parameter', i: number): string => `${owner}-${kind}${i + 1}`;
