import { EDEN } from './eden-codes.js';
import type { FieldDef, ResourceDef } from './types.js';

/**
 * The starter set of syncable resources, with Sahana Eden's table and field names where Eden has
 * them, so that Eden and its stylesheets read what Tidemark writes. Reference fields hold the
 * referenced record's uuid, never a local id.
 */

const s = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'string', ...extra });
const t = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'text', ...extra });
const int = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'integer', ...extra });
const dbl = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'double', ...extra });
const bool = (name: string): FieldDef => ({ name, type: 'boolean' });
const dt = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'datetime', ...extra });
const json = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'json', ...extra });
const ref = (name: string, resource: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: 'reference',
  resource,
  ...extra,
});

/** EDXL-HAVE 1.0 status vocabularies, kept as the schema spells them. */
export const HAVE = {
  emsTrafficStatus: ['Normal', 'Advisory', 'Closed', 'NotApplicable'],
  capacityStatus: ['VacantAvailable', 'NotAvailable', 'NotApplicable'],
  facilityStatus: ['Normal', 'Compromised', 'Evacuating', 'Closed', 'Unknown'],
  activityStatus: ['Normal', 'Inadequate', 'Unavailable', 'Unknown'],
  securityStatus: ['Normal', 'Elevated', 'RestrictedAccess', 'Lockdown', 'Quarantine', 'Unknown'],
  morgueCapacityStatus: ['Open', 'Full', 'Exceeded', 'Unknown'],
} as const;

export const CAP = {
  status: ['Actual', 'Exercise', 'System', 'Test', 'Draft'],
  msgType: ['Alert', 'Update', 'Cancel', 'Ack', 'Error'],
  scope: ['Public', 'Restricted', 'Private'],
  urgency: ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'],
  severity: ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'],
  certainty: ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'],
} as const;

const contact = [s('phone'), s('email'), s('website')];

export const RESOURCES: readonly ResourceDef[] = [
  // Reference data: fixed uuids, identical everywhere (see reference-data.ts).
  { name: 'event_event_type', title: 'Event type', referenceData: true, priority: 90, fields: [s('code', { required: true, length: 64 }), s('name', { required: true })] },
  { name: 'fin_currency', title: 'Currency', referenceData: true, priority: 90, fields: [s('code', { required: true, length: 3 }), s('name', { required: true })] },
  { name: 'org_organisation_type', title: 'Organisation type', referenceData: true, priority: 90, fields: [s('code', { required: true, length: 64 }), s('name', { required: true })] },
  { name: 'cr_shelter_type', title: 'Shelter type', referenceData: true, priority: 90, fields: [s('code', { required: true, length: 64 }), s('name', { required: true })] },

  {
    name: 'gis_location',
    title: 'Location',
    priority: 40,
    fields: [
      s('name', { required: true }),
      s('level', { length: 2, options: ['L0', 'L1', 'L2', 'L3', 'L4', 'L5'] }),
      ref('parent', 'gis_location'),
      dbl('lat'),
      dbl('lon'),
      s('addr_street'),
      s('addr_postcode', { length: 32 }),
      t('wkt'),
    ],
  },
  {
    name: 'org_organisation',
    title: 'Organisation',
    priority: 50,
    fields: [
      s('name', { required: true }),
      s('acronym', { length: 32 }),
      ref('organisation_type_id', 'org_organisation_type'),
      s('country', { length: 2 }),
      s('website'),
      s('phone'),
      t('comments'),
    ],
  },
  {
    name: 'org_office',
    title: 'Office',
    priority: 50,
    fields: [
      s('name', { required: true }),
      s('code', { length: 64 }),
      ref('organisation_id', 'org_organisation', { required: true }),
      ref('location_id', 'gis_location'),
      s('phone1'),
      s('phone2'),
      s('email'),
      s('fax'),
      bool('obsolete'),
      t('comments'),
    ],
  },
  {
    name: 'med_hospital',
    title: 'Hospital',
    priority: 20,
    fields: [
      s('name', { required: true }),
      s('code', { length: 64 }),
      int('facility_type', { codes: EDEN.facilityType }),
      ref('organisation_id', 'org_organisation'),
      ref('location_id', 'gis_location'),
      s('town'),
      s('phone_exchange'),
      s('phone_business'),
      s('phone_emergency'),
      s('email'),
      s('website'),
      s('fax'),
      int('total_beds'),
      int('available_beds'),
      int('doctors'),
      int('nurses'),
      int('non_medical_staff'),
      bool('obsolete'),
      t('comments'),
      // Tidemark's additions. gov_uuid travels in S3XML as Eden's gov_uuid site tag (s3xml/site-tag.ts).
      s('gov_uuid', { label: 'Government identifier (EDXL-HAVE OrganizationID)' }),
      s('contact_name'),
    ],
  },
  {
    name: 'med_bed_capacity',
    title: 'Bed capacity',
    priority: 20,
    component: { master: 'med_hospital', joinField: 'hospital_id', alias: 'bed_capacity', multiple: true },
    fields: [
      ref('hospital_id', 'med_hospital', { required: true }),
      s('unit_id', { length: 128 }),
      int('bed_type', { required: true, codes: EDEN.bedType }),
      dt('date'),
      int('beds_baseline'),
      int('beds_available'),
      int('beds_add24'),
      t('comments'),
      // Tidemark's additions.
      s('unit_name'),
      s('capacity_status', { length: 32, options: HAVE.capacityStatus }),
    ],
  },
  {
    name: 'med_hospital_status',
    title: 'Hospital status',
    priority: 10,
    component: { master: 'med_hospital', joinField: 'hospital_id', alias: 'status', multiple: false },
    fields: [
      ref('hospital_id', 'med_hospital', { required: true }),
      int('facility_status', { codes: EDEN.facilityStatus }),
      int('facility_operations', { codes: EDEN.resourceStatus }),
      json('damage', { label: 'Damage (list of codes: 1 Flooding, 2 Power Outage)' }),
      int('power_supply_type', { codes: EDEN.powerSupplyType }),
      int('gas_supply_type', { codes: EDEN.gasSupplyType }),
      int('gas_supply_capacity'),
      int('clinical_status', { codes: EDEN.clinicalStatus }),
      int('clinical_operations', { codes: EDEN.resourceStatus }),
      int('security_status', { codes: EDEN.securityStatus }),
      int('staffing', { codes: EDEN.resourceStatus }),
      int('ems_status', { codes: EDEN.emsTraffic, label: 'EMS traffic status' }),
      s('ems_reason', { length: 128 }),
      int('or_status', { codes: EDEN.orStatus, label: 'Operating room status' }),
      s('or_reason', { length: 128 }),
      int('morgue_status', { codes: EDEN.morgueStatus }),
      int('morgue_units'),
      t('access_status'),
      // Tidemark's additions.
      int('er_status', { codes: EDEN.facilityStatus, label: 'Emergency department status' }),
      s('er_reason'),
      t('staffing_comments'),
      t('comments'),
    ],
  },
  {
    name: 'med_hospital_services',
    title: 'Hospital services',
    priority: 30,
    component: { master: 'med_hospital', joinField: 'hospital_id', alias: 'services', multiple: false },
    fields: [
      ref('hospital_id', 'med_hospital', { required: true }),
      ...['burn', 'card', 'dial', 'emsd', 'infd', 'neon', 'neur', 'pedi', 'surg', 'labs', 'tran', 'tair', 'trac', 'psya', 'psyp', 'obgy'].map(bool),
      // Tidemark's addition.
      bool('trauma'),
    ],
  },
  {
    name: 'med_hospital_activity',
    title: 'Hospital activity (24 h)',
    priority: 30,
    component: { master: 'med_hospital', joinField: 'hospital_id', alias: 'activity', multiple: true },
    fields: [
      ref('hospital_id', 'med_hospital', { required: true }),
      dt('date', { required: true }),
      int('patients'),
      int('admissions24'),
      int('discharges24'),
      int('deaths24'),
      s('comment', { length: 128 }),
    ],
  },
  {
    name: 'cr_shelter',
    title: 'Shelter',
    priority: 30,
    fields: [
      s('name', { required: true }),
      s('code', { length: 64 }),
      ref('organisation_id', 'org_organisation'),
      ref('shelter_type_id', 'cr_shelter_type'),
      ref('location_id', 'gis_location'),
      ...contact,
      int('capacity_day'),
      int('capacity_night'),
      int('population'),
      s('status', { length: 16, options: ['Open', 'Closed', 'Full'] }),
      bool('obsolete'),
      t('comments'),
    ],
  },
  {
    name: 'cap_alert',
    title: 'CAP alert',
    priority: 1,
    fields: [
      s('identifier', { required: true }),
      s('sender', { required: true }),
      dt('sent', { required: true }),
      s('status', { required: true, length: 16, options: CAP.status }),
      s('msg_type', { required: true, length: 16, options: CAP.msgType }),
      s('source'),
      s('scope', { required: true, length: 16, options: CAP.scope }),
      t('restriction'),
      t('addresses'),
      json('codes'),
      t('note'),
      t('reference', { label: 'CAP references: sender,identifier,sent triples' }),
      t('incidents'),
    ],
  },
  {
    name: 'cap_info',
    title: 'CAP alert info',
    priority: 1,
    component: { master: 'cap_alert', joinField: 'alert_id', alias: 'info', multiple: true },
    fields: [
      ref('alert_id', 'cap_alert', { required: true }),
      s('language', { length: 16 }),
      json('category', { required: true }),
      s('event', { required: true }),
      ref('event_type_id', 'event_event_type'),
      json('response_type'),
      s('urgency', { required: true, length: 16, options: CAP.urgency }),
      s('severity', { required: true, length: 16, options: CAP.severity }),
      s('certainty', { required: true, length: 16, options: CAP.certainty }),
      t('audience'),
      json('event_code'),
      dt('effective'),
      dt('onset'),
      dt('expires'),
      s('sender_name'),
      s('headline'),
      t('description'),
      t('instruction'),
      s('web'),
      s('contact'),
      json('parameter'),
    ],
  },
  {
    name: 'cap_area',
    title: 'CAP area',
    priority: 1,
    component: { master: 'cap_alert', joinField: 'alert_id', alias: 'area', multiple: true },
    fields: [
      ref('alert_id', 'cap_alert', { required: true }),
      ref('info_id', 'cap_info'),
      t('name', { required: true, label: 'Area description (CAP areaDesc)' }),
      json('polygon'),
      json('circle'),
      json('geocode'),
      dbl('altitude'),
      dbl('ceiling'),
      ref('location_id', 'gis_location'),
    ],
  },
  {
    name: 'cap_resource',
    title: 'CAP resource',
    priority: 1,
    component: { master: 'cap_alert', joinField: 'alert_id', alias: 'resource', multiple: true },
    fields: [
      ref('alert_id', 'cap_alert', { required: true }),
      ref('info_id', 'cap_info'),
      t('resource_desc', { required: true }),
      s('mime_type', { required: true, length: 128 }),
      int('size'),
      t('uri'),
      t('deref_uri'),
      s('digest'),
    ],
  },
];
