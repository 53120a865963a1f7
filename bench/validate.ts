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
 * its hostile-input checks, then validateDocument against the project schema, as a feed or a
 * push does) against `xmllint --noout --nonet --huge --schema` on the same file in the same run,
 * interleaved; medians of RUNS. Also a small document (50 hospitals), where the schema's compile
 * weighs more. The document is made by xsltproc from synthetic S3XML.
 *
 *   node --import tsx bench/validate.ts [HOSPITALS=10000] [RUNS=5]
 *
 * Goal (issue 13): <= 1.5x xmllint. Needs xsltproc and xmllint (Debian: xsltproc, libxml2-utils).
 */
const N = Number(process.argv[2] ?? 10_000);
const RUNS = Math.max(3, Number(process.argv[3] ?? 5));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (fn: () => void): number => {
  const t = performance.now();
  fn();
  return performance.now() - t;
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
    const ours = (): void => {
      const issues = validateDocument(parseXml(text, { maxBytes: 1 << 30 }), format, 'project');
      if (issues.length) throw new Error(`not valid: ${issues[0]!.message}`);
    };
    ours(); // schema documents read once, as in a running service
    const tidemark: number[] = [];
    const xmllint: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      tidemark.push(time(ours));
      xmllint.push(time(() => {
        const res = spawnSync('xmllint', ['--noout', '--nonet', '--huge', '--schema', xsd, file], { stdio: 'ignore' });
        if (res.status !== 0) throw new Error(`xmllint exited ${res.status}`);
      }));
    }
    const a = median(tidemark);
    const b = median(xmllint);
    console.log(
      `${n} hospitals (${(text.length / 1e6).toFixed(1)} MB): parse + validate ${a.toFixed(0)} ms, xmllint --schema ${b.toFixed(0)} ms = ${(a / b).toFixed(2)}x xmllint` +
        `${n === N ? `  goal <= 1.5x: ${a / b <= 1.5 ? 'met' : 'NOT met'}` : ''}  (medians of ${RUNS}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
