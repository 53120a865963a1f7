import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { DB_KINDS, dropTestDatabases, freshDatabase } from '../support/databases.js';
import { BIN, startService, tidemark } from '../support/processes.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { CATALOGUE } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

after(dropTestDatabases);

for (const kind of DB_KINDS) {
  describe(`command line and service on ${kind}`, () => {
    it('init prints the instance uuid and keeps it on a second run', async () => {
      const db = await freshDatabase(kind);
      const first = await tidemark(['init', '--db', db, '--name', 'garissa-office']);
      assert.equal(first.code, 0, first.stderr);
      const uuid = first.stdout.trim();
      assert.match(uuid, /^[0-9a-f-]{36}$/);
      const again = await tidemark(['init', '--db', db]);
      assert.equal(again.stdout.trim(), uuid);
      assert.match(again.stderr, /garissa-office/);
    });

    it('loads the samples once: the second run changes nothing', async () => {
      const db = await freshDatabase(kind);
      const first = await tidemark(['samples', '--db', db]);
      assert.equal(first.code, 0, first.stderr);
      const created = Number(/(\d+) records created/.exec(first.stdout)![1]);
      assert.ok(created > 400, first.stdout);
      const second = await tidemark(['samples', '--db', db]);
      assert.match(second.stdout, new RegExp(`0 records created, ${created} already present`));
    });

    it('serves health and its OpenAPI description over real HTTP, then stops cleanly', async () => {
      const db = await freshDatabase(kind);
      const svc = await startService(['serve', '--db', db]);
      try {
        const health = (await (await fetch(`${svc.url}/health`)).json()) as Record<string, unknown>;
        assert.equal(health.status, 'ok');
        assert.match(String(health.instance), /^[0-9a-f-]{36}$/);
        const api = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
        assert.equal(api.openapi, '3.0.3');
        assert.ok('/health' in api.paths);
      } finally {
        assert.equal(await svc.stop(), 0);
      }
    });
  });
}

describe('command line errors', () => {
  it('names an unknown command and exits 2', async () => {
    const r = await tidemark(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });

  it('refuses a database URL it cannot use with a one-line reason', async () => {
    const r = await tidemark(['init', '--db', 'mysql://nowhere']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /expected sqlite:PATH or postgres/);
  });

  it('says a port in use in one line, exit 69, and does not hang', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const db = await freshDatabase('sqlite');
      const r = await tidemark(['serve', '--db', db, '--port', String(port)]);
      assert.equal(r.code, 69, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is in use`));
    } finally {
      taken.close();
    }
  });

  it('answers an unknown sub-command of every command that has them alike: names it and the valid ones, prints the usage, exit 2, no database made', async () => {
    const dir = tempDir('tidemark-cli');
    const subcommands: Record<string, string[]> = {
      peer: ['invite', 'add', 'list', 'show', 'remove', 'set', 'cluster'],
      bundle: ['export', 'import', 'watch', 'show', 'key', 'trust'],
      radio: ['estimate'],
      user: ['add', 'list', 'passwd', 'role', 'remove'],
      token: ['create', 'list', 'revoke'],
      partner: ['add', 'list', 'revoke'],
      conflicts: ['list', 'show', 'resolve', 'reverse'],
      record: ['history', 'keep'],
      discover: ['pair'],
    };
    const db = join(dir, 'never.db');
    const answers = await Promise.all(Object.keys(subcommands).map((name) => tidemark([name, 'frob', '--db', `sqlite:${db}`])));
    Object.entries(subcommands).forEach(([name, known], i) => {
      const r = answers[i]!;
      assert.equal(r.code, CATALOGUE.usage.exit, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '', name);
      const [first, second] = r.stderr.split('\n');
      assert.equal(first, `tidemark ${name}: unknown sub-command "frob" (expected one of: ${known.join(', ')})`);
      assert.ok(second!.startsWith(`Usage: tidemark ${name}`), `${name}: ${r.stderr}`);
      for (const sub of known) assert.ok(r.stderr.includes(sub), `${name}: usage names ${sub}`);
    });
    assert.equal(existsSync(db), false, 'a mistyped sub-command opens no database');
  });

  it('refuses an unknown option', async () => {
    const r = await tidemark(['init', '--frob']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--frob/);
  });
});

describe('command table', () => {
  it('--help lists every command, and each one loads (only when it runs) under its own name', async () => {
    const r = await tidemark(['--help']);
    assert.equal(r.code, 0);
    for (const entry of COMMANDS) {
      assert.match(r.stdout, new RegExp(`^  ${entry.name} +${entry.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.ok(command.usage.startsWith(`tidemark ${entry.name}`), `${entry.name}: usage "${command.usage}"`);
    }
  });

  it('peer list loads neither the signature code, Eden\'s HTTP client nor an XML library', async () => {
    const dir = tempDir('tidemark-cli');
    // Preloaded: at exit, every CommonJS package file the process loaded (ESM imports of them included).
    const report = join(dir, 'report.cjs');
    writeFileSync(report, "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache))));");
    const r = spawnSync(process.execPath, ['--require', report, BIN, 'peer', 'list', '--db', `sqlite:${join(dir, 'a.db')}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /no peers/);
    const loaded = JSON.parse(r.stderr.slice(r.stderr.lastIndexOf('LOADED ') + 7)) as string[];
    assert.ok(loaded.some((f) => f.includes('better-sqlite3')), 'the report lists what loaded');
    for (const pkg of ['xml-crypto', 'libxmljs2', 'undici', 'saxon-js', 'saxes', 'fastify', '@xmldom']) {
      assert.ok(!loaded.some((f) => f.includes(`/node_modules/${pkg}/`)), `${pkg} loaded`);
    }
  });

  it('the built modules import TypeBox from its two vendored files, which build the same schemas', async () => {
    const dist = join(BIN, '..', '..', 'dist');
    const bare = readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js') && !f.startsWith('vendor'))
      .filter((f) => /(from\s*|import\(\s*)"typebox/.test(readFileSync(join(dist, f), 'utf8')));
    assert.deepEqual(bare, [], 'no built module imports the typebox package itself');
    const built = (await import(pathToFileURL(join(dist, 'sync', 'protocol.js')).href)) as typeof import('../../src/sync/protocol.js');
    const source = await import('../../src/sync/protocol.js');
    assert.equal(JSON.stringify(built.HelloSchema), JSON.stringify(source.HelloSchema));
    assert.throws(() => built.checkHello({ schema_version: 1, registry_hash: 'x' }, { protocol: 1 }), (e: unknown) => (e as { code?: string }).code === 'malformed');
  });

  it('a command\'s --help prints its usage and the summary of the table', async () => {
    const r = await tidemark(['log', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: tidemark log/);
    assert.ok(r.stdout.includes(COMMANDS.find((c) => c.name === 'log')!.summary));
  });
});
