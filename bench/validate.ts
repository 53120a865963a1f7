import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getFormat, XSD_DIR, XSLT_DIR } from '../src/interchange/formats.js';
import { validateDocument } from '../src/interchange/validate.js';
import { parseXml } from '../src/interchange/xml.js';
import { hospital, S3XML_HEAD, S3XML_TAIL } from './support/hospitals.js';

/**
 * Schema validation of an EDXL-HAVE document of many hospitals: Tidemark's path (parseXml with
 * its hostile-input checks, read only as a feed, a push and `tidemark validate` parse, then
 * validateDocument against the project schema) against `xmllint --noout --nonet --huge --schema`
 * on the same file in the same run, interleaved; medians of RUNS. Also a small document (50
 * hospitals), where the schema's compile weighs more. The document is made by xsltproc from
 * synthetic S3XML.
 *
 *   node --import tsx bench/validate.ts [HOSPITALS=10000] [RUNS=5]
 *
 * Goal (issue 13): <= 1.5x xmllint. Printed twice: wall time, and CPU time (this process's
 * around the call; xmllint's from the shell's `times`), which a shared, loaded machine inflates
 * far less than wall time. Needs xsltproc and xmllint (Debian: xsltproc, libxml2-utils).
 */
const N = Number(process.argv[2] ?? 10_000);
const RUNS = Math.max(3, Number(process.argv[3] ?? 5));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Wall and CPU milliseconds of one call in this process. */
const time = (fn: () => void): { wall: number; cpu: number } => {
  const c = cpuMs();
  const t = performance.now();
  fn();
  return { wall: performance.now() - t, cpu: cpuMs() - c };
};
/** Wall and CPU milliseconds of one xmllint run (its user + system time, as the shell reports it). */
const lint = (xsd: string, file: string): { wall: number; cpu: number } => {
  const t = performance.now();
  const res = spawnSync('bash', ['-c', 'xmllint --noout --nonet --huge --schema "$1" "$2" 2>/dev/null || exit 1; times', 'lint', xsd, file], { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (res.status !== 0) throw new Error(`xmllint exited ${res.status}`);
  // `times` prints the shell's own user/system time, then its children's: "0m0.280s 0m0.110s".
  const children = res.stdout.trim().split('\n').at(-1)!.match(/(\d+)m([\d.]+)s/g)!;
  const cpu = children.reduce((sum, t) => {
    const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
    return sum + (Number(m) * 60 + Number(sec)) * 1000;
  }, 0);
  return { wall, cpu };
};

const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-validate-'));
try {
  const format = getFormat('edxl-have');
  const xsd = join(XSD_DIR, format.schema!.project!);
  for (const n of [N, 50]) {
    const s3xml = join(dir, `hospitals-${n}.s3xml`);
    writeFileSync(s3xml, S3XML_HEAD + Array.from({ length: n }, (_, i) => hospital(i)).join('\n') + S3XML_TAIL);
    const file = join(dir, `have-${n}.xml`);
    execFileSync('xsltproc', ['-o', file, join(XSLT_DIR, 's3xml-to-edxl-have.xsl'), s3xml], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    const ours = (readOnly: boolean) => (): void => {
      const issues = validateDocument(parseXml(text, { maxBytes: 1 << 30, readOnly }), format, 'project');
      if (issues.length) throw new Error(`not valid: ${issues[0]!.message}`);
    };
    ours(true)(); // schema documents read once, as in a running service
    // Read only is the parse of feeds, pushes and `tidemark validate`; the normal parse is shown
    // beside it for what compact mode saves.
    const readOnly: { wall: number; cpu: number }[] = [];
    const normal: { wall: number; cpu: number }[] = [];
    const xmllint: { wall: number; cpu: number }[] = [];
    for (let r = 0; r < RUNS; r++) {
      readOnly.push(time(ours(true)));
      xmllint.push(lint(xsd, file));
      if (n === N) normal.push(time(ours(false)));
    }
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    for (const kind of ['wall', 'cpu'] as const) {
      const a = median(readOnly.map((x) => x[kind]));
      const b = median(xmllint.map((x) => x[kind]));
      const c = normal.length ? median(normal.map((x) => x[kind])) : undefined;
      console.log(
        `${n} hospitals (${(text.length / 1e6).toFixed(1)} MB), ${kind === 'wall' ? 'wall' : 'CPU '}: parse + validate ${a.toFixed(0)} ms, xmllint --schema ${b.toFixed(0)} ms = ${(a / b).toFixed(2)}x xmllint` +
          `${n === N ? `  goal <= 1.5x: ${a / b <= 1.5 ? 'met' : 'NOT met'}` : ''}` +
          `${c === undefined ? '' : `; normal (not read-only) parse ${c.toFixed(0)} ms = ${(c / b).toFixed(2)}x`}  (medians of ${RUNS}, load average ${load})`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
