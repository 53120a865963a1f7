import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { getFormat, XSD_DIR, XSLT_DIR } from '../src/interchange/formats.js';
import { stylesheet, transform } from '../src/interchange/stylesheets.js';
import { validateDocument } from '../src/interchange/validate.js';
import { parseXml } from '../src/interchange/xml.js';
import { hospital } from './support/hospitals.js';

/**
 * EDXL-HAVE export of many hospitals: SaxonJS (SEF compiled once and cached) against libxslt's
 * xsltproc running the very same stylesheet (it is written with XSLT 1.0 instructions only), and
 * validation of the result with libxmljs2 against `xmllint --schema`. The cold start of each format
 * is bench/cold-start.ts.
 *
 *   node --import tsx bench/xslt.ts [HOSPITALS=10000] [RUNS=3]
 *
 * Needs xsltproc and xmllint (Debian: xsltproc, libxml2-utils). Medians of RUNS runs.
 */
const N = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 3);
const STYLESHEET = 's3xml-to-edxl-have.xsl';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (fn: () => void): number => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};
async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<s3xml>\n';
const TAIL = '</s3xml>\n';
const HAVE_OPEN = /^[\s\S]*?<have:HospitalStatus[^>]*>/;

/** The Hospital elements of one chunk's output (the chunk's HospitalStatus wrapper removed). */
const hospitalsOf = (out: string): string => out.replace(HAVE_OPEN, '').replace(/<\/have:HospitalStatus>\s*$/, '');

function joinChunks(outs: string[]): string {
  const open = HAVE_OPEN.exec(outs[0]!)![0];
  return `${open}${outs.map(hospitalsOf).join('')}</have:HospitalStatus>`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-'));
  try {
    const records = Array.from({ length: N }, (_, i) => hospital(i));
    const whole = HEAD + records.join('\n') + TAIL;
    const input = join(dir, 'hospitals.s3xml');
    writeFileSync(input, whole);
    console.log(`${N} hospitals, ${(whole.length / 1e6).toFixed(1)} MB of S3XML; ${RUNS} runs each; ${availableParallelism()} CPUs`);

    // xsltproc: the same stylesheet, whole document (its natural use).
    const xsltproc: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      xsltproc.push(time(() => execFileSync('xsltproc', ['-o', join(dir, 'xsltproc.xml'), join(XSLT_DIR, STYLESHEET), input], { stdio: ['ignore', 'ignore', 'ignore'] })));
    }
    const ref = median(xsltproc);
    console.log(`xsltproc (libxslt ${execFileSync('xsltproc', ['--version']).toString().match(/libxslt (\d+)/)?.[1] ?? '?'}), whole document: ${fmt(ref)}`);

    stylesheet(STYLESHEET); // compile or load the cached SEF before timing
    const rows: [string, number][] = [];
    const whole1: number[] = [];
    // Once: it is the slow baseline (one big document through one transform, as measured in the notes).
    whole1.push(time(() => void transform(STYLESHEET, whole)));
    rows.push(['SaxonJS, SEF, whole document in one transform', median(whole1)]);

    let result = '';
    for (const size of [100, 500, 1000]) {
      const runs: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        runs.push(
          time(() => {
            const outs: string[] = [];
            for (let i = 0; i < N; i += size) outs.push(transform(STYLESHEET, HEAD + records.slice(i, i + size).join('\n') + TAIL));
            result = joinChunks(outs);
          }),
        );
      }
      rows.push([`SaxonJS, SEF, chunks of ${size} hospitals`, median(runs)]);
    }

    const threads = Math.max(2, availableParallelism());
    // Worker threads do not inherit tsx's loader: register it inside each worker, then load the worker module.
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./xslt-worker.ts', import.meta.url).href)}); });`;
    const workers = Array.from({ length: threads }, () => new Worker(boot, { eval: true }));
    const warm = workers.map((w) => new Promise((done) => w.once('message', done)));
    workers.forEach((w) => w.postMessage({ id: -1, chunk: HEAD + records[0] + TAIL }));
    await Promise.all(warm);
    const size = 250;
    const parallel: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      parallel.push(
        await timeAsync(async () => {
          const chunks: string[] = [];
          for (let i = 0; i < N; i += size) chunks.push(HEAD + records.slice(i, i + size).join('\n') + TAIL);
          const outs: string[] = new Array(chunks.length);
          let next = 0;
          await Promise.all(
            workers.map(
              (w) =>
                new Promise<void>((done) => {
                  const send = (): void => {
                    if (next >= chunks.length) return done();
                    const id = next++;
                    w.postMessage({ id, chunk: chunks[id] });
                  };
                  w.on('message', (m: { id: number; out: string }) => {
                    outs[m.id] = m.out;
                    send();
                  });
                  send();
                }),
            ),
          );
          workers.forEach((w) => w.removeAllListeners('message'));
          result = joinChunks(outs);
        }),
      );
    }
    await Promise.all(workers.map((w) => w.terminate()));
    rows.push([`SaxonJS, SEF, chunks of ${size} on ${threads} worker threads`, median(parallel)]);

    for (const [label, ms] of rows) console.log(`${label}: ${fmt(ms)}  = ${(ms / ref).toFixed(2)}x xsltproc`);
    const same = readFileSync(join(dir, 'xsltproc.xml'), 'utf8').split('<have:Hospital>').length === result.split('<have:Hospital>').length;
    console.log(`outputs: ${result.split('<have:Hospital>').length - 1} hospitals from SaxonJS, same count from xsltproc: ${same}`);

    // Validation of the result: libxmljs2 (schema parsed once) against xmllint --schema.
    const out = join(dir, 'have.xml');
    writeFileSync(out, result);
    const format = getFormat('edxl-have');
    const doc = parseXml(result, { maxBytes: 1 << 30, readOnly: true });
    validateDocument(doc, format, 'project'); // schema documents loaded before timing
    const lib: number[] = [];
    const lint: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      lib.push(time(() => void validateDocument(parseXml(result, { maxBytes: 1 << 30, readOnly: true }), format, 'project')));
      lint.push(time(() => void spawnSync('xmllint', ['--noout', '--nonet', '--huge', '--schema', join(XSD_DIR, 'edxl-have-1.0.xsd'), out], { stdio: 'ignore' })));
    }
    console.log(`validate (parse + project schema): libxmljs2 ${fmt(median(lib))}, xmllint --schema ${fmt(median(lint))} = ${(median(lib) / median(lint)).toFixed(2)}x xmllint`);
    // The cold start of each format is bench/cold-start.ts.
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
