import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import SaxonJS from 'saxon-js';
import { TidemarkError } from '../errors.js';
import { logger } from '../log.js';
import { PROJECT_ROOT, XSLT_DIR } from './formats.js';

/**
 * Stylesheets are compiled once to SEF with xslt3 and kept in two places: on disk under
 * `.cache/sef/<hash>.sef.json` (the hash covers the stylesheet, everything it includes or
 * imports, and the SaxonJS version, so an edit or an upgrade recompiles by itself), and in
 * memory for the life of the process. A fresh clone compiles at first use; nothing is manual.
 */
const require = createRequire(import.meta.url);
const SAXON_VERSION = (require('saxon-js/package.json') as { version: string }).version;
const XSLT3 = require.resolve('xslt3/xslt3.js');

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

/** Compiles (or finds in the cache) `xslt/<name>` and returns it ready to run. */
export function stylesheet(name: string): Stylesheet {
  const hit = compiled.get(name);
  if (hit) return hit;
  const file = join(XSLT_DIR, name);
  if (!existsSync(file)) throw new TidemarkError('not_found', `stylesheet not found: xslt/${name}`);
  const dir = sefCacheDir();
  const sefFile = join(dir, `${name.replace(/\.xslt?$/, '')}.${contentHash(file)}.sef.json`);
  if (!existsSync(sefFile)) {
    mkdirSync(dir, { recursive: true });
    // Compile to a private file and rename: concurrent processes never read a half-written SEF.
    const tmp = `${sefFile}.${process.pid}.tmp`;
    const started = Date.now();
    const r = spawnSync(process.execPath, [XSLT3, `-xsl:${file}`, `-export:${tmp}`, '-nogo', '-relocate:on'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0 || !existsSync(tmp)) {
      rmSync(tmp, { force: true });
      throw new TidemarkError('invalid', `stylesheet xslt/${name} does not compile: ${(r.stderr || r.stdout || '').trim()}`);
    }
    renameSync(tmp, sefFile);
    logger.info({ stylesheet: name, ms: Date.now() - started }, 'compiled stylesheet to SEF');
  }
  const s: Stylesheet = { name, file, sefFile, sef: JSON.parse(readFileSync(sefFile, 'utf8')) };
  compiled.set(name, s);
  return s;
}

export type StylesheetParams = Record<string, string | number | boolean | undefined>;

/** Runs a compiled stylesheet on XML text and returns the serialized result. */
export function transform(name: string, sourceText: string, params: StylesheetParams = {}): string {
  const s = stylesheet(name);
  const stylesheetParams: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) stylesheetParams[k] = v;
  try {
    const result = SaxonJS.transform(
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

