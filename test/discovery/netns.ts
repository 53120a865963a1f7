import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Two network namespaces joined by a veth pair, so mDNS runs between "two machines" without a
 * packet touching the host's own interfaces. Each namespace has only lo and its end of the veth.
 */
export interface NetPair {
  names: [string, string];
  addresses: [string, string];
  /** argv prefix that runs a command inside namespace i. */
  exec(i: 0 | 1): string[];
  remove(): void;
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** null when namespaces cannot be made here (not root, no iproute2): the caller falls back. */
export function makeNetPair(): NetPair | null {
  const tag = randomBytes(3).toString('hex');
  const names: [string, string] = [`tmd-${tag}-a`, `tmd-${tag}-b`];
  const veth: [string, string] = [`tmd${tag}a`, `tmd${tag}b`];
  const subnet = 1 + (randomBytes(1)[0]! % 250);
  const addresses: [string, string] = [`10.231.${subnet}.1`, `10.231.${subnet}.2`];
  const remove = (): void => {
    for (const n of names) {
      try {
        ip('netns', 'del', n); // deleting a namespace removes its end of the veth, and so the pair
      } catch {
        // not created, or gone already
      }
    }
  };
  try {
    ip('netns', 'add', names[0]);
    ip('netns', 'add', names[1]);
    ip('link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1]);
    for (const i of [0, 1] as const) {
      ip('link', 'set', veth[i], 'netns', names[i]);
      ip('-n', names[i], 'addr', 'add', `${addresses[i]}/24`, 'dev', veth[i]);
      ip('-n', names[i], 'link', 'set', 'lo', 'up');
      ip('-n', names[i], 'link', 'set', veth[i], 'up');
      // mDNS goes to 224.0.0.251: route all multicast over the veth (the only way out).
      ip('-n', names[i], 'route', 'add', '224.0.0.0/4', 'dev', veth[i]);
    }
  } catch {
    remove();
    return null;
  }
  // Also when the test process ends without running its `after` hooks.
  process.once('exit', remove);
  return { names, addresses, exec: (i) => ['ip', 'netns', 'exec', names[i]], remove };
}

/** Runs a command, returns stdout; throws with stderr on failure. */
export function run(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a long-running process; resolves once `ready` appears on its stdout. */
export function startProcess(argv: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 30_000): Promise<ChildProcess> {
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${argv.join(' ')} not ready after ${timeoutMs} ms\n${out}\n${err}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited with ${code}\n${out}\n${err}`));
    });
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
