import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Against real Dire Wolf modems (Debian `direwolf`), headless: their audio goes through ALSA's
 * file plugin and UDP instead of sound cards. Dire Wolf listens on all interfaces, so everything
 * runs in a private network namespace (`unshare -rn`) where only loopback exists.
 */
const runner = fileURLToPath(new URL('./direwolf-run.ts', import.meta.url));
const haveDirewolf = spawnSync('direwolf', ['-u'], { stdio: 'ignore' }).error === undefined;
const haveNetns = spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;

test('a radio sync through two real Dire Wolf 1200 baud modems', { skip: !haveDirewolf ? 'direwolf is not installed' : !haveNetns ? 'cannot create a network namespace' : false, timeout: 180_000 }, async () => {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('unshare', ['-rn', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" --import tsx "${runner}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`runner exited ${code}: ${stderr}${stdout}`))));
  });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { same: boolean; records: number; firstMs: number; secondMs: number; updateBytes: number };
  assert.equal(r.same, true, out);
  assert.equal(r.records, 20);
  assert.ok(r.updateBytes < 20 * 40, `${r.updateBytes} B for 20 updates`);
});
