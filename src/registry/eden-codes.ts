/**
 * Sahana Eden's integer option codes and their labels (modules/s3db/med.py), so that the codes
 * Tidemark stores are the ones Eden stores and validates (`IS_IN_SET`), and S3XML carries
 * Eden's labels as element text. Eden's labels are English; the code is what counts.
 */
export const EDEN = {
  facilityType: {
    1: 'Hospital',
    2: 'Field Hospital',
    3: 'Specialized Hospital',
    11: 'Health center',
    12: 'Health center with beds',
    13: 'Health center without beds',
    21: 'Dispensary',
    31: 'Long-term care',
    41: 'Emergency Treatment Centre',
    42: 'Triage',
    43: 'Holding Center',
    44: 'Transit Center',
    98: 'Other',
    99: 'Unknown',
  },
  bedType: {
    1: 'Adult ICU',
    2: 'Pediatric ICU',
    3: 'Neonatal ICU',
    4: 'Emergency Department',
    5: 'Nursery Beds',
    6: 'General Medical/Surgical',
    7: 'Rehabilitation/Long Term Care',
    8: 'Burn ICU',
    9: 'Pediatrics',
    10: 'Adult Psychiatric',
    11: 'Pediatric Psychiatric',
    12: 'Negative Flow Isolation',
    13: 'Other Isolation',
    14: 'Operating Rooms',
    15: 'Cholera Treatment',
    16: 'Ebola Treatment',
    17: 'Respirator',
    99: 'Other',
  },
  facilityStatus: { 1: 'Normal', 2: 'Compromised', 3: 'Evacuating', 4: 'Closed', 5: 'Pending', 99: 'No Response' },
  resourceStatus: { 1: 'Adequate', 2: 'Insufficient' },
  clinicalStatus: { 1: 'Normal', 2: 'Full', 3: 'Closed' },
  powerSupplyType: { 1: 'Grid', 2: 'Generator', 98: 'Other', 99: 'None' },
  gasSupplyType: { 98: 'Other', 99: 'None' },
  securityStatus: { 1: 'Normal', 2: 'Elevated', 3: 'Restricted Access', 4: 'Lockdown', 5: 'Quarantine', 6: 'Closed' },
  emsTraffic: { 1: 'Normal', 2: 'Advisory', 3: 'Closed', 4: 'Not Applicable' },
  orStatus: { 1: 'Normal', 3: 'Closed', 4: 'Not Applicable' },
  morgueStatus: { 1: 'Open', 2: 'Full', 3: 'Exceeded', 4: 'Closed' },
} as const satisfies Record<string, Readonly<Record<number, string>>>;

/** The label of a code, or undefined when the field has no codes or the code is not one of them. */
export function codeLabel(codes: Readonly<Record<number, string>> | undefined, value: unknown): string | undefined {
  return codes && typeof value === 'number' ? codes[value] : undefined;
}

/** The code whose label is `label` (case and spacing ignored), for documents that give labels only. */
export function codeOfLabel(codes: Readonly<Record<number, string>>, label: string): number | undefined {
  const norm = (x: string): string => x.replace(/[\s_/-]+/g, '').toLowerCase();
  const want = norm(label);
  for (const [k, v] of Object.entries(codes)) if (norm(v) === want) return Number(k);
  return undefined;
}
