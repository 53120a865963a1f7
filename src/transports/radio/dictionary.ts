import { crc32 } from 'node:zlib';
import { REFERENCE_DATA } from '../../registry/reference-data.js';
import type { Registry } from '../../registry/registry.js';

/**
 * What both ends of a radio link derive from the same resource registry: the preset deflate
 * dictionary, the table of reference-data uuids (sent as small indexes) and a fingerprint that
 * a payload carries so that two instances with different registries refuse each other's
 * payloads instead of misreading field or option indexes.
 */
export interface RegistryCodebook {
  dictionary: Buffer;
  /** Reference-data uuids, in a fixed order; their index travels instead of the uuid. */
  referenceUuids: string[];
  referenceIndex: Map<string, number>;
  /** 16-bit digest of everything above and of the field layout. */
  fingerprint: number;
}

/**
 * Free text that field sites type again and again. Deflate finds these in the preset dictionary,
 * so a reason or comment costs a few bytes of back-reference instead of its letters.
 */
const TYPICAL_STRINGS = [
  'http://', 'https://', 'www.', '.org', '.int', '@', 'urn:uuid:', 'urn:oid:', 'en-US', 'fr-FR', 'es-ES',
  'Geo', 'Met', 'Safety', 'Security', 'Rescue', 'Fire', 'Health', 'Env', 'Transport', 'Infra', 'CBRNE', 'Other',
  'Shelter', 'Evacuate', 'Prepare', 'Execute', 'Avoid', 'Monitor', 'Assess', 'AllClear', 'None',
  'Flood warning', 'Flash flood', 'River level rising', 'Heavy rain', 'Cyclone', 'Earthquake aftershock',
  'Take shelter immediately', 'Move to higher ground', 'Boil water before drinking', 'Cholera cases reported',
  'Mains', 'Generator', 'Solar', 'Battery', 'None available',
  'Generator failure', 'Generator running', 'Running on generator', 'No power', 'Power restored', 'Power cut',
  'Fuel shortage', 'Fuel for 24 hours', 'Fuel for 48 hours', 'Oxygen supply low', 'Oxygen restocked',
  'No water', 'Water supply interrupted', 'Water supply restored', 'Road blocked', 'Access road flooded',
  'Bridge damaged', 'Staff shortage', 'Staff exhausted', 'Additional staff arrived', 'Mass casualty incident',
  'Surge capacity activated', 'Diverting ambulances', 'Accepting patients', 'Not accepting patients',
  'Operating normally', 'Partially damaged', 'Building damaged', 'Evacuation in progress', 'Security incident',
  'Armed men at gate', 'Curfew in force', 'Medical supplies low', 'Blood supply low', 'Resupply expected',
  'Morgue full', 'Cholera treatment unit open', 'Isolation ward full', 'Triage tent set up',
  'beds available', 'patients admitted', 'patients transferred', 'no change', 'update', 'status unchanged',
];

export function buildCodebook(registry: Registry): RegistryCodebook {
  const parts: string[] = [...TYPICAL_STRINGS];
  const layout: string[] = [];
  const referenceUuids: string[] = [];
  // Rarely sent words first, likely ones last: deflate's nearer back-references are cheaper.
  for (const r of [...registry.all()].sort((a, b) => b.priority - a.priority)) {
    parts.push(r.name, r.title);
    layout.push(`${r.name}:${r.fields.map((f) => `${f.name}/${f.type}/${f.resource ?? ''}/${(f.options ?? []).join('|')}`).join(',')}`);
    for (const f of r.fields) {
      if (f.label) parts.push(f.label);
    }
    for (const row of REFERENCE_DATA[r.name] ?? []) {
      parts.push(row.code, row.name);
    }
  }
  for (const r of registry.all()) {
    for (const row of REFERENCE_DATA[r.name] ?? []) referenceUuids.push(row.uuid);
  }
  const dictionary = Buffer.from(parts.join('\u0000'), 'utf8');
  const digest = crc32(Buffer.from(`${layout.join(';')}#${referenceUuids.join(',')}`, 'utf8'), crc32(dictionary));
  return {
    dictionary,
    referenceUuids,
    referenceIndex: new Map(referenceUuids.map((u, i) => [u, i])),
    fingerprint: (digest ^ (digest >>> 16)) & 0xffff,
  };
}

const cache = new WeakMap<Registry, RegistryCodebook>();

export function codebookFor(registry: Registry): RegistryCodebook {
  let c = cache.get(registry);
  if (!c) {
    c = buildCodebook(registry);
    cache.set(registry, c);
  }
  return c;
}
