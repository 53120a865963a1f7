import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** Removes every directory tempDir made; runs when the process ends, after the tests' own after hooks stopped their servers. */
function removeAll(): void {
  for (const dir of made.splice(0)) {
    if (process.env.KEEP) {
      process.stderr.write(`kept ${dir}\n`);
      continue;
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A child process still writing there: leave it rather than fail a finished run.
    }
  }
}

/** A fresh directory under the system's temp folder, removed with everything in it when the test process exits (KEEP=1 keeps it to look at). */
export function tempDir(prefix: string): string {
  if (!hooked) {
    hooked = true;
    process.once('exit', removeAll);
  }
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  made.push(dir);
  return dir;
}
