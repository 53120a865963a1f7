import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropTestDatabases, freshDatabase } from '../support/databases.js';
import { runCli } from './processes.js';
import { loopSync, pairAll } from './support.js';
import { openStore } from '../../src/open.js';
import { Peers } from '../../src/sync/index.js';

after(dropTestDatabases);

const cli = async (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => runCli(args).done;

test('the sync commands: peer, conflicts, log, purge', async () => {
  const dbA = await freshDatabase('sqlite');
  const dbB = await freshDatabase('sqlite');
  const a = await openStore(dbA, { instanceName: 'alpha' });
  const b = await openStore(dbB, { instanceName: 'bravo' });
  try {
    await pairAll([a, b]);
    const org = await a.create('org_organisation', { name: 'start' });
    await loopSync(a, b);
    await a.update('org_organisation', org.uuid, { name: 'alpha says' });
    await new Promise((r) => setTimeout(r, 5));
    await b.update('org_organisation', org.uuid, { name: 'bravo says' });
    await a.remove('org_organisation', (await a.create('org_organisation', { name: 'short-lived' })).uuid);
    await loopSync(a, b);
    await a.close();

    const invite = await cli(['peer', 'invite', '--db', dbA]);
    assert.equal(invite.code, 0);
    assert.match(invite.stdout.trim(), /^[A-Za-z0-9_-]{12}$/);
    const list = await cli(['peer', 'list', '--db', dbA]);
    assert.match(list.stdout, /bravo\t.*both NEWER every 300s/);
    const set = await cli(['peer', 'set', 'bravo', '--policy', 'master', '--interval', '60', '--filter', 'org_office.name=HQ', '--db', dbA]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /"policy":"MASTER"/);
    const badSet = await cli(['peer', 'set', 'bravo', '--policy', 'SOMETIMES', '--db', dbA]);
    assert.equal(badSet.code, 1);
    assert.match(badSet.stderr, /not THIS, OTHER, NEWER or MASTER/);
    assert.equal((await cli(['peer', 'cluster', 'district', '--direction', 'pull', '--db', dbA])).code, 0);
    assert.match((await cli(['peer', 'cluster', '--db', dbA])).stdout, /district\t\{"direction":"pull"\}/);

    const conflicts = await cli(['conflicts', '--db', dbA]);
    const id = /^#(\d+)\t.*org_organisation.*winner=remote/m.exec(conflicts.stdout)?.[1];
    assert.ok(id, conflicts.stdout);
    // Field by field, with the site names and local times of both changes.
    assert.match((await cli(['conflicts', 'show', id, '--db', dbA])).stdout, /kept: the change by bravo at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d .*\nlost: the change by alpha \(this instance\) at .*\n\s+name\s+kept "bravo says", lost "alpha says"/);
    const rev = await cli(['conflicts', 'reverse', id, '--db', dbA]);
    assert.equal(rev.code, 0, rev.stderr);
    assert.match((await cli(['conflicts', 'reverse', id, '--db', dbA])).stderr, /was reversed/);

    const log = await cli(['log', '--db', dbA]);
    assert.match(log.stdout, /bravo\tsync\t\*\tsuccess\tsent=\d+ received=1 conflicts=1/);
    // The passive side logs what was pushed to it.
    assert.match((await cli(['log', '--db', dbB])).stdout, /alpha\treceive\torg_organisation\tsuccess\tsent=0 received=\d+/);
    const purge = await cli(['purge', '--dry-run', '--db', dbA]);
    assert.match(purge.stdout, /org_organisation: would purge 1, kept 0/);
    assert.match((await cli(['purge', '--db', dbA])).stdout, /org_organisation: purged 1/);

    const show = await cli(['peer', 'show', 'bravo', '--db', dbA]);
    assert.match(show.stdout, /"policy":"MASTER"/);
    assert.match(show.stdout, /org_organisation\t\S+\t\d+/);
    assert.match((await cli(['peer', 'remove', 'bravo', '--db', dbA])).stdout, /removed peer "bravo"/);
    const none = await cli(['sync', '--all', '--db', dbA]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no peer to sync with/);
    const again = await openStore(dbA);
    assert.equal((await again.get('org_organisation', org.uuid))!.data.name, 'alpha says');
    assert.deepEqual(await new Peers(again).list(), []);
    await again.close();
  } finally {
    await b.close();
  }
});
