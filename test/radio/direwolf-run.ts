/**
 * Runs inside a private network namespace (see direwolf.test.ts): two real Dire Wolf software
 * modems (1200 baud AFSK) joined by an audio relay, and two Tidemark sites syncing through their
 * KISS TCP ports. Prints one JSON line with the outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../../src/log.js';
import { RadioSession } from '../../src/transports/radio/session.js';
import { KissTnc } from '../../src/transports/radio/tnc.js';
import { hospitalStatuses, INSTANCES, statusUpdates } from './fixtures.js';
import { MemorySite } from './memory-site.js';
import { tempDir } from '../support/temp.js';

logger.level = 'silent';
const dir = tempDir('tm-direwolf');
const relay = fileURLToPath(new URL('./direwolf-audio-relay.mjs', import.meta.url));
// ALSA reads ~/.asoundrc: the modems "play" into the relay instead of a sound card.
writeFileSync(
  join(dir, '.asoundrc'),
  [1, 2].map((i) => `pcm.tmout${i} { type file; slave.pcm "null"; file "|${process.execPath} ${relay} ${7360 + (3 - i)}"; format "raw" }`).join('\n'),
);
const calls = ['TM1AAA', 'TM2BBB'];
for (const i of [1, 2]) {
  writeFileSync(
    join(dir, `dw${i}.conf`),
    `ADEVICE UDP:${7360 + i} tmout${i}\nARATE 44100\nACHANNELS 1\nCHANNEL 0\nMYCALL ${calls[i - 1]}\nMODEM 1200\nKISSPORT ${8100 + i}\nAGWPORT 0\nTXDELAY 20\nTXTAIL 5\n`,
  );
}

function modem(i: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('direwolf', ['-c', join(dir, `dw${i}.conf`), '-t', '0', '-q', 'hd'], { cwd: dir, env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`direwolf ${i} did not start: ${out}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`port ${8100 + i}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`direwolf ${i} exited (${code}): ${out}`)));
  });
}

const modems = [await modem(1), await modem(2)];
const tncs = [new KissTnc({ host: '127.0.0.1', port: 8101 }), new KissTnc({ host: '127.0.0.1', port: 8102 })];
await Promise.all(tncs.map((t) => t.connect()));
const sessions = [0, 1].map((i) => new RadioSession({ link: tncs[i]!, local: calls[i]!, peer: calls[1 - i]!, bitrate: 1200, txDelayMs: 250, latencyMs: 400 }));
const [A, B] = [INSTANCES[0]!, INSTANCES[1]!];
const a = new MemorySite(A);
const b = new MemorySite(B);
const base = hospitalStatuses(20, 3, A);
a.change(base);
const t0 = performance.now();
await Promise.all([a.sync(sessions[0]!, B, 'initiator'), b.sync(sessions[1]!, A, 'responder')]);
const firstMs = performance.now() - t0;
a.change(statusUpdates(base, 4, A));
const t1 = performance.now();
const [ra] = await Promise.all([a.sync(sessions[0]!, B, 'initiator'), b.sync(sessions[1]!, A, 'responder')]);
const secondMs = performance.now() - t1;
await sessions[0]!.linger(2000);
const same = JSON.stringify([...a.records.values()].sort((x, y) => x.uuid.localeCompare(y.uuid))) === JSON.stringify([...b.records.values()].sort((x, y) => x.uuid.localeCompare(y.uuid)));
console.log(JSON.stringify({ same, records: b.records.size, firstMs, secondMs, updateBytes: ra.payloadBytesSent, frames: sessions[0]!.stats.framesSent + sessions[1]!.stats.framesSent, dropped: sessions[0]!.stats.framesDropped + sessions[1]!.stats.framesDropped }));
for (const s of sessions) s.close();
for (const t of tncs) t.close();
for (const m of modems) m.kill();
process.exit(0);
