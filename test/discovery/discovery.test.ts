import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { decodeTxt, encodeTxt } from '../../src/transports/discovery/txt.js';
import { openStore } from '../../src/open.js';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { Peers } from '../../src/sync/peers.js';
import { createInvite } from '../../src/sync/serve.js';
import { eventually, makeNetPair, run, startProcess, stopProcess, type NetPair } from './netns.js';
import { tempDir } from '../support/temp.js';

const BIN = resolve(import.meta.dirname, '../../bin/tidemark.js');
const quiet = { TIDEMARK_LOG_LEVEL: 'warn' };

describe('TXT record', () => {
  const ad = { uuid: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'district office', clusters: ['north', 'health'], schemaVersion: 1, registryHash: 'ab12cd34', port: 8080 };

  it('round-trips what an instance advertises', () => {
    assert.deepEqual(decodeTxt(encodeTxt(ad)), ad);
  });

  it('refuses answers that do not describe a Tidemark instance', () => {
    assert.throws(() => decodeTxt({ uuid: 'not-a-uuid', sv: '1', port: '80' }), /uuid/);
    assert.throws(() => decodeTxt({ ...encodeTxt(ad), sv: 'x' }), /schema version/);
    assert.throws(() => decodeTxt({ ...encodeTxt(ad), port: '99999' }), /port/);
    assert.throws(() => decodeTxt(undefined), /TXT/);
  });

  it('drops cluster names and control characters a stranger could inject', () => {
    const got = decodeTxt({ ...encodeTxt(ad), clusters: 'north,<script>,ok-2', name: 'evil\u0007name' });
    assert.deepEqual(got.clusters, ['north', 'ok-2']);
    assert.equal(got.name, 'evilname');
  });
});

/**
 * Two instances, each in its own network namespace, find each other by mDNS over a veth pair.
 * Where namespaces cannot be made (not root, no iproute2), both run on loopback with discovery
 * pinned to 127.0.0.1, which exercises the same code without a second network.
 */
describe('discovery between two network namespaces', () => {
  let net: NetPair | null = null;
  let dir = '';
  const dbs: string[] = [];
  const uuids: string[] = [];
  const servers: ChildProcess[] = [];
  let prefix: (i: 0 | 1) => string[] = () => [];
  let env: NodeJS.ProcessEnv = quiet;

  /** An organisation's name as site i holds it (the service keeps running meanwhile). */
  const nameAt = async (i: 0 | 1, uuid: string): Promise<string | undefined> => {
    const s = await openStore(dbs[i]!);
    try {
      return (await s.get('org_organisation', uuid))?.data.name as string | undefined;
    } finally {
      await s.close();
    }
  };
  const cli = (i: 0 | 1, ...args: string[]): string => run([...prefix(i), process.execPath, BIN, ...args, '--db', dbs[i]!], env);

  before(async () => {
    dir = tempDir('tidemark-discovery');
    // TIDEMARK_TEST_DISCOVERY=loopback forces the fallback (to check it, inside a namespace of its own).
    net = process.env.TIDEMARK_TEST_DISCOVERY === 'loopback' ? null : makeNetPair();
    if (net) prefix = (i) => net!.exec(i);
    else {
      process.stderr.write('discovery test: no network namespaces (ip netns unavailable, or TIDEMARK_TEST_DISCOVERY=loopback): loopback only\n');
      env = { ...quiet, TIDEMARK_DISCOVERY_INTERFACE: '127.0.0.1' };
    }
    for (const i of [0, 1] as const) {
      dbs[i] = `sqlite:${join(dir, `site-${i}.db`)}`;
      uuids[i] = run([process.execPath, BIN, 'init', '--name', `site-${'ab'[i]}`, '--db', dbs[i]!], quiet).trim();
    }
    for (const i of [0, 1] as const) {
      const host = net ? net.addresses[i] : '127.0.0.1';
      const port = net ? '8080' : String(18000 + i + Math.floor(Math.random() * 1000) * 2);
      servers[i] = await startProcess([...prefix(i), process.execPath, BIN, 'serve', '--db', dbs[i]!, '--host', host, '--port', port], env, /\/health/);
    }
  });

  after(async () => {
    for (const s of servers) if (s) await stopProcess(s);
    net?.remove();
  });

  it('each running service lists the other as a candidate, not as a peer', async () => {
    for (const [me, other] of [[0, 1], [1, 0]] as const) {
      const found = await eventually(`site ${me} to hear site ${other}`, () => {
        const rows = JSON.parse(cli(me, 'discover', '--wait', '0', '--json')) as { uuid: string; url: string; name: string; pairedOn: string | null; schemaVersion: number }[];
        return rows.find((r) => r.uuid === uuids[other]);
      });
      assert.equal(found.name, `site-${'ab'[other]}`);
      assert.equal(found.pairedOn, null);
      assert.equal(found.schemaVersion, SCHEMA_VERSION, 'the schema version this build speaks');
      if (net) assert.equal(found.url, `http://${net.addresses[other]}:8080`);
      else assert.match(found.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    }
  });

  it('a one-shot `discover --wait` hears the other service on its own', () => {
    const rows = JSON.parse(cli(0, 'discover', '--wait', '3', '--json')) as { uuid: string }[];
    assert.ok(rows.some((r) => r.uuid === uuids[1]), 'site b heard by a short browse');
    assert.ok(!rows.some((r) => r.uuid === uuids[0]), 'an instance never lists itself');
  });

  it('nothing flows before pairing; pairing needs the other site\'s one-time code', async () => {
    const b = await openStore(dbs[1]!);
    try {
      assert.equal(await new Peers(b).find(uuids[0]!), undefined, 'a candidate is not a peer');
    } finally {
      await b.close();
    }
    assert.throws(() => cli(1, 'discover', 'pair', uuids[0]!.slice(0, 8)), /needs its one-time code/);
    assert.throws(() => cli(1, 'discover', 'pair', uuids[0]!.slice(0, 8), '--code', 'wrong-code'), /pairing code is unknown/);
    assert.throws(() => cli(1, 'discover', 'pair', 'ffffffff', '--code', 'x'), /no discovered instance "ffffffff"/);
  });

  it('once paired (by uuid prefix and code), the daemons sync over the LAN address they were found at', async () => {
    const a = await openStore(dbs[0]!);
    const { code } = await createInvite(a);
    const org = await a.create('org_organisation', { name: 'Found by mDNS' });
    await a.close();
    const out = cli(1, 'discover', 'pair', uuids[0]!.slice(0, 8), '--code', code);
    assert.match(out, /^paired: site-a/);
    assert.match(cli(1, 'discover', 'pair', uuids[0]!), /already paired/);
    const rows = JSON.parse(cli(1, 'discover', '--wait', '0', '--json')) as { uuid: string; pairedOn: string | null }[];
    assert.ok(rows.find((r) => r.uuid === uuids[0])?.pairedOn);
    // Both sides now know each other (the code proved site-a's operator agreed).
    const sa = await openStore(dbs[0]!);
    const sb = await openStore(dbs[1]!);
    try {
      assert.equal((await new Peers(sa).find(uuids[1]!))?.name, 'site-b');
      const peerA = await new Peers(sb).get(uuids[0]!);
      if (net) assert.equal(peerA.url, `http://${net.addresses[0]}:8080`);
    } finally {
      await sa.close();
      await sb.close();
    }
    // The daemon of site-b's service syncs the new peer like any other: pull...
    await eventually('the record made at site-a to reach site-b', () => nameAt(1, org.uuid), 30_000);
    // ...and push: a change made at site-b travels to site-a over the veth.
    const b = await openStore(dbs[1]!);
    const fromB = await b.create('org_organisation', { name: 'Made at site-b' });
    await b.close();
    await eventually('the record made at site-b to reach site-a', () => nameAt(0, fromB.uuid), 30_000);
  });
});
