// Preloaded (`node -r`) into every process bench/cli-start.ts times, the reference included:
// reports the process's peak RSS in KB on fd 3 as it exits.
// CommonJS on purpose: `-r` preloads it without starting the ESM loader in `node -e 0`.
// eslint-disable-next-line @typescript-eslint/no-require-imports, no-undef
const { writeSync } = require('node:fs');

process.on('exit', () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // not started by the benchmark: nothing to report to
  }
});
