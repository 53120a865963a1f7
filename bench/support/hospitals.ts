/** Synthetic hospitals in Tidemark's S3XML, shared by the XSLT and validation benchmarks. */
// Eden's bed_type codes: adult ICU, general medical/surgical, emergency department.
const BED_TYPES = [1, 6, 4];

const uuid = (kind: number, i: number): string => `urn:uuid:${kind.toString(16).padStart(8, '0')}-0000-5000-8000-${i.toString(16).padStart(12, '0')}`;

/** One hospital in Tidemark's S3XML, with three bed capacities, status, services and activity. */
export function hospital(i: number): string {
  const t = `2026-11-${String(1 + (i % 25)).padStart(2, '0')}T06:00:00.000Z`;
  const beds = BED_TYPES.map(
    (b, k) => `<resource name="med_bed_capacity" alias="bed_capacity" uuid="${uuid(2, i * 4 + k)}" created_on="${t}" modified_on="${t}">
<data field="bed_type" value="${b}"/><data field="capacity_status">${i % 3 ? 'VacantAvailable' : 'NotAvailable'}</data>
<data field="beds_baseline" value="${20 + k}"/><data field="beds_available" value="${(i + k) % 20}"/><data field="beds_add24" value="${k}"/></resource>`,
  ).join('\n');
  return `<resource name="med_hospital" uuid="${uuid(1, i)}" created_on="${t}" modified_on="${t}">
<data field="name">Hospital ${i}</data><data field="facility_type" value="1">Hospital</data>
<reference field="location_id" resource="gis_location" uuid="${uuid(3, i)}" lat="${(-4 + (i % 800) / 100).toFixed(4)}" lon="${(34 + (i % 900) / 100).toFixed(4)}">Place ${i}</reference>
<resource name="org_site_tag" alias="gov_uuid"><data field="tag">gov_uuid</data><data field="value">GOV-${i}</data></resource>
<data field="phone_exchange">+254 20 ${String(i).padStart(7, '0')}</data><data field="email">h${i}@health.example.org</data>
<data field="total_beds" value="${100 + (i % 50)}"/><data field="doctors" value="${i % 30}"/><data field="nurses" value="${i % 90}"/>
${beds}
<resource name="med_hospital_status" alias="status" uuid="${uuid(4, i)}" created_on="${t}" modified_on="${t}">
<data field="ems_status" value="${1 + (i % 3)}">${['Normal', 'Advisory', 'Closed'][i % 3]}</data><data field="facility_status" value="1">Normal</data><data field="clinical_status" value="1">Normal</data>
<data field="morgue_status" value="1">Open</data><data field="security_status" value="1">Normal</data><data field="staffing" value="1">Adequate</data></resource>
<resource name="med_hospital_services" alias="services" uuid="${uuid(5, i)}" created_on="${t}" modified_on="${t}">
<data field="burn" value="${i % 2 === 0}"/><data field="card" value="true"/><data field="surg" value="true"/><data field="tran" value="true"/></resource>
<resource name="med_hospital_activity" alias="activity" uuid="${uuid(6, i)}" created_on="${t}" modified_on="${t}">
<data field="date" value="${t}"/><data field="admissions24" value="${i % 40}"/><data field="discharges24" value="${i % 35}"/><data field="deaths24" value="${i % 3}"/></resource>
</resource>`;
}

export const S3XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<s3xml>\n';
export const S3XML_TAIL = '</s3xml>\n';
