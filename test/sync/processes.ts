import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, startService } from '../support/processes.js';

export interface Instance {
  url: string;
  db: string;
  proc: ChildProcess;
  /** kill -9 */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `tidemark serve` in its own process, daemon off unless the env turns it on. */
export async function serveInstance(db: string, opts: { port?: number; env?: Record<string, string> } = {}): Promise<Instance> {
  const svc = await startService(['serve', '--db', db], { port: opts.port, env: { TIDEMARK_DAEMON: '0', ...opts.env } });
  return {
    url: svc.url,
    db,
    proc: svc.child,
    async kill() {
      await svc.stop('SIGKILL');
    },
    async stop() {
      await svc.stop('SIGTERM');
    },
  };
}

/** Runs `tidemark ARGS` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TIDEMARK_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { proc, done };
}
