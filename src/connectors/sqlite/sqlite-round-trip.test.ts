/**
 * Every logical type written by write() into a table made with the dialect's column types, read
 * back by stream() and by query(), value by value; NULL in every column; edge values; what a
 * table SQLite allowed other applications to fill holds (text in an int column) rejected on read.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RecordError } from '../../core/errors.js'
import type { Column, Row, Value } from '../../core/schema.js'
import type { ColumnInfo, ConnectionSettings, RowChunk, SqlConnection } from '../../sql/driver.js'
import { sqliteDriver } from './sqlite-driver.js'

let dir: string
let conn: SqlConnection

function settings(path: string, readOnly = false): ConnectionSettings {
  return { host: path, port: 0, database: path, username: '', password: undefined, options: {}, ssl: undefined, readOnly, connectTimeoutMs: 1000 }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-sqlite-round-trip-'))
  conn = await sqliteDriver.connect(settings(join(dir, 'test.db')))
})

afterEach(async () => {
  await conn.close()
  await rm(dir, { recursive: true, force: true })
})

async function readAll(sql: string, columns: readonly ColumnInfo[], chunkRows = 1000): Promise<{ rows: Row[]; rejected: RowChunk['rejected'][number][] }> {
  const rows: Row[] = []
  const rejected: RowChunk['rejected'][number][] = []
  for await (const chunk of conn.stream(sql, [], columns, chunkRows, { zeroDates: 'error' })) {
    rows.push(...chunk.rows)
    rejected.push(...chunk.rejected)
  }
  return { rows, rejected }
}

async function createTable(name: string, columns: readonly Column[]): Promise<void> {
  const { dialect } = sqliteDriver
  await conn.execute(`CREATE TABLE ${dialect.quoteIdentifier(name)} (${columns.map((c) => `${dialect.quoteIdentifier(c.name)} ${dialect.columnType(c, false)}`).join(', ')})`)
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
const MIB_TEXT = 'ab€'.repeat(349_526).slice(0, 1_048_576)

/** Each column with the values it must carry exactly. */
const CASES: readonly { column: Column; values: readonly Value[] }[] = [
  { column: { name: 'text', type: 'string' }, values: ['plain', '', '👍🏽 héllo ✓ 𝄞', 'quotes " and \' and \\', 'NUL\u0000inside', '007', '12.50', MIB_TEXT] },
  { column: { name: 'int', type: 'int' }, values: [0, -2147483648, 2147483647, 42, -1] },
  { column: { name: 'bigint', type: 'bigint' }, values: [0n, -9223372036854775808n, 9223372036854775807n, 9007199254740993n, -1n] },
  { column: { name: 'money', type: 'decimal', precision: 10, scale: 2 }, values: ['12.50', '-99999999.99', '0.00', '0.01', '99999999.99', '-0.10'] },
  { column: { name: 'narrow15', type: 'decimal', precision: 15, scale: 5 }, values: ['1234567890.12345', '-9999999999.99999', '0.00001', '1.10000', '0.00000'] },
  {
    column: { name: 'wide', type: 'decimal', precision: 65, scale: 30 },
    values: [
      '12345678901234567890123456789012345.123456789012345678901234567890',
      '-99999999999999999999999999999999999.999999999999999999999999999999',
      '0.000000000000000000000000000001',
      '1.000000000000000000000000000000',
    ],
  },
  { column: { name: 'unbounded', type: 'decimal' }, values: ['3.14159265358979323846264338327950288', '-0.5', '100', '1.50', '123456789012345678901234567890'] },
  { column: { name: 'float', type: 'float' }, values: [1.5, -2.25e-300, Number.MAX_VALUE, Infinity, -Infinity, 0.1 + 0.2, 5e-324, 3] },
  { column: { name: 'bool', type: 'bool' }, values: [true, false] },
  { column: { name: 'date', type: 'date' }, values: ['2024-02-29', '0001-01-01', '9999-12-31'] },
  { column: { name: 'time', type: 'time' }, values: ['00:00:00', '23:59:59.999999', '13:45:10.5', '24:00:00'] },
  { column: { name: 'ts', type: 'timestamp' }, values: ['2024-01-31T13:45:10.123456', '0001-01-01T00:00:00', '9999-12-31T23:59:59.999999', '2024-01-31T13:45:10.000001'] },
  { column: { name: 'tstz', type: 'timestamptz' }, values: ['2024-01-31T13:45:10.123456Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z'] },
  {
    column: { name: 'json', type: 'json' },
    values: [{ a: [1, 'ü', { b: null, c: true }], ключ: '値 🎉', nested: { deep: { deeper: [1.5, -2, 'x'] } } }, [1, 2, 3], 'just a string', 42, 1.5, true, false, 12345678901234567000, -0.001, '42', []],
  },
  { column: { name: 'bytes', type: 'bytes' }, values: [ALL_BYTES, Buffer.alloc(0), new Uint8Array([0, 1, 2, 255]), Buffer.from('text bytes')] },
  { column: { name: 'uuid', type: 'uuid' }, values: ['123e4567-e89b-12d3-a456-426614174000', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'] },
]

const COLUMNS = CASES.map((c) => c.column)
const ROW_COUNT = Math.max(...CASES.map((c) => c.values.length))

/** Row k holds the k-th value of every column (cycling), and a last row is NULL everywhere. */
function rowsOfCases(): Row[] {
  const rows: Row[] = []
  for (let k = 0; k < ROW_COUNT; k++) rows.push(CASES.map((c) => c.values[k % c.values.length]))
  rows.push(CASES.map(() => null))
  return rows
}

/** The value as it reads back: a Uint8Array comes back as a Buffer with the same bytes. */
function expectedValue(value: Value): Value {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value
}

function expectSameRows(actual: readonly Row[], expected: readonly Row[]): void {
  expect(actual.length).toBe(expected.length)
  for (let r = 0; r < expected.length; r++) {
    for (let c = 0; c < COLUMNS.length; c++) {
      const got = actual[r][c]
      const want = expectedValue(expected[r][c])
      // One column at a time, so that a failure names it (and a 1 MiB text is not printed in full).
      if (typeof want === 'string' && want.length > 1000) {
        expect(got === want, `row ${r} column ${COLUMNS[c].name}`).toBe(true)
      } else {
        expect({ column: COLUMNS[c].name, row: r, value: got }).toStrictEqual({ column: COLUMNS[c].name, row: r, value: want })
      }
    }
  }
}

describe('sqlite round trip of every logical type', () => {
  it('writes every type and reads it back exactly with stream(), query() and a table description', async () => {
    await createTable('all_types', COLUMNS)
    const rows = rowsOfCases()
    await conn.write({ table: { name: 'all_types' }, columns: COLUMNS, mode: 'insert', key: [] }, rows)

    const table = await conn.describeTable({ name: 'all_types' })
    expect(table?.columns.map((info) => info.column)).toEqual(COLUMNS)

    const described = await conn.describeQuery('SELECT * FROM all_types')
    expect(described.map((info) => info.column)).toEqual(COLUMNS)

    const streamed = await readAll('SELECT * FROM all_types ORDER BY rowid', described, 3)
    expect(streamed.rejected).toEqual([])
    expectSameRows(streamed.rows, rows)

    const queried = await conn.query('SELECT * FROM all_types ORDER BY rowid')
    expect(queried.schema.columns).toEqual(COLUMNS)
    expectSameRows(queried.rows, rows)
  })

  it('keeps a 65-digit decimal as exact text and a narrow decimal as a number SQL can compare', async () => {
    await createTable('decimals', [
      { name: 'narrow', type: 'decimal', precision: 5, scale: 2 },
      { name: 'wide', type: 'decimal', precision: 65, scale: 30 },
    ])
    await conn.write(
      { table: { name: 'decimals' }, columns: [{ name: 'narrow', type: 'decimal', precision: 5, scale: 2 }, { name: 'wide', type: 'decimal', precision: 65, scale: 30 }], mode: 'insert', key: [] },
      [['12.50', '12345678901234567890123456789012345.123456789012345678901234567890']],
    )
    const stored = await conn.query('SELECT typeof(narrow) AS narrow_class, narrow > 9 AS is_above_nine, typeof(wide) AS wide_class, wide FROM decimals')
    expect(stored.rows).toEqual([['real', 1n, 'text', '12345678901234567890123456789012345.123456789012345678901234567890']])
  })

  it('converts what other applications store: SQLite datetimes, integer booleans, UUID blobs, untyped columns', async () => {
    await conn.execute(`
      CREATE TABLE legacy (id INTEGER PRIMARY KEY, name VARCHAR(20), price NUMERIC(10,2), created DATETIME, flag BOOL, id_bytes UUID, misc, ratio DOUBLE PRECISION, payload JSON);
      INSERT INTO legacy VALUES (1, 'a', 9.5, '2024-01-31 13:45:10', 1, x'123e4567e89b12d3a456426614174000', 12, 2, '{"k": [1, 2]}');
      INSERT INTO legacy VALUES (2, 'b', '3', '2024-01-31 13:45:10.250', 0, '123E4567-E89B-12D3-A456-426614174000', 'text', 0.5, '7');
      INSERT INTO legacy VALUES (3, 'c', NULL, '2024-01-31T13:45', NULL, NULL, 2.5, NULL, NULL);
    `)
    const columns = await conn.describeQuery('SELECT * FROM legacy ORDER BY id')
    expect(columns.map((info) => `${info.column.name}:${info.column.type}${info.column.precision === undefined ? '' : `(${info.column.precision},${info.column.scale})`}`)).toEqual([
      'id:bigint',
      'name:string',
      'price:decimal(10,2)',
      'created:timestamp',
      'flag:bool',
      'id_bytes:uuid',
      'misc:string',
      'ratio:float',
      'payload:json',
    ])
    const { rows, rejected } = await readAll('SELECT * FROM legacy ORDER BY id', columns)
    expect(rejected).toEqual([])
    expect(rows).toEqual([
      [1n, 'a', '9.50', '2024-01-31T13:45:10', true, '123e4567-e89b-12d3-a456-426614174000', '12', 2, { k: [1, 2] }],
      [2n, 'b', '3.00', '2024-01-31T13:45:10.25', false, '123e4567-e89b-12d3-a456-426614174000', 'text', 0.5, 7],
      [3n, 'c', null, '2024-01-31T13:45:00', null, null, '2.5', null, null],
    ])
  })

  it('rejects a row whose stored value does not fit its column, naming the column, and reads the others', async () => {
    await conn.execute(`
      CREATE TABLE people (id INT, age INT, born DATE, active BOOLEAN);
      INSERT INTO people VALUES (1, 30, '1994-05-01', 1);
      INSERT INTO people VALUES (2, 'abc', '1990-01-01', 0);
      INSERT INTO people VALUES (3, 31.5, '1993-01-01', 1);
      INSERT INTO people VALUES (4, 40, 1700000000, 1);
      INSERT INTO people VALUES (5, 4294967296, '1980-01-01', 1);
      INSERT INTO people VALUES (6, 50, x'00', 'maybe');
      INSERT INTO people VALUES (7, 60, '1964-02-30', 0);
      INSERT INTO people VALUES (8, 70, '1954-01-01', 1);
    `)
    const columns = await conn.describeQuery('SELECT * FROM people ORDER BY id')
    const { rows, rejected } = await readAll('SELECT * FROM people ORDER BY id', columns, 3)
    expect(rows).toEqual([
      [1, 30, '1994-05-01', true],
      [8, 70, '1954-01-01', true],
    ])
    const failures = rejected.map((r) => ({ record: r.record, column: (r.error as RecordError).column, code: (r.error as RecordError).code, location: r.location }))
    const file = join(dir, 'test.db')
    expect(failures).toEqual([
      { record: [2, 'abc', '1990-01-01', 0], column: 'age', code: 'value.invalid', location: `${file}: row 2 of the query` },
      { record: [3, 31.5, '1993-01-01', 1], column: 'age', code: 'sqlite.value_mismatch', location: `${file}: row 3 of the query` },
      { record: [4, 40, 1700000000, 1], column: 'born', code: 'sqlite.value_mismatch', location: `${file}: row 4 of the query` },
      { record: [5, 4294967296, '1980-01-01', 1], column: 'age', code: 'value.out_of_range', location: `${file}: row 5 of the query` },
      { record: [6, 50, Buffer.from([0]), 'maybe'], column: 'born', code: 'sqlite.value_mismatch', location: `${file}: row 6 of the query` },
      { record: [7, 60, '1964-02-30', 0], column: 'born', code: 'value.invalid', location: `${file}: row 7 of the query` },
    ])
    expect(rejected.every((r) => r.error instanceof RecordError)).toBe(true)
    expect((rejected[0].error as Error).message).toBe('invalid int "abc" for column "age"')
    expect((rejected[1].error as Error).message).toBe('column "age" holds the real 31.5, which does not fit type int')
    expect((rejected[2].error as Error).message).toContain("datetime(born, 'unixepoch')")
  })

  it('types the expression columns of a query from their values', async () => {
    await conn.execute(`CREATE TABLE t (a INT, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, NULL)`)
    const described = await conn.describeQuery(`SELECT count(*) AS n, max(a) * 1.5 AS f, upper(max(b)) AS u, x'00ff' AS raw, NULL AS nil, max(a) AS a FROM t`)
    expect(described.map((info) => [info.column.name, info.column.type, info.nativeType])).toEqual([
      ['n', 'bigint', 'integer'],
      ['f', 'float', 'real'],
      ['u', 'string', 'text'],
      ['raw', 'bytes', 'blob'],
      ['nil', 'string', 'null'],
      ['a', 'bigint', 'integer'],
    ])
    const queried = await conn.query(`SELECT count(*) AS n, sum(a) * 1.5 AS f, group_concat(b) AS u, x'00ff' AS raw, NULL AS nil FROM t`)
    expect(queried.schema.columns.map((c) => c.type)).toEqual(['bigint', 'float', 'string', 'bytes', 'string'])
    expect(queried.rows).toEqual([[2n, 4.5, 'x', Buffer.from([0, 255]), null]])
  })
})
