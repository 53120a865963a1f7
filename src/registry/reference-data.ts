/**
 * Reference data: the same rows, under the same fixed uuids, on every instance, so they never
 * conflict. The uuids are literal on purpose: changing one would fork the data across sites.
 */
export interface ReferenceRow {
  readonly uuid: string;
  readonly code: string;
  readonly name: string;
}

export const REFERENCE_DATA: Readonly<Record<string, readonly ReferenceRow[]>> = {
  event_event_type: [
    { uuid: 'urn:uuid:1a1ab76c-fbbe-5858-9602-e94ef68b9a58', code: 'Flood', name: 'Flood' },
    { uuid: 'urn:uuid:0921fb27-5752-53fa-b347-ea0a416ef578', code: 'Earthquake', name: 'Earthquake' },
    { uuid: 'urn:uuid:b60deb00-a7f0-5973-9e52-060d5293616a', code: 'TropicalCyclone', name: 'Tropical cyclone' },
    { uuid: 'urn:uuid:09fcbde1-40c8-57bf-b500-f5844b9b7e4f', code: 'Tsunami', name: 'Tsunami' },
    { uuid: 'urn:uuid:94e02bbc-65bc-50c1-81b2-495ff2313802', code: 'Landslide', name: 'Landslide' },
    { uuid: 'urn:uuid:bfa4857c-6bae-5125-baa2-a8b54a1838fd', code: 'Wildfire', name: 'Wildfire' },
    { uuid: 'urn:uuid:e0ffad3a-5d57-5b22-938c-c2c3b57d1e90', code: 'Drought', name: 'Drought' },
    { uuid: 'urn:uuid:6dfa519c-eca2-50d9-86ec-6c815ff292dc', code: 'Epidemic', name: 'Epidemic' },
    { uuid: 'urn:uuid:fd239460-f3b3-54a7-8d48-bad13948ccb6', code: 'Cholera', name: 'Cholera outbreak' },
    { uuid: 'urn:uuid:d7b45bba-064c-5b17-a7fa-7d802f805704', code: 'Conflict', name: 'Armed conflict' },
    { uuid: 'urn:uuid:02c47c21-6f80-5f18-b2af-b36fd2fa283a', code: 'Displacement', name: 'Population displacement' },
    { uuid: 'urn:uuid:58f2c947-c2a4-5619-b2ad-d5d792fd7bde', code: 'Heatwave', name: 'Heat wave' },
    { uuid: 'urn:uuid:c8ed3afa-a2a7-5918-8c48-588972ceb872', code: 'VolcanicEruption', name: 'Volcanic eruption' },
    { uuid: 'urn:uuid:ed8d652c-de8e-56ba-a648-728290bd8dbb', code: 'ChemicalSpill', name: 'Chemical spill' },
  ],
  fin_currency: [
    { uuid: 'urn:uuid:d60ef28b-e499-5264-a9ad-0d9c48f9743c', code: 'USD', name: 'US dollar' },
    { uuid: 'urn:uuid:e5f112f3-4f26-5117-b838-dd26b09b82bb', code: 'EUR', name: 'Euro' },
    { uuid: 'urn:uuid:a014e523-a4c3-5f8e-8914-d2c82eddcb81', code: 'GBP', name: 'Pound sterling' },
    { uuid: 'urn:uuid:731236ca-ab92-51a6-93c7-38f64edfbef2', code: 'CHF', name: 'Swiss franc' },
    { uuid: 'urn:uuid:13c14dd2-d400-5302-8c26-e1523743b6cf', code: 'KES', name: 'Kenyan shilling' },
    { uuid: 'urn:uuid:c5db4a85-2d7e-576b-ac3d-8763d4acff02', code: 'XOF', name: 'West African CFA franc' },
    { uuid: 'urn:uuid:c01fed05-50bf-54ea-a444-237d23bb209f', code: 'XAF', name: 'Central African CFA franc' },
    { uuid: 'urn:uuid:8465d008-ca1d-5fa7-9bc5-fb7030dd273c', code: 'PHP', name: 'Philippine peso' },
    { uuid: 'urn:uuid:8c66415a-a4c3-5179-90ca-373dcac9aeb6', code: 'BDT', name: 'Bangladeshi taka' },
    { uuid: 'urn:uuid:d4f010f4-edee-5236-83ab-cd4b4d1d69c4', code: 'NPR', name: 'Nepalese rupee' },
    { uuid: 'urn:uuid:cc7d38de-80de-5efb-9b92-dee0cc10924a', code: 'HTG', name: 'Haitian gourde' },
    { uuid: 'urn:uuid:c8de0e9a-7b14-5017-a684-51d648798b86', code: 'JPY', name: 'Japanese yen' },
  ],
  org_organisation_type: [
    { uuid: 'urn:uuid:19b6891d-74d8-5b90-8179-9fb4dd201869', code: 'Government', name: 'Government' },
    { uuid: 'urn:uuid:860c0142-c4e7-5cff-8050-fe11c538c790', code: 'UN', name: 'United Nations agency' },
    { uuid: 'urn:uuid:8cbc4699-b440-5298-9c06-a35280d929d7', code: 'NGO', name: 'Non-governmental organisation' },
    { uuid: 'urn:uuid:ea99f274-3e6e-5019-a18a-408857d9fff3', code: 'RedCross', name: 'Red Cross / Red Crescent' },
    { uuid: 'urn:uuid:2f85853c-a8ae-5edb-8c18-ad97b5223a35', code: 'Academic', name: 'Academic / research' },
    { uuid: 'urn:uuid:61bd5166-5f4f-5218-ad73-bac17588fc0f', code: 'Private', name: 'Private sector' },
    { uuid: 'urn:uuid:45aad129-85b4-5866-a0c9-ac7817ac131d', code: 'Community', name: 'Community-based organisation' },
    { uuid: 'urn:uuid:272be634-225e-5c40-b161-68b10c3a0157', code: 'Military', name: 'Military' },
  ],
  cr_shelter_type: [
    { uuid: 'urn:uuid:568cc107-2e7e-5fe1-bd5b-7375d3e3f8e5', code: 'Collective', name: 'Collective centre' },
    { uuid: 'urn:uuid:de2771d1-950e-5107-8b53-d69dd0c13aff', code: 'School', name: 'School' },
    { uuid: 'urn:uuid:c0f5015b-7b48-5c0c-b587-2f806b0cb34d', code: 'Tent', name: 'Tented camp' },
    { uuid: 'urn:uuid:31ec5570-73a9-531d-8703-ab416f296106', code: 'Church', name: 'Place of worship' },
    { uuid: 'urn:uuid:7be8abbc-3237-5c65-ab72-fedabaebd28b', code: 'Planned', name: 'Planned camp' },
    { uuid: 'urn:uuid:976988d4-00f7-5eb2-a41b-5d86f13fa062', code: 'SelfSettled', name: 'Self-settled camp' },
  ],
};

/** Reference rows carry this fixed creation instant so every instance exports them identically. */
export const REFERENCE_EPOCH = '2026-01-01T00:00:00.000Z';

/**
 * The bed-type reference rows of releases before Eden's model (med_bed_capacity.bed_type_id);
 * kept so a migration can turn each into Eden's bed_type code.
 */
export const LEGACY_BED_TYPES: readonly (ReferenceRow & { edenCode: number })[] = [
    { uuid: 'urn:uuid:c2c82319-1662-5ec7-bb04-c0d9e7ca6cd8', code: 'AdultICU', name: 'Adult ICU', edenCode: 1 },
    { uuid: 'urn:uuid:aeb6f2d3-8d44-5972-a102-17165935c2ca', code: 'PediatricICU', name: 'Pediatric ICU', edenCode: 2 },
    { uuid: 'urn:uuid:b7c15560-a465-5207-a310-c2a69cc42b08', code: 'NeonatalICU', name: 'Neonatal ICU', edenCode: 3 },
    { uuid: 'urn:uuid:d812a221-4d1e-5b18-902b-2cc6264aebc2', code: 'EmergencyDepartment', name: 'Emergency department', edenCode: 4 },
    { uuid: 'urn:uuid:696ec1c9-9c0a-52fd-bb8b-3f47f67da871', code: 'NurseryBeds', name: 'Nursery', edenCode: 5 },
    { uuid: 'urn:uuid:a2fb0866-dfa2-5300-b377-309b65378ee0', code: 'MedicalSurgical', name: 'Medical / surgical', edenCode: 6 },
    { uuid: 'urn:uuid:1e6c5c9a-881b-5a1e-a0b3-acdce2ea0f12', code: 'RehabLongTermCare', name: 'Rehabilitation / long-term care', edenCode: 7 },
    { uuid: 'urn:uuid:ef1cd00e-28d2-54fa-ab35-1e970c9dc688', code: 'Burn', name: 'Burn', edenCode: 8 },
    { uuid: 'urn:uuid:1261a937-4ff8-5103-8d7b-01dca6e90f31', code: 'Pediatrics', name: 'Pediatrics', edenCode: 9 },
    { uuid: 'urn:uuid:2f83a1c1-a840-5330-8432-198d191ab88a', code: 'AdultPsychiatric', name: 'Adult psychiatric', edenCode: 10 },
    { uuid: 'urn:uuid:f228be35-1a30-5803-b00d-1545ee6d84df', code: 'PediatricPsychiatric', name: 'Pediatric psychiatric', edenCode: 11 },
    { uuid: 'urn:uuid:5e24eed6-00be-5c39-8452-c4113ca1ba7b', code: 'NegativeFlowIsolation', name: 'Negative-flow isolation', edenCode: 12 },
    { uuid: 'urn:uuid:6fc66bee-66aa-58b3-9be6-5588a6b36f43', code: 'OtherIsolation', name: 'Other isolation', edenCode: 13 },
    { uuid: 'urn:uuid:535b9de4-058b-5f0d-8e96-9a628fcdcaa1', code: 'OperatingRooms', name: 'Operating rooms', edenCode: 14 }
];
