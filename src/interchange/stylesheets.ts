import { createHash } from 'node:crypto';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';
import type SaxonJSType from 'saxon-js';
import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import { listFormats, PROJECT_ROOT, XSLT_DIR } from './formats.js';

/**
 * Stylesheets are compiled once to SEF with xslt3 and kept in two places: on disk under
 * `.cache/sef/<name>.<hash>.sef.json` (the hash covers the stylesheet, everything it includes or
 * imports, and the SaxonJS version, so an edit or an upgrade recompiles by itself), and in
 * memory for the life of the process. The build (`npm ci`, `npm run build`) compiles every
 * format's stylesheets ahead (precompile()); at run time a changed hash still recompiles.
 */
const require = createRequire(import.meta.url);
const SAXON_VERSION = (require('saxon-js/package.json') as { version: string }).version;
const XSLT3 = require.resolve('xslt3/xslt3.js');

let saxon: typeof SaxonJSType | undefined;
let saxonScript: Script | undefined;
let codeCache: 'used' | 'rejected' | 'none' | undefined;

/** V8's code cache for SaxonJS, per SaxonJS version, Node version and architecture. */
export function saxonCodeCacheFile(): string {
  return join(sefCacheDir(), `saxon-js-${SAXON_VERSION}.node-${process.version}-${process.arch}.v8cache`);
}

/**
 * SaxonJS (2.4 MB of JavaScript) loads with the first transform, not with every module that
 * imports this one. It is compiled through vm.Script so that V8's code cache for it, written by
 * the build after a transform of every format (writeSaxonCodeCache), spares each process most of
 * that compile. The cache is only ever a shortcut: V8 checks it against the source and its own
 * version and flags, and compiles the source as usual when it does not match.
 */
export function loadSaxonJS(): typeof SaxonJSType {
  if (saxon) return saxon;
  const file = require.resolve('saxon-js');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(saxonCodeCacheFile());
  } catch {
    // No cache yet (a build writes it): compile from source.
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mod = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  saxonScript = script;
  saxon = mod.exports as typeof SaxonJSType;
  codeCache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (codeCache === 'rejected') logger.info({ file: saxonCodeCacheFile() }, 'SaxonJS code cache does not match; compiled from source');
  return saxon;
}

/** Whether this process's SaxonJS came from the code cache (undefined: not loaded yet). */
export function saxonCodeCache(): typeof codeCache {
  return codeCache;
}

/**
 * Writes V8's code cache for SaxonJS as it stands in this process: after transforms, so it also
 * holds the functions they compiled on first use. Written to a private file and renamed.
 */
export function writeSaxonCodeCache(): string {
  loadSaxonJS();
  const file = saxonCodeCacheFile();
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, saxonScript!.createCachedData());
  renameSync(tmp, file);
  return file;
}

export function sefCacheDir(): string {
  return process.env.TIDEMARK_SEF_CACHE ?? join(PROJECT_ROOT, '.cache', 'sef');
}

/** The stylesheet and every module it pulls in, in a stable order. */
function modules(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const out = [file];
  for (const m of text.matchAll(/<xsl:(?:include|import)\s+href\s*=\s*["']([^"']+)["']/g)) {
    out.push(...modules(resolve(dirname(file), m[1]!), seen));
  }
  return out;
}

function contentHash(file: string): string {
  const h = createHash('sha256').update(`saxon-js ${SAXON_VERSION}\n`);
  for (const m of modules(file)) h.update(m.slice(XSLT_DIR.length)).update('\0').update(readFileSync(m)).update('\0');
  return h.digest('hex').slice(0, 32);
}

export interface Stylesheet {
  readonly name: string;
  readonly file: string;
  readonly sefFile: string;
  /** The compiled SEF, parsed once. */
  readonly sef: unknown;
}

const compiled = new Map<string, Stylesheet>();

/** A stylesheet's name without its extension: its SEFs are `<base>.<hash>.sef.json`. */
const sefBase = (name: string): string => name.replace(/\.xslt?$/, '');

/** Where `xslt/<name>` compiles to for its current content (the file may not exist yet). */
function sefPath(name: string): { file: string; sefFile: string } {
  const file = join(XSLT_DIR, name);
  if (!existsSync(file)) throw new TidemarkError('not_found', `stylesheet not found: xslt/${name}`);
  return { file, sefFile: join(sefCacheDir(), `${sefBase(name)}.${contentHash(file)}.sef.json`) };
}

const compileArgs = (file: string, tmp: string): string[] => [XSLT3, `-xsl:${file}`, `-export:${tmp}`, '-nogo', '-relocate:on'];

/** Moves a finished compile into place, or throws its error. */
function settle(name: string, sefFile: string, tmp: string, r: Pick<SpawnSyncReturns<string>, 'status' | 'stdout' | 'stderr'>, started: number): void {
  if (r.status !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    throw new TidemarkError('invalid', `stylesheet xslt/${name} does not compile: ${(r.stderr || r.stdout || '').trim()}`);
  }
  // Compiled to a private file and renamed: concurrent processes never read a half-written SEF.
  renameSync(tmp, sefFile);
  logger.info({ stylesheet: name, ms: Date.now() - started }, 'compiled stylesheet to SEF');
}

/** Compiles (or finds in the cache) `xslt/<name>` and returns it ready to run. */
export function stylesheet(name: string): Stylesheet {
  const hit = compiled.get(name);
  if (hit) return hit;
  const { file, sefFile } = sefPath(name);
  if (!existsSync(sefFile)) {
    mkdirSync(dirname(sefFile), { recursive: true });
    const tmp = `${sefFile}.${process.pid}.tmp`;
    const started = Date.now();
    settle(name, sefFile, tmp, spawnSync(process.execPath, compileArgs(file, tmp), { encoding: 'utf8', timeout: 120_000 }), started);
  }
  const s: Stylesheet = { name, file, sefFile, sef: JSON.parse(readFileSync(sefFile, 'utf8')) };
  compiled.set(name, s);
  return s;
}

/** Every stylesheet a format names (xslt/formats.json), in a stable order. */
export function formatStylesheets(): string[] {
  return [...new Set(listFormats().flatMap((f) => [f.export, f.import].filter((s): s is string => Boolean(s))))].sort();
}

/**
 * Compiles to SEF every stylesheet whose current content has none yet (the build runs this, so
 * no request waits for a compile), `parallel` at a time. Returns what it compiled.
 */
export async function precompile(names: string[] = formatStylesheets(), parallel = 2): Promise<string[]> {
  const todo = names.map((name) => ({ name, ...sefPath(name) })).filter((s) => !existsSync(s.sefFile));
  const done: string[] = [];
  const worker = async (): Promise<void> => {
    for (let s = todo.shift(); s; s = todo.shift()) {
      mkdirSync(dirname(s.sefFile), { recursive: true });
      const tmp = `${s.sefFile}.${process.pid}.tmp`;
      const started = Date.now();
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res, rej) => {
        const child = spawn(process.execPath, compileArgs(s!.file, tmp), { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', rej);
        child.on('close', (status) => res({ status, stdout, stderr }));
      });
      settle(s.name, s.sefFile, tmp, r, started);
      done.push(s.name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return done.sort();
}

/**
 * Removes from the cache what the current stylesheets and SaxonJS no longer use: SEFs of a format
 * stylesheet compiled from an earlier content (another hash), and code caches of another SaxonJS
 * or Node version. The build runs it after precompile(), so edits do not pile up old SEFs. Files
 * it does not know (other names, a compile still being written) are left alone. Returns what it
 * removed.
 */
export function pruneSefCache(names: string[] = formatStylesheets()): string[] {
  const dir = sefCacheDir();
  if (!existsSync(dir)) return [];
  const current = new Set([...names.map((n) => basename(sefPath(n).sefFile)), basename(saxonCodeCacheFile())]);
  const bases = new Set(names.map(sefBase));
  const stale = readdirSync(dir).filter((f) => {
    if (current.has(f)) return false;
    const sef = /^(.+)\.[0-9a-f]{32}\.sef\.json$/.exec(f);
    if (sef) return bases.has(sef[1]!);
    return /^saxon-js-.+\.v8cache$/.test(f);
  });
  for (const f of stale) rmSync(join(dir, f), { force: true });
  return stale.sort();
}

export type StylesheetParams = Record<string, string | number | boolean | undefined>;

/** Runs a compiled stylesheet on XML text and returns the serialized result. */
export function transform(name: string, sourceText: string, params: StylesheetParams = {}): string {
  const s = stylesheet(name);
  const stylesheetParams: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) stylesheetParams[k] = v;
  try {
    const result = loadSaxonJS().transform(
      { stylesheetInternal: s.sef, sourceText, destination: 'serialized', stylesheetParams },
      'sync',
    ) as { principalResult: string };
    return result.principalResult;
  } catch (e) {
    const err = e as { message?: string; code?: string };
    // xsl:message terminate="yes" with a Tidemark message is a refusal the stylesheet decided on.
    throw new TidemarkError('malformed', `${name}: ${err.message ?? String(e)}`);
  }
}


/** Every stylesheet that writes a feed (a format's `export`). */
export function exportStylesheets(): string[] {
  return [...new Set(listFormats().flatMap((f) => (f.export ? [f.export] : [])))].sort();
}

/**
 * Readies the feed stylesheets before the first request: checks each against its hash (a changed
 * stylesheet compiles here, not in a request), parses its SEF and loads SaxonJS. One stylesheet
 * per event-loop turn: a request arriving meanwhile waits for one step, not for all of them.
 */
export async function warmUp(names: string[] = exportStylesheets()): Promise<void> {
  for (const name of names) {
    await new Promise((done) => setImmediate(done));
    stylesheet(name);
  }
  loadSaxonJS();
}
