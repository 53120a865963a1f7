import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { knex as KnexFactory } from 'knex';

const require = createRequire(import.meta.url);
/** Made by scripts/build.mjs beside the built modules (dist/vendor/knex.cjs); absent when the sources run under tsx. */
const VENDORED = new URL('../vendor/knex.cjs', import.meta.url);

/**
 * knex, loaded when the first database opens: the one-file build when there is one (half the
 * start-up time of the package's ~340 modules, docs/operations.md "Start-up"), else the package.
 */
export function loadKnex(): typeof KnexFactory {
  const mod = (existsSync(VENDORED) ? require(VENDORED.pathname) : require('knex')) as { knex: typeof KnexFactory };
  return mod.knex;
}
