import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'libxmljs2';
import { parseXml, detachXml } from '../../src/interchange/xml.js';
import { refused } from './support.js';

describe('safe XML parsing', () => {
  it('parses ordinary XML and keeps line numbers', () => {
    const doc = parseXml('<a>\n  <b>x</b>\n</a>');
    assert.equal(doc.get('//b')!.line(), 2);
  });

  it('refuses text that is not well-formed, naming the line', async () => {
    const e = await refused(() => parseXml('<a>\n<b>\n</a>'), 'malformed');
    assert.match(e.message, /not well-formed/);
    assert.ok(e.where.line && e.where.line >= 2, e.describe());
  });

  it('refuses a DOCTYPE that declares entities (billion laughs)', async () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    const e = await refused(() => parseXml(bomb), 'malformed');
    assert.match(e.message, /entity declarations/);
  });

  it('refuses external entities and external DTDs (XXE)', async () => {
    await refused(() => parseXml('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'), 'malformed');
    const e = await refused(() => parseXml('<!DOCTYPE a SYSTEM "http://127.0.0.1:9/evil.dtd"><a/>'), 'malformed');
    assert.match(e.message, /external DTD/);
  });

  it('refuses 1 MB of repeated <!DOCTYPE as not well-formed (the check reads it once)', async () => {
    await refused(() => parseXml(`<a/>${'<!DOCTYPE'.repeat(110_000)}`), 'malformed');
    await refused(() => parseXml(`${'<!DOCTYPE a ['.repeat(80_000)}<a/>`), 'malformed');
  });

  it('never expands an undeclared entity reference into file content', async () => {
    await refused(() => parseXml('<a>&x;</a>'), 'malformed');
  });

  it('refuses documents over the size limit before parsing', async () => {
    const e = await refused(() => parseXml(`<a>${'x'.repeat(2000)}</a>`, { maxBytes: 1000 }), 'too_large');
    assert.match(e.message, /over the limit of 1000/);
  });

  it('refuses nesting deeper than the limit, naming the element', async () => {
    const deep = '<e>'.repeat(70) + '</e>'.repeat(70);
    const e = await refused(() => parseXml(deep), 'malformed');
    assert.equal(e.where.element, 'e');
    assert.match(e.message, /deeper than 64/);
    assert.equal(parseXml(deep, { maxDepth: 100 }).root()!.name(), 'e');
  });

  it('keeps every protection and every text in a read-only parse (libxml2 compact mode)', async () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    assert.match((await refused(() => parseXml(bomb, { readOnly: true }), 'malformed')).message, /entity declarations/);
    await refused(() => parseXml('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', { readOnly: true }), 'malformed');
    assert.match((await refused(() => parseXml('<!DOCTYPE a SYSTEM "http://127.0.0.1:9/evil.dtd"><a/>', { readOnly: true }), 'malformed')).message, /external DTD/);
    await refused(() => parseXml('<a>&x;</a>', { readOnly: true }), 'malformed');
    await refused(() => parseXml(`<a>${'x'.repeat(2000)}</a>`, { maxBytes: 1000, readOnly: true }), 'too_large');
    const deep = await refused(() => parseXml('<e>'.repeat(70) + '</e>'.repeat(70), { readOnly: true }), 'malformed');
    assert.equal(deep.where.element, 'e');
    const e = await refused(() => parseXml('<a>\n<b>\n</a>', { readOnly: true }), 'malformed');
    assert.ok(e.where.line && e.where.line >= 2, e.describe());
    // Short strings live inside their node in compact mode; they read back whole, as do long ones.
    const long = 'y'.repeat(40);
    const doc = parseXml(`<a v="1">\n<b w="short">x</b>\n<c>${long}</c><d>fifteen chars!!</d></a>`, { readOnly: true });
    assert.equal(doc.get<Element>('//b')!.line(), 2);
    assert.equal(doc.get<Element>('//b')!.text(), 'x');
    assert.equal(doc.get<Element>('//b')!.attr('w')!.value(), 'short');
    assert.equal(doc.root()!.attr('v')!.value(), '1');
    assert.equal(doc.get<Element>('//c')!.text(), long);
    assert.equal(doc.get<Element>('//d')!.text(), 'fifteen chars!!');
    assert.equal(detachXml(doc.get<Element>('//b')!), '<b w="short">x</b>');
  });

  it('detaches an element with the namespaces its ancestors declared', () => {
    const doc = parseXml('<r xmlns="urn:r" xmlns:c="urn:c"><w><c:a><c:b/><d/></c:a></w></r>');
    const part = parseXml(detachXml(doc.get('//*[local-name()="a"]')!));
    assert.equal(part.root()!.namespace()!.href(), 'urn:c');
    assert.equal(part.get('//*[local-name()="d"]')!.namespace()!.href(), 'urn:r');
  });
});
