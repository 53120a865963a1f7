import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { cachedStatement, MAX_CACHED_STATEMENTS, type SqliteConnection } from '../../src/store/statements.js';

test('cached statements: one per SQL and connection, bounded, the least recently used dropped first', () => {
  const db = new Database(':memory:');
  const other = new Database(':memory:');
  try {
    const conn = db as unknown as SqliteConnection;
    for (const d of [db, other]) d.exec('CREATE TABLE t (n INTEGER)');
    const sql = (i: number): string => `SELECT n + ${i} AS v FROM t`;
    const first = cachedStatement(conn, sql(0));
    assert.equal(cachedStatement(conn, sql(0)), first, 'same SQL, same statement');
    assert.notEqual(cachedStatement(other as unknown as SqliteConnection, sql(0)), first, 'another connection prepares its own');

    const kept = cachedStatement(conn, sql(1));
    for (let i = 2; i < MAX_CACHED_STATEMENTS; i++) cachedStatement(conn, sql(i));
    // The cache is full; using sql(0) again makes sql(1) the least recent, and the next new SQL drops it.
    assert.equal(cachedStatement(conn, sql(0)), first);
    cachedStatement(conn, sql(MAX_CACHED_STATEMENTS));
    assert.equal(cachedStatement(conn, sql(0)), first, 'a recently used statement stays');
    const again = cachedStatement(conn, sql(1));
    assert.notEqual(again, kept, 'the least recently used was dropped and is prepared anew');
    // A dropped statement still runs for whoever holds it.
    db.exec('INSERT INTO t VALUES (41)');
    assert.deepEqual(kept.raw(false).get(), { v: 42 });
    assert.deepEqual(again.raw(true).all(), [[42]]);
  } finally {
    db.close();
    other.close();
  }
});
