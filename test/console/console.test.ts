/**
 * The web console in a real browser (Debian chromium driven by playwright-core) against two real
 * `tidemark serve` processes: sign in, pair through the consoles, choose what syncs, dry run and
 * sync with progress, edit a hospital's beds and see it on the other side, conflicts, bundles,
 * and a reader refused the edit form. Screenshots of each page go to SCREENS (printed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startService, tidemark, type ServiceProcess } from '../support/processes.js';
import { selfSigned } from '../support/certificates.js';
import { example } from '../interchange/support.js';
import { firstLoadBytes, launch, SCREENS, shot } from './browser.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('tidemark-console');
const ADMIN_PW = 'console-test-admin-pw';
const env = (name: string): Record<string, string> => ({
  TIDEMARK_DAEMON: '0',
  TIDEMARK_DISCOVERY: 'off',
  TIDEMARK_OUTBOX: join(dir, `outbox-${name}`),
  TIDEMARK_ADMIN_PASSWORD: ADMIN_PW,
});

let A: ServiceProcess;
let B: ServiceProcess;
let browser: Browser;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let pageA: Page;
let pageB: Page;
const dbA = `sqlite:${join(dir, 'a.db')}`;
const dbB = `sqlite:${join(dir, 'b.db')}`;

async function cli(db: string, name: string, args: string[], input?: string): Promise<string> {
  const r = await tidemark([...args, '--db', db], { env: env(name), input });
  assert.equal(r.code, 0, `tidemark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function signIn(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  // Not signed in: the console sends people to its sign-in page.
  assert.match(page.url(), /\/console\/login/);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
}

/** Sync now on A's page for B, and wait for that sync (not an earlier one) to finish. */
async function syncFromA(): Promise<void> {
  await pageA.goto(`${A.url}/console/peers/${peerOfA}`);
  const earlier = (await pageA.locator('#job').getAttribute('data-job').catch(() => null)) ?? 'none';
  await pageA.getByRole('button', { name: 'Sync now' }).first().click();
  await pageA.locator(`#job[data-state="done"]:not([data-job="${earlier}"])`).waitFor({ timeout: 60_000 });
}

before(async () => {
  await cli(dbA, 'a', ['init', '--name', 'site-a']);
  await cli(dbA, 'a', ['samples']);
  await cli(dbB, 'b', ['init', '--name', 'site-b']);
  await cli(dbA, 'a', ['user', 'add', 'rita', '--role', 'reader', '--password-stdin'], 'rita-reads-only\n');
  A = await startService(['serve', '--db', dbA], { env: env('a') });
  B = await startService(['serve', '--db', dbB], { env: env('b') });
  browser = await launch();
  ctxA = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  ctxB = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone
  pageA = await ctxA.newPage();
  pageB = await ctxB.newPage();
});

after(async () => {
  await browser?.close();
  await A?.stop();
  await B?.stop();
  console.log(`console screenshots: ${SCREENS}`);
});

test('sign in, and the overview and records page stay small on first load', async () => {
  await signIn(pageA, A.url, 'admin', ADMIN_PW);
  await signIn(pageB, B.url, 'admin', ADMIN_PW);
  await pageA.getByRole('heading', { name: 'This instance' }).waitFor();
  assert.match(await pageA.locator('dl.facts').first().innerText(), /site-a/);
  await shot(pageA, '01-overview');

  // Measured in a signed-in context with the cache off: every byte the browser fetched.
  const overview = await firstLoadBytes(ctxA, `${A.url}/`);
  const records = await firstLoadBytes(ctxA, `${A.url}/console/records/med_hospital`);
  console.log(`first load: overview ${overview.bytes} bytes in ${overview.requests} requests; records ${records.bytes} bytes in ${records.requests} requests`);
  assert.ok(overview.bytes < 100 * 1024, `overview first load ${overview.bytes} bytes`);
  assert.ok(records.bytes < 100 * 1024, `records first load ${records.bytes} bytes`);
});

let peerOfA = '';

test('pair two instances through their consoles', async () => {
  await pageB.goto(`${B.url}/console/peers`);
  await pageB.getByRole('button', { name: 'Make an invite code' }).click();
  const code = (await pageB.locator('#invite-code').innerText()).trim();
  assert.match(code, /^\S{6,}$/);
  await shot(pageB, '02-invite-phone');

  await pageA.goto(`${A.url}/console/peers`);
  await pageA.getByLabel('Address of the other site').fill(B.url);
  await pageA.getByLabel('Invite code from the other site').fill(code);
  await pageA.getByLabel('Address of this site as the other one reaches it').fill(A.url);
  await pageA.getByRole('button', { name: 'Pair', exact: true }).click();
  await pageA.waitForURL(/\/console\/peers\/[0-9a-f-]{36}/);
  peerOfA = /\/console\/peers\/([0-9a-f-]{36})/.exec(pageA.url())![1]!;
  assert.equal(await pageA.getByRole('heading', { level: 1 }).innerText(), 'site-b');
  await shot(pageA, '03-peer');

  // B knows A too: pairing registered both sides.
  await pageB.goto(`${B.url}/console/peers`);
  await pageB.getByRole('link', { name: 'site-a' }).waitFor();
});

test('untick a resource, dry run, then sync: progress reaches the dry run counts and the unticked resource stays home', async () => {
  await pageA.goto(`${A.url}/console/peers/${peerOfA}`);
  await pageA.getByLabel('All resources').uncheck();
  await pageA.getByRole('checkbox', { name: 'Shelter', exact: true }).uncheck();
  await pageA.getByRole('button', { name: 'Save settings' }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.equal(await pageA.getByRole('checkbox', { name: 'Shelter', exact: true }).isChecked(), false);
  assert.equal(await pageA.getByRole('checkbox', { name: 'Hospital', exact: true }).isChecked(), true);

  await pageA.getByRole('button', { name: 'Dry run' }).click();
  const plan = pageA.locator('#plan');
  await plan.waitFor();
  const planSend = Number(await plan.locator('[data-total="send"]').innerText());
  const planReceive = Number(await plan.locator('[data-total="receive"]').innerText());
  assert.ok(planSend > 100, `dry run sends ${planSend}`);
  assert.equal(planReceive, 0);
  assert.equal(await plan.getByRole('cell', { name: 'cr_shelter', exact: true }).count(), 0);
  await shot(pageA, '04-dry-run');

  await pageA.locator('#sync-panel').getByRole('button', { name: 'Sync now' }).click();
  const job = pageA.locator('#job[data-state="done"]');
  await job.waitFor({ timeout: 60_000 });
  assert.equal(Number(await job.locator('[data-total="sent"]').innerText()), planSend);
  assert.match(await job.locator('#job-count').innerText(), new RegExp(`^${planSend} of ${planSend} records`));
  await shot(pageA, '05-sync-done');

  await pageB.goto(`${B.url}/console/records/cr_shelter`);
  await pageB.getByText('No records.').waitFor();
  await pageB.goto(`${B.url}/console/records/med_hospital`);
  assert.match(await pageB.getByRole('status').innerText(), /of 50$/);
  await shot(pageB, '06-records-phone');
});

test("edit a hospital's beds on one instance and see them on the other", async () => {
  await pageA.goto(`${A.url}/console/records/med_hospital?q=Nairobi+County+Referral`);
  // The record's own link heads its row (its location, named after it, is a link too).
  await pageA.getByRole('rowheader').getByRole('link', { name: 'Nairobi County Referral Hospital', exact: true }).click();
  await shot(pageA, '07-record');
  const bedRow = pageA.locator('section[aria-labelledby="h-components"] tr', { hasText: 'AdultICU ward' });
  await bedRow.getByRole('link', { name: 'Edit' }).click();
  await pageA.getByLabel('Beds available').fill('17');
  await shot(pageA, '08-edit-form');
  await pageA.getByRole('button', { name: 'Save' }).click();
  await pageA.getByText('Saved.').waitFor();
  const bedUrl = pageA.url().replace(/\?.*$/, '');

  await syncFromA();

  await pageB.goto(bedUrl.replace(A.url, B.url));
  const facts = pageB.locator('dl.facts').first();
  assert.match(await facts.innerText(), /Beds available\s+17/);
});

test("a record's versions: where each came from and what changed, field by field", async () => {
  await hospitalPath(pageA, A.url, 'Nairobi County Referral Hospital');
  const edit = await pageA.locator('section[aria-labelledby="h-components"] tr', { hasText: 'AdultICU ward' }).getByRole('link', { name: 'Edit' }).getAttribute('href');
  const bed = edit!.replace(/\/edit$/, '');
  await pageA.goto(`${A.url}${bed}`);
  // On A: the edit by the signed-in admin, newest first, with the beds before and after.
  const newestA = pageA.locator('#versions tbody tr').first();
  assert.match(await newestA.locator('td').nth(1).innerText(), /^edit by admin$/);
  assert.match(await newestA.locator('td').nth(3).innerText(), /Beds available: \d+ → 17/);
  assert.match(await pageA.locator('#versions tbody tr').last().locator('td').nth(1).innerText(), /^import \(samples\)$/);
  await shot(pageA, '17-record-versions');
  // On B: the same version, taken from site-a by HTTP.
  await pageB.goto(`${B.url}${bed}`);
  const newestB = pageB.locator('#versions tbody tr').first();
  assert.equal(await newestB.locator('td').nth(1).innerText(), 'from peer site-a by http');
  assert.match(await newestB.locator('td').nth(3).innerText(), /Beds available: \d+ → 17/);
});

test('a bundle exported on one side is previewed, then imported, on the other', async () => {
  await pageA.goto(`${A.url}/console/records/org_organisation`);
  await pageA.getByRole('link', { name: 'Kenya Red Cross Society' }).click();
  await pageA.getByRole('link', { name: 'Edit' }).first().click();
  await pageA.getByLabel('Comments').fill('Carried by USB stick');
  await pageA.getByRole('button', { name: 'Save' }).click();
  await pageA.getByText('Saved.').waitFor();

  await pageA.goto(`${A.url}/console/bundles`);
  await shot(pageA, '09-bundles');
  const [download] = await Promise.all([pageA.waitForEvent('download'), pageA.getByRole('button', { name: 'Export and download' }).click()]);
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  assert.ok(readFileSync(file).subarray(0, 16).toString().startsWith('TIDEMARK-BUNDLE'));

  await pageB.goto(`${B.url}/console/bundles`);
  await pageB.getByLabel('Bundle file').setInputFiles(file);
  await pageB.getByRole('button', { name: 'Preview' }).click();
  const preview = pageB.locator('#preview');
  await preview.waitFor();
  assert.equal(await preview.locator('tr[data-resource="org_organisation"] td').nth(3).innerText(), '1');
  await shot(pageB, '10-bundle-preview-phone');
  await pageB.getByRole('button', { name: 'Apply this bundle' }).click();
  await pageB.locator('#import-result').waitFor();
  // The organisation edited on A was held on B already: one record updated, none created or refused.
  assert.match(await pageB.locator('#import-result').innerText(), /Updated\s+1\s+Refused\s+0/);
  const [ack] = await Promise.all([pageB.waitForEvent('download'), pageB.getByRole('link', { name: 'Download the acknowledgement for the sender' }).click()]);
  assert.match(ack.suggestedFilename(), /\.ack\.tmb$/);

  await pageB.goto(`${B.url}/console/records/org_organisation?q=Kenya+Red+Cross`);
  await pageB.getByRole('link', { name: 'Kenya Red Cross Society' }).click();
  assert.match(await pageB.locator('dl.facts').first().innerText(), /Carried by USB stick/);
});

/** Opens a hospital by its name and returns its record URL (the same path on both sides). */
async function hospitalPath(page: Page, base: string, name: string): Promise<string> {
  await page.goto(`${base}/console/records/med_hospital?q=${encodeURIComponent(name)}`);
  await page.getByRole('rowheader').getByRole('link', { name, exact: true }).click();
  await page.waitForURL(/\/console\/records\/med_hospital\/urn/);
  return new URL(page.url()).pathname;
}

async function editHospital(page: Page, base: string, path: string, values: Record<string, string>): Promise<void> {
  await page.goto(`${base}${path}/edit`);
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
}

test('conflicts: one decided by taking a side, one merged field by field, one reversed', async () => {
  const names = ['Kisumu County Referral Hospital', 'Mombasa County Referral Hospital', 'Nakuru County Referral Hospital'];
  const paths: string[] = [];
  for (const [i, name] of names.entries()) {
    const path = await hospitalPath(pageA, A.url, name);
    paths.push(path);
    await editHospital(pageA, A.url, path, { 'Phone emergency': `A-${i}`, Comments: `noted at A ${i}` });
    await editHospital(pageB, B.url, path, { 'Phone emergency': `B-${i}`, 'Contact name': `B contact ${i}` });
  }
  await syncFromA();

  await pageA.goto(`${A.url}/console/conflicts?resource=med_hospital`);
  const rows = pageA.locator('#conflicts tbody tr');
  assert.equal(await rows.count(), 3);
  await shot(pageA, '12-conflicts');
  const idOf = async (path: string): Promise<string> => {
    const uuid = decodeURIComponent(path.split('/').pop()!);
    const row = pageA.locator('#conflicts tbody tr', { has: pageA.locator(`a[href$="${encodeURIComponent(uuid)}"]`) });
    return (await row.getAttribute('data-id'))!;
  };
  const [merged, taken, reversed] = [await idOf(paths[0]!), await idOf(paths[1]!), await idOf(paths[2]!)];

  // Field by field: the peer's phone, this side's comment, the peer's contact.
  await pageA.goto(`${A.url}/console/conflicts/${merged}`);
  await pageA.locator('tr[data-field="phone_emergency"] input[value="remote"]').check();
  await pageA.locator('tr[data-field="comments"] input[value="local"]').check();
  await pageA.locator('tr[data-field="contact_name"] input[value="remote"]').check();
  await shot(pageA, '13-conflict-diff');
  await pageA.getByRole('button', { name: 'Merge the chosen fields' }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.match(await pageA.locator('#winner').innerText(), /merged field by field/);

  // A side whole: the peer's version.
  await pageA.goto(`${A.url}/console/conflicts/${taken}`);
  await pageA.getByRole('button', { name: "Take the peer's version" }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.match(await pageA.locator('#winner').innerText(), /the peer/);

  // Reverse the automatic decision of the third: the version that lost comes back.
  await pageA.goto(`${A.url}/console/conflicts/${reversed}`);
  const before = await pageA.locator('tr[data-field="phone_emergency"] td').nth(2).innerText();
  pageA.once('dialog', (d) => void d.accept());
  await pageA.getByRole('button', { name: 'Reverse this decision' }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.match(await pageA.locator('#winner').innerText(), /Reversed/);
  const after = before === 'A-2' ? 'B-2' : 'A-2';

  // The decisions are changes like any other: they travel on the next sync.
  await syncFromA();
  const factsOn = async (page: Page, base: string, path: string): Promise<string> => {
    await page.goto(`${base}${path}`);
    return page.locator('dl.facts').first().innerText();
  };
  for (const [page, base] of [[pageA, A.url], [pageB, B.url]] as const) {
    const m = await factsOn(page, base, paths[0]!);
    assert.match(m, /Phone emergency\s+B-0/);
    assert.match(m, /Comments\s+noted at A 0/);
    assert.match(m, /Contact name\s+B contact 0/);
    assert.match(await factsOn(page, base, paths[1]!), /Phone emergency\s+B-1/);
    assert.match(await factsOn(page, base, paths[2]!), new RegExp(`Phone emergency\\s+${after}`));
  }
  // The decisions by hand travelled as decisions: the peer's conflict log has them too.
  await pageB.goto(`${B.url}/console/conflicts?resource=med_hospital`);
  assert.equal(await pageB.locator('#conflicts tbody tr', { hasText: 'decided by hand' }).count(), 2);
});

test('the run history lists the syncs and downloads as CSV', async () => {
  await pageA.goto(`${A.url}/console/runs?direction=sync`);
  const rows = pageA.locator('#runs tbody tr');
  assert.ok((await rows.count()) >= 2);
  await shot(pageA, '11-runs');
  const [csv] = await Promise.all([pageA.waitForEvent('download'), pageA.getByRole('link', { name: 'Download as CSV' }).click()]);
  const text = readFileSync(await csv.path(), 'utf8');
  const lines = text.trim().split('\r\n');
  assert.equal(lines[0], 'at,peer,peer_name,direction,resource,result,sent,received,created,updated,refused,conflicts,bytes,duration_ms,message');
  assert.equal(lines.length - 1, await rows.count());
  // What the receiving side did: the first sync created every record it sent; later ones updated the edits.
  const col = async (name: string): Promise<number[]> => (await rows.locator(`td[data-col="${name}"]`).allInnerTexts()).map(Number);
  const created = await col('created');
  const updated = await col('updated');
  assert.ok(Math.max(...created) > 100, `created ${created.join(',')}`);
  assert.ok(updated.some((n) => n >= 1), `updated ${updated.join(',')}`);
  assert.deepEqual(await col('refused'), created.map(() => 0));

  // The overview now shows the peer as the sync log has it.
  await pageA.goto(`${A.url}/`);
  const peerRow = pageA.locator('#peers tbody tr', { hasText: 'site-b' });
  assert.match(await peerRow.locator('td').nth(0).innerText(), /UTC/);
  // The daemon is off in these services: no schedule is promised.
  assert.match(await peerRow.locator('td').nth(2).innerText(), /no schedule/);
  // Every conflict was looked at (two decided by hand, one reversed): none left open.
  assert.equal(await peerRow.locator('td').nth(5).innerText(), '0');
  await shot(pageA, '16-overview-after-syncs');
});

test('an off-peak window for the schedule: set in the peer form, refused when malformed, shown where the next run is', async () => {
  await pageA.goto(`${A.url}/console/peers/${peerOfA}`);
  const windowBox = pageA.getByLabel(/^Off-peak window/);
  await windowBox.fill('9 to 5');
  await pageA.getByRole('button', { name: 'Save settings' }).click();
  await pageA.getByText(/is not HH:MM-HH:MM/).first().waitFor();
  await pageA.goto(`${A.url}/console/peers/${peerOfA}`);
  await pageA.getByLabel(/^Off-peak window/).fill('22:00-06:00');
  await pageA.getByRole('button', { name: 'Save settings' }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.match(await pageA.locator('dl.facts').first().innerText(), /only 22:00-06:00/);
  assert.equal(await pageA.getByLabel(/^Off-peak window/).inputValue(), '22:00-06:00');
  await shot(pageA, '18-peer-window');
  await pageA.goto(`${A.url}/`);
  const peerRow = pageA.locator('#peers tbody tr', { hasText: 'site-b' });
  assert.match(await peerRow.locator('td').nth(2).innerText(), /only 22:00-06:00 local time/);
  // Cleared: any hour again.
  await pageA.goto(`${A.url}/console/peers/${peerOfA}`);
  await pageA.getByLabel(/^Off-peak window/).fill('');
  await pageA.getByRole('button', { name: 'Save settings' }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.doesNotMatch(await pageA.locator('dl.facts').first().innerText(), /only/);
});

test('administration: add a user with a role, open a feed to anyone', async () => {
  await pageA.goto(`${A.url}/console/admin`);
  await pageA.getByLabel('User name').fill('olga');
  await pageA.locator('#new-role').selectOption('operator');
  await pageA.getByLabel(/^Password/).fill('olga-operates-syncs');
  await pageA.getByRole('button', { name: 'Add a user' }).click();
  await pageA.locator('#users tr[data-user="olga"]').waitFor();
  assert.equal(await pageA.locator('#users tr[data-user="olga"] select').inputValue(), 'operator');

  assert.equal((await fetch(`${A.url}/feeds/edxl-have`)).status, 401);
  await pageA.getByRole('checkbox', { name: 'feed:edxl-have' }).check();
  await pageA.getByRole('button', { name: 'Save what is open' }).click();
  await pageA.getByText('Saved.').waitFor();
  await shot(pageA, '15-admin');
  assert.equal((await fetch(`${A.url}/feeds/edxl-have`)).status, 200);

  // The new operator signs in and reaches the bundles, which a reader does not see.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, A.url, 'olga', 'olga-operates-syncs');
  await page.getByRole('link', { name: 'Bundles' }).click();
  await page.getByRole('heading', { name: 'Export a bundle' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Administration' }).count(), 0);
  await ctx.close();
});

test('a reader sees records but is refused the edit form, even by its URL', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, A.url, 'rita', 'rita-reads-only');
  await page.goto(`${A.url}/console/records/med_hospital?q=Nairobi+County+Referral`);
  await page.getByRole('rowheader').getByRole('link', { name: 'Nairobi County Referral Hospital', exact: true }).click();
  assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);
  const res = await page.goto(`${page.url()}/edit`);
  assert.equal(res?.status(), 403);
  await shot(page, '14-reader-refused');
  assert.equal(await page.getByLabel('Name').count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Bundles' }).count(), 0);
  // Nor can a form be posted around the page: the access table refuses the write itself.
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  const post = await page.request.post(`${A.url}/console/records/med_hospital`, { form: { _csrf: csrf ?? '', name: 'Reader Hospital' } });
  assert.equal(post.status(), 403);
  await ctx.close();
});

test('pair with an https:// site by the pinned fingerprint of its self-signed certificate; a wrong pin pairs nothing', async () => {
  const [certC, elsewhere] = [selfSigned('site-c'), selfSigned('elsewhere')];
  const dbC = `sqlite:${join(dir, 'c.db')}`;
  await cli(dbC, 'c', ['init', '--name', 'site-c']);
  const C = await startService(['serve', '--db', dbC, '--tls-cert', certC.cert, '--tls-key', certC.key], { env: env('c') });
  try {
    assert.match(C.url, /^https:/);
    const code = (await cli(dbC, 'c', ['peer', 'invite'])).trim();
    const pair = async (pin: string): Promise<number> => {
      await pageA.goto(`${A.url}/console/peers`);
      await pageA.getByLabel('Address of the other site').fill(C.url);
      await pageA.getByLabel('Invite code from the other site').fill(code);
      await pageA.getByLabel(/^Pinned certificate fingerprint/).fill(pin);
      const [res] = await Promise.all([
        pageA.waitForResponse((r) => r.url() === `${A.url}/console/peers/pair` && r.request().method() === 'POST'),
        pageA.getByRole('button', { name: 'Pair', exact: true }).click(),
      ]);
      return res.status();
    };
    // Another certificate's fingerprint: refused before the code is presented, nothing paired either side.
    assert.equal(await pair(elsewhere.pin), 502);
    await shot(pageA, '19-pin-refused');
    assert.doesNotMatch(await cli(dbC, 'c', ['peer', 'list']), /site-a/);
    await pageA.goto(`${A.url}/console/peers`);
    assert.equal(await pageA.getByRole('link', { name: 'site-c' }).count(), 0);

    // Its own fingerprint, as openssl prints it but in lower case: paired, and the pin is shown.
    assert.equal(await pair(certC.pin.toLowerCase()), 303);
    await pageA.waitForURL(/\/console\/peers\/[0-9a-f-]{36}/);
    assert.equal(await pageA.getByRole('heading', { level: 1 }).innerText(), 'site-c');
    assert.equal(await pageA.locator('#peer-pin').innerText(), certC.pin);
    await shot(pageA, '20-peer-pinned');
    assert.match(await cli(dbC, 'c', ['peer', 'list']), /site-a/);
  } finally {
    await C.stop();
  }
});

test('a version that changed a reference names both records, as links, as the record page does', async () => {
  const path = await hospitalPath(pageA, A.url, 'Nairobi County Referral Hospital');
  const orgLink = (row: Locator, name: string): Locator => row.locator('td').nth(3).getByRole('link', { name, exact: true });
  // Its first kept version (the samples) links its organisation by name, not by uuid.
  const ministry = await orgLink(pageA.locator('#versions tbody tr').last(), 'Ministry of Health').getAttribute('href');
  assert.match(ministry!, /^\/console\/records\/org_organisation\/urn%3Auuid%3A[0-9a-f-]{36}$/);

  await pageA.goto(`${A.url}${path}/edit`);
  await pageA.getByLabel('Organisation', { exact: true }).selectOption({ label: 'Médecins Sans Frontières' });
  await pageA.getByRole('button', { name: 'Save' }).click();
  await pageA.getByText('Saved.').waitFor();
  const newest = pageA.locator('#versions tbody tr').first();
  const change = newest.locator('li', { hasText: 'Organisation' });
  assert.equal(await change.locator('del a').innerText(), 'Ministry of Health');
  assert.equal(await change.locator('del a').getAttribute('href'), ministry);
  assert.equal(await change.locator('ins a').innerText(), 'Médecins Sans Frontières');
  // The link leads to the organisation's own page.
  await change.locator('ins a').click();
  await pageA.getByRole('heading', { level: 1, name: 'Médecins Sans Frontières' }).waitFor();
  await shot(pageA, '21-version-reference');
});

test("partner credentials: added in the console or the CLI, shown once, pushing within their formats; revoked, refused; the file's partners read-only", async () => {
  const have = example('edxl-have/1.0/valid/have-two-hospitals.xml');
  const push = (format: string, token: string): Promise<Response> =>
    fetch(`${A.url}/inbound/${format}`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${token}` }, body: have });

  await pageA.goto(`${A.url}/console/admin`);
  await pageA.getByLabel('Partner name').fill('county-board');
  await pageA.locator('input[name="formats"][value="edxl-have"]').check();
  await pageA.locator('input[name="resources"][value="med_hospital"]').check();
  await pageA.getByRole('button', { name: 'Add a partner' }).click();
  const token = /tmp_[A-Za-z0-9_-]{43}/.exec(await pageA.locator('#admin-notice').innerText())?.[0];
  assert.ok(token, 'the token is shown once');
  await shot(pageA, '22-partner-added');
  const ok = await push('edxl-have', token);
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(((await ok.json()) as { partner: string }).partner, 'county-board');
  assert.equal((await push('cap', token)).status, 403, 'outside its formats');
  // Kept as a hash: the token is nowhere in the listing.
  await pageA.goto(`${A.url}/console/admin`);
  assert.ok(!(await pageA.content()).includes(token));
  pageA.once('dialog', (d) => void d.accept());
  await pageA.locator('#partners tr[data-partner="county-board"]').getByRole('button', { name: 'Revoke' }).click();
  await pageA.getByText('Saved.').waitFor();
  assert.equal(await pageA.locator('#partners tr[data-partner="county-board"]').count(), 0);
  assert.equal((await push('edxl-have', token)).status, 401);

  // The CLI adds and revokes through the same functions; the console lists what it added.
  const added = await cli(dbA, 'a', ['partner', 'add', 'field-lab', '--formats', 'edxl-have', '--resources', 'med_hospital']);
  const cliToken = /tmp_[A-Za-z0-9_-]{43}/.exec(added)![0];
  assert.equal((await push('edxl-have', cliToken)).status, 200);
  await pageA.goto(`${A.url}/console/admin`);
  await pageA.locator('#partners tr[data-partner="field-lab"]').waitFor();
  await cli(dbA, 'a', ['partner', 'revoke', 'field-lab']);
  assert.equal((await push('edxl-have', cliToken)).status, 401);

  // A partner of the TIDEMARK_PARTNERS file is listed, and neither revoked nor shadowed from here.
  const file = join(dir, 'partners.json');
  writeFileSync(file, JSON.stringify({ partners: [{ name: 'board', token: 'board-secret-from-the-file', formats: ['edxl-have'], resources: ['med_hospital'] }] }));
  const withFile = { env: { ...env('a'), TIDEMARK_PARTNERS: file } };
  assert.match((await tidemark(['partner', 'list', '--db', dbA], withFile)).stdout, /^board\tedxl-have\tmed_hospital\tfile$/m);
  assert.notEqual((await tidemark(['partner', 'revoke', 'board', '--db', dbA], withFile)).code, 0);
  assert.notEqual((await tidemark(['partner', 'add', 'board', '--formats', 'cap', '--resources', 'cap_alert', '--db', dbA], withFile)).code, 0);
});
