/**
 * Writes samples/dataset.json: a realistic, deterministic data set for a flood response in Kenya
 * (organisations, offices, ~50 hospitals with bed capacity, status, services and activity,
 * shelters, CAP alerts, locations with coordinates). Run again only to change the samples:
 *   node --import tsx samples/build-dataset.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REFERENCE_DATA } from '../src/registry/reference-data.js';

type Rec = { resource: string; uuid: string; data: Record<string, unknown> };
const out: Rec[] = [];
const uuidFor = (key: string): string => {
  const h = createHash('sha1').update(`tidemark-samples:${key}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
};
let seed = 20261126;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const add = (resource: string, key: string, data: Record<string, unknown>): string => {
  const uuid = uuidFor(`${resource === 'med_hospital_services' ? 'med_hospital_service' : resource}:${key}`);
  out.push({ resource, uuid, data });
  return uuid;
};
const ref = (table: string, code: string): string => REFERENCE_DATA[table]!.find((r) => r.code === code)!.uuid;

// Administrative areas carry no point: Sahana Eden requires a child's coordinates to lie within
// its parent's bounds, and a point has none to speak of. Facilities have their own coordinates.
const kenya = add('gis_location', 'KE', { name: 'Kenya', level: 'L0' });
const towns: [string, string, number, number][] = [
  ['Nairobi', 'Nairobi', -1.2864, 36.8172],
  ['Kisumu', 'Kisumu', -0.0917, 34.768],
  ['Mombasa', 'Mombasa', -4.0435, 39.6682],
  ['Garissa', 'Garissa', -0.4532, 39.6461],
  ['Hola', 'Tana River', -1.4833, 40.0333],
  ['Lodwar', 'Turkana', 3.1191, 35.5973],
  ['Nakuru', 'Nakuru', -0.3031, 36.08],
  ['Eldoret', 'Uasin Gishu', 0.5143, 35.2698],
  ['Busia', 'Busia', 0.4608, 34.1115],
  ['Malindi', 'Kilifi', -3.2192, 40.1169],
  ['Homa Bay', 'Homa Bay', -0.5273, 34.4571],
  ['Machakos', 'Machakos', -1.5177, 37.2634],
];
const townLoc = new Map<string, string>();
for (const [town, county] of towns) {
  const c = add('gis_location', `county:${county}`, { name: `${county} County`, level: 'L1', parent: kenya });
  townLoc.set(town, add('gis_location', `town:${town}`, { name: town, level: 'L3', parent: c }));
}

const orgs: [string, string, string, string][] = [
  ['moh', 'Ministry of Health', 'MOH', 'Government'],
  ['krcs', 'Kenya Red Cross Society', 'KRCS', 'RedCross'],
  ['ocha', 'UN Office for the Coordination of Humanitarian Affairs', 'OCHA', 'UN'],
  ['msf', 'Médecins Sans Frontières', 'MSF', 'NGO'],
  ['ndma', 'National Drought Management Authority', 'NDMA', 'Government'],
  ['kmd', 'Kenya Meteorological Department', 'KMD', 'Government'],
];
const org = new Map<string, string>();
for (const [key, name, acronym, type] of orgs) {
  org.set(key, add('org_organisation', key, { name, acronym, country: 'KE', organisation_type_id: ref('org_organisation_type', type), website: `https://${acronym.toLowerCase()}.example.org`, phone: '+254 20 2000000', comments: `${acronym} (fictional sample)` }));
}
let officeNo = 0;
for (const [key, , acronym] of orgs) {
  for (const town of ['Nairobi', pick(towns)[0], pick(towns)[0]]) {
    // Eden limits an office's code to 10 characters; the uuid stays keyed by the older, longer form.
    const n = ++officeNo;
    const uuidKey = `${acronym}-${town.slice(0, 3).toUpperCase()}-${n}`;
    const code = `${acronym}-${town.slice(0, 3).toUpperCase()}${n}`;
    if (out.some((r) => r.resource === 'org_office' && r.data.code === code)) continue;
    add('org_office', uuidKey, {
      name: `${acronym} ${town} Office`,
      code,
      organisation_id: org.get(key),
      location_id: townLoc.get(town),
      phone1: `+254 7${Math.floor(rand() * 1e8).toString().padStart(8, '0')}`,
      email: `${town.toLowerCase().replace(' ', '')}@${acronym.toLowerCase()}.example.org`,
      obsolete: false,
      comments: 'Open 08:00-17:00',
    });
  }
}

const kinds = ['County Referral Hospital', 'Sub-County Hospital', 'Mission Hospital', 'Health Centre', 'Field Hospital'];
// Sahana Eden's codes (src/registry/eden-codes.ts): bed types, EMS traffic, facility status.
const bedTypes: [string, number][] = [['AdultICU', 1], ['PediatricICU', 2], ['EmergencyDepartment', 4], ['MedicalSurgical', 6], ['Pediatrics', 9], ['Burn', 8], ['NegativeFlowIsolation', 12]];
const ems = [1, 1, 1, 2, 3];
const fac = [1, 1, 1, 2, 3];
for (let i = 0; i < 50; i++) {
  const [town, , lat, lon] = towns[i % towns.length]!;
  const kind = kinds[Math.floor(i / towns.length) % kinds.length]!;
  const name = kind === 'Mission Hospital' ? `St. ${pick(['Mary', 'Joseph', 'Luke', 'Monica', 'Francis'])}'s Mission Hospital ${town}` : `${town} ${kind}`;
  // The government id; uuids are made from it. Eden's hospital codes are at most 10 characters.
  const code = `KE-MFL-${(10000 + i * 37).toString()}`;
  const loc = add('gis_location', `hospital:${code}`, { name, level: null, parent: townLoc.get(town), lat: +(lat + (rand() - 0.5) * 0.08).toFixed(5), lon: +(lon + (rand() - 0.5) * 0.08).toFixed(5), addr_street: `${pick(['Hospital', 'Kenyatta', 'Moi', 'Oginga Odinga', 'Uhuru'])} Road` });
  const total = kind === 'Health Centre' ? 20 + Math.floor(rand() * 30) : 80 + Math.floor(rand() * 400);
  const h = add('med_hospital', code, {
    name,
    code: code.slice(3),
    gov_uuid: code,
    facility_type: kind === 'Field Hospital' ? 2 : kind === 'Health Centre' ? 11 : 1,
    town,
    organisation_id: kind === 'Field Hospital' ? org.get('msf') : org.get('moh'),
    location_id: loc,
    contact_name: pick(['Dr. Achieng Otieno', 'Dr. James Mwangi', 'Sr. Fatuma Hassan', 'Dr. Peter Kiprop', 'Dr. Grace Wanjiru']),
    phone_exchange: `+254 20 ${Math.floor(rand() * 1e7).toString().padStart(7, '0')}`,
    phone_emergency: `+254 7${Math.floor(rand() * 1e8).toString().padStart(8, '0')}`,
    email: `info@${code.toLowerCase()}.health.example.org`,
    total_beds: total,
    available_beds: Math.floor(total * rand() * 0.4),
    doctors: 2 + Math.floor(rand() * 40),
    nurses: 10 + Math.floor(rand() * 150),
    non_medical_staff: 5 + Math.floor(rand() * 80),
    obsolete: false,
  });
  for (const [bt, btCode] of bedTypes.slice(0, 2 + (i % 5))) {
    const baseline = 4 + Math.floor(rand() * 60);
    const available = Math.floor(baseline * rand() * 0.6);
    add('med_bed_capacity', `${code}:${bt}`, {
      hospital_id: h,
      bed_type: btCode,
      unit_name: `${bt} ward`,
      capacity_status: available > 0 ? 'VacantAvailable' : 'NotAvailable',
      beds_baseline: baseline,
      beds_available: available,
      beds_add24: Math.floor(rand() * 10),
      // Bed counts reported over the last hours (relative to loading: see src/samples/relative-time.ts).
      date: { $now: `-${1 + (i % 6)}h` },
    });
  }
  add('med_hospital_status', code, {
    hospital_id: h,
    ems_status: pick(ems),
    er_status: pick(fac),
    facility_status: pick(fac),
    clinical_status: pick([1, 1, 2]),
    morgue_status: pick([1, 1, 2]),
    morgue_units: Math.floor(rand() * 20),
    security_status: pick([1, 1, 2]),
    facility_operations: pick([1, 2]),
    clinical_operations: pick([1, 2]),
    staffing: pick([1, 2]),
    power_supply_type: pick([1, 2, 98]),
    or_status: 1,
    access_status: i % 7 === 3 ? 'Access road flooded' : 'Roads open',
  });
  // Keyed by the table's former name (med_hospital_service), so the sample uuids stay as they were.
  add('med_hospital_services', code, { hospital_id: h, burn: rand() > 0.7, card: rand() > 0.5, neur: rand() > 0.7, pedi: true, surg: rand() > 0.3, labs: true, tran: rand() > 0.5, tair: rand() > 0.9, psya: rand() > 0.8, obgy: true, dial: rand() > 0.7, infd: rand() > 0.5, neon: rand() > 0.5, trauma: rand() > 0.5 });
  // The key only seeds the uuid (fixed forever); the date itself is relative to loading.
  add('med_hospital_activity', `${code}:2026-11-25`, { hospital_id: h, date: { $today: '-1d' }, patients: Math.floor(total * 0.7), admissions24: Math.floor(rand() * 40), discharges24: Math.floor(rand() * 35), deaths24: Math.floor(rand() * 3) });
}

const shelterTypes = ['Collective', 'School', 'Tent', 'Church', 'Planned'];
for (let i = 0; i < 14; i++) {
  const [town, , lat, lon] = towns[(i * 5) % towns.length]!;
  const type = shelterTypes[i % shelterTypes.length]!;
  const name = type === 'School' ? `${town} ${pick(['Primary', 'Secondary', 'Mixed Day'])} School` : type === 'Tent' ? `${town} Transit Camp` : type === 'Church' ? `${town} Catholic Parish Hall` : `${town} Evacuation Centre ${i + 1}`;
  const loc = add('gis_location', `shelter:${i}`, { name, parent: townLoc.get(town), lat: +(lat + (rand() - 0.5) * 0.05).toFixed(5), lon: +(lon + (rand() - 0.5) * 0.05).toFixed(5) });
  const capacity = 150 + Math.floor(rand() * 2000);
  add('cr_shelter', `SH-${i + 1}`, {
    name,
    code: `SH-${(i + 1).toString().padStart(3, '0')}`,
    organisation_id: org.get('krcs'),
    shelter_type_id: ref('cr_shelter_type', type),
    location_id: loc,
    phone: `+254 7${Math.floor(rand() * 1e8).toString().padStart(8, '0')}`,
    capacity_day: capacity,
    capacity_night: Math.floor(capacity * 0.8),
    population: Math.floor(capacity * rand()),
    status: pick(['Open', 'Open', 'Full', 'Closed']),
    obsolete: false,
    email: `shelter${i + 1}@krcs.example.org`,
    comments: 'Water point and latrines on site',
  });
}

const alerts: { id: string; event: string; type: string; area: string; polygon: string; severity: string; urgency: string; headline: string }[] = [
  { id: 'KMD-2026-1125-001', event: 'Flood', type: 'Flood', area: 'Tana River basin: Garsen, Hola and Bura', polygon: '-1.20,39.90 -1.20,40.30 -2.30,40.30 -2.30,39.90 -1.20,39.90', severity: 'Severe', urgency: 'Immediate', headline: 'Flood warning for the lower Tana River' },
  { id: 'KMD-2026-1125-002', event: 'Heavy rain', type: 'TropicalCyclone', area: 'Coastal counties: Kilifi, Mombasa, Kwale', polygon: '-3.00,39.40 -3.00,40.30 -4.70,40.30 -4.70,39.40 -3.00,39.40', severity: 'Moderate', urgency: 'Expected', headline: 'Heavy rainfall advisory for the coast' },
  { id: 'MOH-2026-1124-007', event: 'Cholera outbreak', type: 'Cholera', area: 'Garissa town and Dadaab', polygon: '-0.30,39.50 -0.30,40.40 0.10,40.40 0.10,39.50 -0.30,39.50', severity: 'Severe', urgency: 'Expected', headline: 'Cholera cases confirmed in Garissa County' },
  { id: 'KMD-2026-1123-004', event: 'Landslide', type: 'Landslide', area: 'Elgeyo-Marakwet escarpment', polygon: '0.50,35.40 0.50,35.70 1.20,35.70 1.20,35.40 0.50,35.40', severity: 'Moderate', urgency: 'Future', headline: 'Landslide risk after prolonged rains' },
];
alerts.forEach((a, i) => {
  const sender = a.id.startsWith('MOH') ? 'alerts@health.go.ke.example.org' : 'warnings@meteo.go.ke.example.org';
  const alert = add('cap_alert', a.id, {
    identifier: a.id,
    sender,
    // Sent a few hours ago, current for days to come, whenever the samples are loaded.
    sent: { $now: `-${3 + 2 * i}h` },
    status: 'Actual',
    msg_type: 'Alert',
    scope: 'Public',
    source: a.id.startsWith('MOH') ? 'Ministry of Health surveillance' : 'Kenya Meteorological Department',
    codes: ['profile:CAP-KE:1.0'],
  });
  const info = add('cap_info', a.id, {
    alert_id: alert,
    // CAP's default language as Eden stores it (Eden rewrites a bare 'en' to 'en-US').
    language: 'en-US',
    category: [a.type === 'Cholera' ? 'Health' : 'Met'],
    event: a.event,
    event_type_id: ref('event_event_type', a.type),
    response_type: ['Prepare', 'Monitor'],
    urgency: a.urgency,
    severity: a.severity,
    certainty: 'Likely',
    effective: { $now: `-${3 + 2 * i}h` },
    onset: { $now: `+${i}h` },
    expires: { $now: `+${2 + i}d` },
    sender_name: a.id.startsWith('MOH') ? 'Ministry of Health' : 'Kenya Meteorological Department',
    headline: a.headline,
    description: `${a.headline}. Residents of ${a.area} should follow the instructions of local authorities.`,
    instruction: 'Move to higher ground if water levels rise. Boil drinking water. Listen to local radio for updates.',
    web: 'https://meteo.go.ke.example.org/warnings',
    contact: '+254 20 3867880',
    parameter: [{ valueName: 'EAS-ORG', value: 'WXR' }],
  });
  add('cap_area', a.id, { alert_id: alert, info_id: info, name: a.area, polygon: [a.polygon], geocode: [{ valueName: 'KE-COUNTY', value: a.area.split(' ')[0] }] });
  if (i === 0) add('cap_resource', a.id, { alert_id: alert, info_id: info, resource_desc: 'Flood extent map', mime_type: 'image/png', size: 284113, uri: 'https://meteo.go.ke.example.org/maps/tana-flood.png' });
});

const file = fileURLToPath(new URL('./dataset.json', import.meta.url));
writeFileSync(file, `${JSON.stringify({ description: 'Tidemark sample data: a flood response in Kenya (fictional figures)', records: out }, null, 1)}\n`);
console.log(`${out.length} records written to ${file}`);
