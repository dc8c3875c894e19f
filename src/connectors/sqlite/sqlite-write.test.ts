/**
 * write(): the four modes with duplicate keys and re-writes, one transaction per call, and the
 * database's refusals as RecordErrors (which the shared code isolates by halving the batch).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, RecordError, TransientError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import type { ConnectionSettings, SqlConnection, WriteTarget } from '../../sql/driver.js'
import { sqliteDriver } from './sqlite-driver.js'

let dir: string
let file: string
let conn: SqlConnection

function settings(path: string, options: Record<string, string> = {}): ConnectionSettings {
  return { host: path, port: 0, database: path, username: '', password: undefined, options, ssl: undefined, readOnly: false, connectTimeoutMs: 1000 }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-sqlite-write-'))
  file = join(dir, 'out.db')
  conn = await sqliteDriver.connect(settings(file))
})

afterEach(async () => {
  await conn.close()
  await rm(dir, { recursive: true, force: true })
})

const ID: Column = { name: 'id', type: 'int' }
const NAME: Column = { name: 'name', type: 'string' }
const SCORE: Column = { name: 'score', type: 'decimal', precision: 5, scale: 2 }

function target(mode: WriteTarget['mode'], columns: readonly Column[] = [ID, NAME, SCORE], key: readonly string[] = mode === 'insert' ? [] : ['id'], name = 'users'): WriteTarget {
  return { table: { name }, columns, mode, key }
}

async function rowsOf(sql: string): Promise<Row[]> {
  return (await conn.query(sql)).rows
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error,
  )
}

describe('sqlite write', () => {
  beforeEach(async () => {
    await conn.execute(`CREATE TABLE users (id INT PRIMARY KEY, name TEXT NOT NULL CHECK (length(name) <= 10), score DECIMAL(5,2), note TEXT DEFAULT 'none')`)
  })

  it('inserts batches of any size, multi-row statements and the remainder alike', async () => {
    const rows: Row[] = Array.from({ length: 1234 }, (_, i) => [i, `n${i}`, `${i % 1000}.${String(i % 100).padStart(2, '0')}`])
    await conn.write(target('insert'), rows.slice(0, 1000))
    await conn.write(target('insert'), rows.slice(1000))
    const stored = await rowsOf('SELECT id, name, score FROM users ORDER BY id')
    expect(stored).toEqual(rows)
  })

  it('upserts: updates the written columns of the row with the same key, the last duplicate of a batch wins, a re-write changes nothing', async () => {
    await conn.write(target('insert', [ID, NAME, SCORE, { name: 'note', type: 'string' }]), [
      [1, 'a', '1.00', 'kept'],
      [2, 'b', '2.00', 'kept'],
    ])
    const batch: Row[] = [
      [2, 'B', '2.50'],
      [3, 'c', '3.00'],
      [3, 'C', '3.50'],
    ]
    await conn.write(target('upsert'), batch)
    const after = await rowsOf('SELECT id, name, score, note FROM users ORDER BY id')
    expect(after).toEqual([
      [1, 'a', '1.00', 'kept'],
      [2, 'B', '2.50', 'kept'],
      [3, 'C', '3.50', 'none'],
    ])
    await conn.write(target('upsert'), batch)
    expect(await rowsOf('SELECT id, name, score, note FROM users ORDER BY id')).toEqual(after)
  })

  it('merges as it upserts', async () => {
    await conn.write(target('insert'), [[1, 'a', '1.00']])
    const batch: Row[] = [
      [1, 'A', '1.50'],
      [2, 'b', null],
      [1, 'AA', '1.75'],
    ]
    await conn.write(target('merge'), batch)
    await conn.write(target('merge'), batch)
    expect(await rowsOf('SELECT id, name, score FROM users ORDER BY id')).toEqual([
      [1, 'AA', '1.75'],
      [2, 'b', null],
    ])
  })

  it('replaces whole rows: columns not written get their defaults, the last duplicate wins, a re-write changes nothing', async () => {
    await conn.write(target('insert', [ID, NAME, SCORE, { name: 'note', type: 'string' }]), [[1, 'a', '1.00', 'custom']])
    const batch: Row[] = [
      [1, 'x', '9.00'],
      [1, 'y', '8.00'],
      [5, 'e', '5.00'],
    ]
    await conn.write(target('replace'), batch)
    await conn.write(target('replace'), batch)
    expect(await rowsOf('SELECT id, name, score, note FROM users ORDER BY id')).toEqual([
      [1, 'y', '8.00', 'none'],
      [5, 'e', '5.00', 'none'],
    ])
  })

  it('upserts on a composite unique index, and with key columns only does nothing on conflict', async () => {
    await conn.execute('CREATE TABLE pairs (a INT NOT NULL, b TEXT NOT NULL, v REAL); CREATE UNIQUE INDEX pairs_ab ON pairs (b, a)')
    const columns: Column[] = [
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
      { name: 'v', type: 'float' },
    ]
    await conn.write(target('upsert', columns, ['a', 'b'], 'pairs'), [
      [1, 'x', 1.5],
      [1, 'y', 2.5],
      [1, 'x', 3.5],
    ])
    await conn.write(target('upsert', columns.slice(0, 2), ['a', 'b'], 'pairs'), [[1, 'x']])
    expect(await rowsOf('SELECT a, b, v FROM pairs ORDER BY a, b')).toEqual([
      [1, 'x', 3.5],
      [1, 'y', 2.5],
    ])
  })

  it('upserts into an INTEGER PRIMARY KEY (the rowid) table', async () => {
    await conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)')
    const columns: Column[] = [
      { name: 'id', type: 'bigint' },
      { name: 'label', type: 'string' },
    ]
    await conn.write(target('upsert', columns, ['id'], 'items'), [
      [9223372036854775807n, 'max'],
      [1n, 'one'],
    ])
    await conn.write(target('upsert', columns, ['id'], 'items'), [[1n, 'uno']])
    expect(await rowsOf('SELECT id, label FROM items ORDER BY id')).toEqual([
      [1n, 'uno'],
      [9223372036854775807n, 'max'],
    ])
  })

  it('refuses upsert, merge and replace without a unique key on the key columns, with a hint', async () => {
    await conn.execute('CREATE TABLE loose (id INT, name TEXT)')
    for (const mode of ['upsert', 'merge', 'replace'] as const) {
      const error = await failure(conn.write(target(mode, [ID, NAME], ['id'], 'loose'), [[1, 'a']]))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('sqlite.no_unique_key')
      expect((error as ConfigError).message).toBe(`mode ${mode} needs a primary key or unique index on (id) of table loose in ${file}, and there is none`)
      expect((error as ConfigError).hint).toBe('CREATE UNIQUE INDEX "loose_key" ON "loose" ("id"), or use mode insert')
    }
    const notWritten = await failure(conn.write(target('upsert', [NAME], ['id']), [['a']]))
    expect((notWritten as ConfigError).code).toBe('sqlite.key_not_written')
    expect(await rowsOf('SELECT count(*) FROM loose')).toEqual([[0n]])
  })

  it('gives a RecordError naming the table and column for NOT NULL, CHECK and UNIQUE violations, and writes nothing of the batch', async () => {
    await conn.write(target('insert'), [[1, 'a', '1.00']])
    const cases: { rows: Row[]; code: string; column: string | undefined; message: string }[] = [
      { rows: [[2, 'b', null], [3, null, '1.00']], code: 'sqlite.constraint_failed', column: 'name', message: `table users of sqlite database ${file}: NOT NULL constraint failed: users.name` },
      { rows: [[2, 'b', null], [3, 'far too long', '1.00']], code: 'sqlite.constraint_failed', column: undefined, message: `table users of sqlite database ${file}: CHECK constraint failed: length(name) <= 10` },
      { rows: [[2, 'b', null], [1, 'again', '1.00']], code: 'sqlite.constraint_failed', column: 'id', message: `table users of sqlite database ${file}: UNIQUE constraint failed: users.id` },
    ]
    for (const c of cases) {
      const error = await failure(conn.write(target('insert'), c.rows))
      expect(error).toBeInstanceOf(RecordError)
      expect({ code: (error as RecordError).code, column: (error as RecordError).column, message: (error as RecordError).message }).toEqual({ code: c.code, column: c.column, message: c.message })
    }
    expect(await rowsOf('SELECT id FROM users')).toEqual([[1]])
  })

  it('gives a RecordError for a value a STRICT table refuses, and for a NaN float', async () => {
    await conn.execute('CREATE TABLE strict_t (n INTEGER, f REAL) STRICT')
    const mismatch = await failure(conn.write(target('insert', [{ name: 'n', type: 'string' }], [], 'strict_t'), [['abc']]))
    expect(mismatch).toBeInstanceOf(RecordError)
    expect((mismatch as RecordError).code).toBe('sqlite.datatype_mismatch')
    expect((mismatch as RecordError).column).toBe('n')
    const nan = await failure(conn.write(target('insert', [{ name: 'f', type: 'float' }], [], 'strict_t'), [[1.5], [NaN]]))
    expect(nan).toBeInstanceOf(RecordError)
    expect((nan as RecordError).code).toBe('sqlite.nan')
    expect((nan as RecordError).column).toBe('f')
    expect(await rowsOf('SELECT count(*) FROM strict_t')).toEqual([[0n]])
  })

  it('names a missing table or column as a ConfigError', async () => {
    const table = await failure(conn.write(target('insert', [ID], [], 'usres'), [[1]]))
    expect(table).toBeInstanceOf(ConfigError)
    expect((table as ConfigError).code).toBe('sqlite.no_such_table')
    expect((table as ConfigError).message).toContain(`no such table "usres" in sqlite database ${file}`)
    expect((table as ConfigError).hint).toBe('(did you mean "users"?)')
    const column = await failure(conn.write(target('insert', [ID, { name: 'agee', type: 'int' }]), [[1, 2]]))
    expect((column as ConfigError).code).toBe('sqlite.no_such_column')
    expect((column as ConfigError).message).toContain(`no such column "agee" in table users of sqlite database ${file}`)
  })

  it('writes tables and columns whose names need quoting, and tables with more columns than fit 100 rows of parameters', async () => {
    const odd: Column[] = [
      { name: 'select', type: 'int' },
      { name: 'with "quotes" and spaces', type: 'string' },
    ]
    await conn.execute(`CREATE TABLE "we""ird table" ("select" INT, "with ""quotes"" and spaces" TEXT)`)
    await conn.write(target('insert', odd, [], 'we"ird table'), [[1, 'x']])
    expect(await rowsOf(`SELECT * FROM "we""ird table"`)).toEqual([[1, 'x']])

    const wide: Column[] = Array.from({ length: 500 }, (_, i) => ({ name: `c${i}`, type: 'int' as const }))
    await conn.execute(`CREATE TABLE wide (${wide.map((c) => `${c.name} INT`).join(', ')})`)
    const rows: Row[] = Array.from({ length: 150 }, (_, r) => wide.map((_, c) => r * 1000 + c))
    await conn.write(target('insert', wide, [], 'wide'), rows)
    expect(await rowsOf('SELECT count(*), sum(c499) FROM wide')).toEqual([[150n, BigInt(rows.reduce((sum, row) => sum + (row[499] as number), 0))]])
  })

  it('gives a TransientError while another connection holds the write lock, and writes once it is released', async () => {
    const other = await sqliteDriver.connect(settings(file))
    const impatient = await sqliteDriver.connect(settings(file, { busy_timeout: '50' }))
    try {
      await other.execute('BEGIN IMMEDIATE')
      const error = await failure(impatient.write(target('insert'), [[7, 'g', '7.00']]))
      expect(error).toBeInstanceOf(TransientError)
      expect((error as TransientError).code).toBe('sqlite.busy')
      expect((error as TransientError).message).toContain(file)
      await other.execute('COMMIT')
      await impatient.write(target('insert'), [[7, 'g', '7.00']])
      expect(await rowsOf('SELECT id FROM users')).toEqual([[7]])
    } finally {
      await other.close()
      await impatient.close()
    }
  })
})
