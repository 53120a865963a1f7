import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's static files, all served by Tidemark itself (no CDN: sites work offline):
 * htmx from its npm package, the stylesheet and script from src/console/assets. Read once at
 * start; the URLs carry a content hash so browsers may cache them for a year.
 */
const require = createRequire(import.meta.url);

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'src', 'console'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Tidemark package folder');
    dir = up;
  }
  return dir;
}

export interface Asset {
  body: Buffer;
  type: string;
}

const own = (name: string): Buffer => readFileSync(join(packageRoot(), 'src', 'console', 'assets', name));

export const ASSETS: Record<string, Asset> = {
  'htmx.min.js': { body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js')), type: 'text/javascript; charset=utf-8' },
  'console.css': { body: own('console.css'), type: 'text/css; charset=utf-8' },
  'console.js': { body: own('console.js'), type: 'text/javascript; charset=utf-8' },
};

export const ASSET_VERSION = createHash('sha256')
  .update(Object.values(ASSETS).map((a) => a.body.toString('latin1')).join(''))
  .digest('hex')
  .slice(0, 10);

/** Tidemark's version, as the package says. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
