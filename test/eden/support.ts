import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/interchange/formats.js';
import { tempDir } from '../support/temp.js';

/**
 * A real Sahana Eden for the tests (../shared/eden beside the project, or TIDEMARK_EDEN): one per
 * suite, in a run dir of its own under a temp dir, on a free port, reset between cases.
 */
export const EDEN_DIR = process.env.TIDEMARK_EDEN ?? join(PROJECT_ROOT, '..', 'shared', 'eden');
export const EDEN_PRESENT = existsSync(join(EDEN_DIR, 'start.sh'));
export const EDEN_ADMIN = { user: 'admin@example.com', password: 'testing' };

function run(script: string, args: string[], env: NodeJS.ProcessEnv, timeout = 240_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(EDEN_DIR, script), ...args], { env: { ...process.env, ...env }, timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Eden {
  /** http://127.0.0.1:PORT/eden */
  url: string;
  runDir: string;
  get(path: string): Promise<Response>;
  /** POST an S3XML (or other) body the way Eden's REST import takes it. */
  post(path: string, body: string, type?: string): Promise<Response>;
  /** Back to the freshly seeded database (the server restarts). */
  reset(): Promise<void>;
  /** Eden's own sync client against `peer` (sync.sh): its log and record counts. */
  sync(peer: string, user: string, password: string, env?: Record<string, string>): Promise<EdenSyncRun>;
  stop(): Promise<void>;
}

export interface EdenSyncRun {
  log: { resource: string; mode: string; action: string; result: string; remote: boolean; message: string }[];
  before: Record<string, number>;
  after: Record<string, number>;
  output: string;
}

export async function startEden(): Promise<Eden> {
  const base = tempDir('tidemark-eden');
  const runDir = join(base, 'run');
  const env = { EDEN_RUN_DIR: runDir };
  const port = await freePort();
  const { stdout } = await run('start.sh', [String(port)], env);
  const url = stdout.trim().split('\n').pop()!;
  const auth = `Basic ${Buffer.from(`${EDEN_ADMIN.user}:${EDEN_ADMIN.password}`).toString('base64')}`;
  return {
    url,
    runDir,
    get: (path) => fetch(`${url}${path}`, { headers: { authorization: auth } }),
    post: (path, body, type = 'application/xml') => fetch(`${url}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': type }, body }),
    async reset() {
      await run('reset.sh', [], env);
    },
    async sync(peer, user, password, extra = {}) {
      const out = join(base, `sync-${Date.now()}`);
      const { stdout, stderr } = await run('sync.sh', [peer, user, password], { ...env, OUT: out, ...extra });
      const result = JSON.parse(readFileSync(join(out, 'eden-sync.json'), 'utf8')) as Omit<EdenSyncRun, 'output'>;
      return { ...result, output: stdout + stderr };
    },
    async stop() {
      await run('stop.sh', [], env, 60_000);
    },
  };
}

/** A field of a record as Eden wrote it and as Tidemark stored it, when they differ. */
export interface FieldDifference {
  resource: string;
  uuid: string;
  field: string;
  eden: unknown;
  tidemark: unknown;
}
