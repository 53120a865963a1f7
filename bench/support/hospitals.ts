/** Synthetic hospitals in Tidemark's S3XML, shared by the XSLT and validation benchmarks. */
const BED_TYPES = ['urn:uuid:c2c82319-1662-5ec7-bb04-c0d9e7ca6cd8', 'urn:uuid:a2fb0866-dfa2-5300-b377-309b65378ee0', 'urn:uuid:d812a221-4d1e-5b18-902b-2cc6264aebc2'];

const uuid = (kind: number, i: number): string => `urn:uuid:${kind.toString(16).padStart(8, '0')}-0000-5000-8000-${i.toString(16).padStart(12, '0')}`;

/** One hospital in Tidemark's S3XML, with three bed capacities, status, services and activity. */
export function hospital(i: number): string {
  const t = `2026-11-${String(1 + (i % 25)).padStart(2, '0')}T06:00:00.000Z`;
  const beds = BED_TYPES.map(
    (b, k) => `<resource name="med_bed_capacity" alias="bed_capacity" uuid="${uuid(2, i * 4 + k)}" created_on="${t}" modified_on="${t}">
<reference field="bed_type_id" resource="med_bed_type" uuid="${b}"/><data field="capacity_status">${i % 3 ? 'VacantAvailable' : 'NotAvailable'}</data>
<data field="beds_baseline" value="${20 + k}"/><data field="beds_available" value="${(i + k) % 20}"/><data field="beds_add24" value="${k}"/></resource>`,
  ).join('\n');
  return `<resource name="med_hospital" uuid="${uuid(1, i)}" created_on="${t}" modified_on="${t}">
<data field="name">Hospital ${i}</data><data field="gov_uuid">GOV-${i}</data><data field="facility_type">Hospital</data>
<reference field="location_id" resource="gis_location" uuid="${uuid(3, i)}" lat="${(-4 + (i % 800) / 100).toFixed(4)}" lon="${(34 + (i % 900) / 100).toFixed(4)}">Place ${i}</reference>
<data field="phone_exchange">+254 20 ${String(i).padStart(7, '0')}</data><data field="email">h${i}@health.example.org</data>
<data field="total_beds" value="${100 + (i % 50)}"/><data field="doctors" value="${i % 30}"/><data field="nurses" value="${i % 90}"/>
${beds}
<resource name="med_hospital_status" alias="status" uuid="${uuid(4, i)}" created_on="${t}" modified_on="${t}">
<data field="ems_status">${['Normal', 'Advisory', 'Closed'][i % 3]}</data><data field="facility_status">Normal</data><data field="clinical_status">Normal</data>
<data field="morgue_status">Open</data><data field="security_status">Normal</data><data field="staffing_status">Normal</data></resource>
<resource name="med_hospital_service" alias="services" uuid="${uuid(5, i)}" created_on="${t}" modified_on="${t}">
<data field="burn" value="${i % 2 === 0}"/><data field="card" value="true"/><data field="surg" value="true"/><data field="tran" value="true"/></resource>
<resource name="med_hospital_activity" alias="activity" uuid="${uuid(6, i)}" created_on="${t}" modified_on="${t}">
<data field="date" value="${t}"/><data field="admissions24" value="${i % 40}"/><data field="discharges24" value="${i % 35}"/><data field="deaths24" value="${i % 3}"/></resource>
</resource>`;
}

export const S3XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<s3xml>\n';
export const S3XML_TAIL = '</s3xml>\n';
