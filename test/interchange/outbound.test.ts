import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'libxmljs2';
import { exportDocuments } from '../../src/interchange/outbound.js';
import { parseXml } from '../../src/interchange/xml.js';
import { fixture, refused, STANDARDS } from './support.js';

const NS = {
  have: 'urn:oasis:names:tc:emergency:EDXL:HAVE:1.0',
  xnl: 'urn:oasis:names:tc:ciq:xnl:3',
  xpil: 'urn:oasis:names:tc:ciq:xpil:3',
  xal: 'urn:oasis:names:tc:ciq:xal:3',
  gml: 'http://www.opengis.net/gml',
  cap: 'urn:oasis:names:tc:emergency:cap:1.2',
  atom: 'http://www.w3.org/2005/Atom',
  de2: 'urn:oasis:names:tc:emergency:EDXL:DE:2.0',
  de1: 'urn:oasis:names:tc:emergency:EDXL:DE:1.0',
  ct: 'urn:oasis:names:tc:emergency:edxl:ct:1.0',
};
const opts = { schemasDir: STANDARDS };

describe('EDXL-HAVE export', () => {
  const [have] = exportDocuments('edxl-have', fixture('hospitals.s3xml'), opts);
  const doc = have!.doc;
  const text = (xpath: string): string[] => (doc.find(xpath, NS) as Element[]).map((e) => e.text());

  it('writes one HospitalStatus with one Hospital per live hospital, valid against project and official schemas', () => {
    assert.equal(doc.find('/have:HospitalStatus/have:Hospital', NS).length, 2);
    assert.equal(have!.mediaType, 'application/xml');
  });

  it('maps the organisation: identifier, name, address, contacts (which Eden drops), location', () => {
    const h = '/have:HospitalStatus/have:Hospital[1]/have:Organization';
    const name = doc.get(`${h}/have:OrganizationInformation/xnl:OrganisationName`, NS) as Element;
    assert.equal(name.attr('OrganisationID')!.value(), 'KE-MFL-10000');
    assert.deepEqual(text(`${h}//xnl:NameElement`), ['Nairobi County Referral Hospital']);
    assert.deepEqual(text(`${h}//xal:AddressLine`), ['Ngong Road 1']);
    assert.deepEqual(text(`${h}//xal:PostCode/xal:Identifier`), ['00100']);
    assert.deepEqual(text(`${h}//xpil:ContactNumberElement`), ['+254 20 4405561', '+254 20 4405562', '+254 716789388', '+254 20 4405563']);
    assert.deepEqual(text(`${h}//xpil:ElectronicAddressIdentifier`), ['info@ke-mfl-10000.health.example.org', 'https://ke-mfl-10000.health.example.org']);
    assert.deepEqual(text(`${h}/have:OrganizationGeoLocation/gml:Point/gml:pos`), ['-1.2921 36.8219']);
    assert.ok(text(`${h}/have:CommentText`).includes('Contact: Dr. Achieng Otieno'));
  });

  it('maps status, beds with their own CapacityStatus and 24 h additions, services, activity and staffing', () => {
    const h = '/have:HospitalStatus/have:Hospital[1]';
    assert.deepEqual(text(`${h}//have:EMSTrafficStatus`), ['Advisory']);
    assert.deepEqual(text(`${h}//have:EMSTrafficReason`), ['CT scanner out of service']);
    assert.deepEqual(text(`${h}//have:BedType`), ['AdultICU', 'Burn']);
    assert.deepEqual(text(`${h}//have:CapacityStatus`), ['Vacant/Available', 'NotAvailable']);
    assert.deepEqual(text(`${h}//have:AdditionalCapacityCount24Hr`), ['2']);
    assert.deepEqual(text(`${h}//have:Cardiology`), ['true']);
    assert.deepEqual(text(`${h}//have:AmbulanceServices`), ['true']);
    assert.deepEqual(text(`${h}//have:MorgueCapacityUnits`), ['12']);
    assert.deepEqual(text(`${h}//have:SecurityStatus`), ['Elevated']);
    assert.deepEqual(text(`${h}//have:Activity24Hr/have:Admissions`), ['24'], 'the latest day of activity');
    assert.deepEqual(text(`${h}//have:Staffing`), ['Insufficient']);
    assert.ok(text(`${h}//have:ResourcesInformationText`).includes('Doctors: 6'));
  });

  it('writes LastUpdateTime with a zone: the latest change to the hospital or its components', () => {
    assert.deepEqual(text('//have:Hospital/have:LastUpdateTime'), ['2026-11-25T07:15:00.000Z', '2026-11-21T09:00:00.000Z']);
  });
});

describe('CAP export', () => {
  const docs = exportDocuments('cap', fixture('alerts.s3xml'), opts);

  it('writes one valid alert document per live alert, date-times with a numeric zone', () => {
    assert.equal(docs.length, 4);
    const first = docs[0]!.doc;
    assert.equal(first.get<Element>('/cap:alert/cap:sent', NS)!.text(), '2026-11-23T06:00:00+00:00');
    assert.equal(first.find('/cap:alert/cap:info', NS).length, 2);
    assert.deepEqual((first.find('//cap:info[1]/cap:category', NS) as Element[]).map((e) => e.text()), ['Met', 'Safety']);
    assert.equal(first.get<Element>('//cap:info[1]/cap:area/cap:polygon', NS)!.text(), '-1.20,39.90 -1.20,40.30 -2.30,40.30 -2.30,39.90 -1.20,39.90');
    assert.equal(first.get<Element>('//cap:info[2]/cap:area/cap:areaDesc', NS)!.text(), 'Bonde la Tana', 'areas go with their own info block');
    assert.equal(first.get<Element>('//cap:info[1]/cap:resource/cap:size', NS)!.text(), '284113');
    assert.equal(docs[0]!.mediaType, 'application/cap+xml');
  });

  it('writes one alert when asked for one', () => {
    const one = exportDocuments('cap', fixture('alerts.s3xml'), { ...opts, params: { uuid: 'urn:uuid:33333333-ab53-5ab2-b06e-741c17793bfb' } });
    assert.equal(one.length, 1);
    assert.equal(one[0]!.doc.get<Element>('/cap:alert/cap:identifier', NS)!.text(), 'KRCS-2026-77');
  });

  it('writes an Atom feed of the current alerts only (not expired, not cancelled, no Cancel messages)', () => {
    const [feed] = exportDocuments('cap-atom', fixture('alerts.s3xml'), opts);
    const ids = (feed!.doc.find('/atom:feed/atom:entry/atom:content/cap:alert/cap:identifier', NS) as Element[]).map((e) => e.text());
    assert.deepEqual(ids, ['KMD-2026-1125-001']);
  });
});

describe('EDXL-DE export', () => {
  it('wraps one content object per alert in a DE 2.0 envelope, valid with the CAP inside', () => {
    const [de] = exportDocuments('edxl-de', fixture('alerts.s3xml'), { ...opts, envelope: { senderID: 'eoc@tidemark.example.org', keywords: [{ list: 'urn:x:kw', value: 'flood' }] } });
    const doc = de!.doc;
    assert.equal(doc.find('//de2:contentObject/de2:contentXML/de2:embeddedXMLContent/cap:alert', NS).length, 4);
    assert.equal(doc.get<Element>('/de2:edxlDistribution/de2:senderID', NS)!.text(), 'eoc@tidemark.example.org');
    assert.match(doc.get<Element>('/de2:edxlDistribution/de2:dateTimeSent', NS)!.text(), /\+00:00$/);
    assert.equal(doc.get<Element>('//de2:descriptor/de2:combinedConfidentiality', NS)!.text(), 'Unclassified');
    assert.equal(doc.get<Element>('//de2:keyword/ct:Value', NS)!.text(), 'flood');
    assert.ok(doc.find('//de2:targetArea', NS).length >= 2, 'target area from the alerts');
  });

  it('wraps a HAVE document and S3XML records too, and writes DE 1.0 for older partners', () => {
    const [have] = exportDocuments('edxl-de', fixture('hospitals.s3xml'), opts);
    assert.equal(have!.doc.find('//de2:embeddedXMLContent/*[local-name()="HospitalStatus"]', NS).length, 1);
    const [s3] = exportDocuments('edxl-de', fixture('hospitals.s3xml'), { ...opts, content: 's3xml' });
    assert.equal(s3!.doc.find('//de2:embeddedXMLContent/*[local-name()="s3xml"]', NS).length, 1);
    const [old] = exportDocuments('edxl-de-1.0', fixture('alerts.s3xml'), opts);
    assert.equal(old!.doc.find('/de1:EDXLDistribution/de1:contentObject/de1:xmlContent/de1:embeddedXMLContent/cap:alert', NS).length, 4);
  });

  it('never returns a document that fails its schema', async () => {
    const bad = fixture('alerts.s3xml').replace('<data field="status">Actual</data>', '<data field="status">Emergency</data>');
    const e = await refused(() => exportDocuments('cap', bad, opts), 'invalid');
    assert.match(e.message, /'Emergency' is not an element of the set/);
    assert.equal(e.where.element, 'status');
  });
});

describe('document parsing of exported text', () => {
  it('every exported document re-parses as stand-alone XML', () => {
    for (const f of ['edxl-have', 'cap', 'cap-atom', 'edxl-de', 'edxl-de-1.0']) {
      const src = f === 'edxl-have' ? fixture('hospitals.s3xml') : fixture('alerts.s3xml');
      for (const d of exportDocuments(f, src)) assert.ok(parseXml(d.xml).root(), f);
    }
  });
});
