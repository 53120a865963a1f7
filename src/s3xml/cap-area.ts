import type { FieldValue } from '../registry/values.js';

/**
 * Eden keeps a CAP area's polygons and geocodes in components of its own, not in cap_area:
 * `cap_area_location` links the area to a gis_location holding the polygon as WKT, and
 * `cap_area_tag` holds one geocode (tag = valueName). Tidemark keeps them as cap_area.polygon
 * and cap_area.geocode, and writes them also as those components, nested in the area as Eden's
 * own CAP import nests them, so Eden's REST import stores them (static/formats/cap/import.xsl).
 */
export const CAP_AREA = {
  resource: 'cap_area',
  location: 'cap_area_location',
  tag: 'cap_area_tag',
} as const;

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

/** A CAP geocode or parameter pair as Tidemark holds it. */
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
export const derivedUuid = (area: string, kind: 'location' | 'polygon' | 'tag', i: number): string => `${area}-${kind}${i + 1}`;
