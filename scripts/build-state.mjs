// Whether dist/ is older than src/: the CLI warns, the tests rebuild (test/support/processes.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const SRC_DIR = join(root, 'src');
export const DIST_DIR = join(root, 'dist');
/** Written last by scripts/build.mjs: its time is the build's. */
export const STAMP = join(DIST_DIR, '.built');

function newest(dir) {
  let t = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** True when a source file (or a folder: a file removed) is newer than the build; false without src/ (an installed package). */
export function isStale() {
  if (!existsSync(SRC_DIR)) return false;
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  return newest(SRC_DIR) > built;
}
