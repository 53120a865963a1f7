import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isStale } from '../../scripts/build-state.mjs';

/** The CLI as users run it: the built JavaScript in dist/ (npm test builds first). */
export const BIN = fileURLToPath(new URL('../../bin/tidemark.js', import.meta.url));

// A test file run on its own after an edit must not spawn yesterday's build.
if (isStale()) {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url)), '--quiet'], { stdio: 'inherit' });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tidemark ARGS` as a real child process and collects its output. */
export function tidemark(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TIDEMARK_LOG_LEVEL: 'warn', ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input);
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `tidemark serve` (or another serving command) on 127.0.0.1 (a free port unless given) and waits for
 * the line that names its health URL.
 */
export function startService(args: string[], opts: { env?: NodeJS.ProcessEnv; port?: number } = {}): Promise<ServiceProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--port', String(opts.port ?? 0)], {
      env: { ...process.env, TIDEMARK_LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start within 30 s\nstdout: ${out}\nstderr: ${err}`));
    }, 30000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(https?:\/\/127\.0\.0\.1:\d+)\/health/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          stop: (signal = 'SIGTERM') =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
              child.once('exit', (code) => done(code));
              child.kill(signal);
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${String(code)} before starting\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}
