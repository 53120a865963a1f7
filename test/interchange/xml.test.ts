import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

  it('detaches an element with the namespaces its ancestors declared', () => {
    const doc = parseXml('<r xmlns="urn:r" xmlns:c="urn:c"><w><c:a><c:b/><d/></c:a></w></r>');
    const part = parseXml(detachXml(doc.get('//*[local-name()="a"]')!));
    assert.equal(part.root()!.namespace()!.href(), 'urn:c');
    assert.equal(part.get('//*[local-name()="d"]')!.namespace()!.href(), 'urn:r');
  });
});
