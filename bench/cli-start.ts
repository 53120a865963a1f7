import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/**
 * How long a CLI call takes from the user's enter key to its exit, and its peak memory, against
 * `node -e 0` timed in the same run (rounds interleave the two, so a loaded machine weighs on
 * both alike). Runs the built CLI (bin/tidemark.js -> dist/): `npm run build` first.
 *
 *   node --import tsx bench/cli-start.ts [RUNS=5]
 *
 * Goals (issue 13): --help <= 150 ms and <= 80 MB; peer list and log <= 300 ms. Medians of RUNS.
 * The milliseconds hold on a quiet machine, where `node -e 0` takes about 65 ms; on a loaded one
 * the same goals read as ratios to the reference (150 ms ~ 2.3x, 300 ms ~ 4.6x), printed as well.
 */
const QUIET_NODE_MS = 65;
const RUNS = Math.max(3, Number(process.argv[2] ?? 5));
const BIN = fileURLToPath(new URL('../bin/tidemark.js', import.meta.url));
const RSS = fileURLToPath(new URL('./support/max-rss.cjs', import.meta.url));

interface Sample {
  ms: number;
  mb: number;
  code: number | null;
}

/** One process: wall time from spawn to exit, peak RSS as the process itself reports it. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-r', RSS, ...args], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let rss = '';
    let err = '';
    child.stdio[3]!.on('data', (d: Buffer) => (rss += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${String(code)}: ${err}`));
      resolve({ ms, mb: Number(rss.trim()) / 1024, code });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-cli-'));
const env = { ...process.env, TIDEMARK_DB: `sqlite:${join(dir, 'bench.db')}`, TIDEMARK_LOG_LEVEL: 'warn' };
try {
  await run([BIN, 'init'], env);
  const cases: { name: string; args: string[]; goalMs?: number; goalMb?: number }[] = [
    { name: 'node -e 0 (reference)', args: ['-e', '0'] },
    { name: 'tidemark --help', args: [BIN, '--help'], goalMs: 150, goalMb: 80 },
    { name: 'tidemark peer list', args: [BIN, 'peer', 'list'], goalMs: 300 },
    { name: 'tidemark log', args: [BIN, 'log'], goalMs: 300 },
  ];
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i++) for (const c of cases) samples.get(c.name)!.push(await run(c.args, env));
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const refMs = median(samples.get(cases[0]!.name)!.map((s) => s.ms));
  console.log(`CLI start-up, medians of ${RUNS} interleaved runs (load average ${load})`);
  for (const c of cases) {
    const ms = median(samples.get(c.name)!.map((s) => s.ms));
    const mb = median(samples.get(c.name)!.map((s) => s.mb));
    const memOk = !c.goalMb || mb <= c.goalMb;
    const ratioGoal = c.goalMs ? c.goalMs / QUIET_NODE_MS : 0;
    const goal = c.goalMs
      ? `\n${''.padEnd(26)}goal <= ${c.goalMs} ms${c.goalMb ? `, <= ${c.goalMb} MB` : ''}: ${ms <= c.goalMs && memOk ? 'met' : 'not met'}; ` +
        `as a ratio (<= ${ratioGoal.toFixed(1)}x node -e 0${c.goalMb ? `, <= ${c.goalMb} MB` : ''}): ${ms / refMs <= ratioGoal && memOk ? 'met' : 'NOT met'}`
      : '';
    console.log(`${c.name.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms ${mb.toFixed(0).padStart(5)} MB  ${(ms / refMs).toFixed(2)}x node -e 0  (+${(ms - refMs).toFixed(0)} ms)${goal}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
