/**
 * Opening a database (files that are missing, not databases, in missing directories; PRAGMA options
 * and their defaults), describing tables and queries, listing tables, query() parameters, and the
 * errors that name what is missing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../core/errors.js'
import type { ConnectionSettings, SqlConnection } from '../../sql/driver.js'
import { sqliteDriver } from './sqlite-driver.js'

let dir: string
const opened: SqlConnection[] = []

function settings(path: string, readOnly: boolean, options: Record<string, string> = {}): ConnectionSettings {
  return { host: path, port: 0, database: path, username: '', password: undefined, options, ssl: undefined, readOnly, connectTimeoutMs: 1000 }
}

async function connect(path: string, readOnly = false, options: Record<string, string> = {}): Promise<SqlConnection> {
  const conn = await sqliteDriver.connect(settings(path, readOnly, options))
  opened.push(conn)
  return conn
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-sqlite-driver-'))
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((conn) => conn.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('sqlite connect', () => {
  it('refuses a missing file for an input, naming the path, and creates it for an output', async () => {
    const path = join(dir, 'missing.db')
    const error = await configError(connect(path, true))
    expect(error.code).toBe('sqlite.file_not_found')
    expect(error.message).toBe(`sqlite database file not found: ${path}`)
    const writer = await connect(path, false)
    await writer.execute('CREATE TABLE t (a INT)')
    const reader = await connect(path, true)
    expect(await reader.listTables()).toEqual([{ schema: 'main', name: 't' }])
  })

  it("refuses an output whose directory does not exist, naming it", async () => {
    const error = await configError(connect(join(dir, 'no', 'such', 'out.db'), false))
    expect(error.code).toBe('sqlite.directory_not_found')
    expect(error.message).toBe(`the directory of sqlite database ${join(dir, 'no', 'such', 'out.db')} does not exist: ${join(dir, 'no', 'such')}`)
  })

  it('refuses a file that is not a SQLite database, for inputs and outputs', async () => {
    const path = join(dir, 'notes.txt')
    await writeFile(path, 'these are not the pages of a database, but they are long enough to have a header\n'.repeat(20))
    for (const readOnly of [true, false]) {
      const error = await configError(connect(path, readOnly))
      expect(error.code).toBe('sqlite.not_a_database')
      expect(error.message).toBe(`${path} is not a SQLite database`)
    }
  })

  it('refuses a directory given as the database file', async () => {
    const path = join(dir, 'a-directory')
    await mkdir(path)
    const error = await configError(connect(path, false))
    expect(error.code).toBe('sqlite.cannot_open')
    expect(error.message).toContain(path)
  })

  it('opens outputs in WAL mode with synchronous FULL and a 5 s busy timeout, and runs the PRAGMA options over those defaults', async () => {
    const path = join(dir, 'pragmas.db')
    const writer = await connect(path)
    expect((await writer.query('PRAGMA journal_mode')).rows).toEqual([['wal']])
    expect((await writer.query('PRAGMA synchronous')).rows).toEqual([[2n]])
    expect((await writer.query('PRAGMA busy_timeout')).rows).toEqual([[5000n]])
    const tuned = await connect(path, false, { synchronous: 'normal', busy_timeout: '1234', cache_size: '-8000' })
    expect((await tuned.query('PRAGMA synchronous')).rows).toEqual([[1n]])
    expect((await tuned.query('PRAGMA busy_timeout')).rows).toEqual([[1234n]])
    expect((await tuned.query('PRAGMA cache_size')).rows).toEqual([[-8000n]])
  })

  it('refuses PRAGMA options that are unknown or would inject SQL', async () => {
    const path = join(dir, 'options.db')
    const unknown = await configError(connect(path, false, { busy_timout: '100' }))
    expect(unknown.code).toBe('sqlite.unknown_pragma')
    expect(unknown.message).toBe(`connection option "busy_timout" of sqlite database ${path} is not a PRAGMA SQLite knows (did you mean "busy_timeout"?)`)
    const injected = await configError(connect(path, false, { cache_size: '1; DROP TABLE users' }))
    expect(injected.code).toBe('sqlite.option_invalid')
    const badName = await configError(connect(path, false, { 'cache_size = 1; --': '1' }))
    expect(badName.code).toBe('sqlite.option_invalid')
  })

  it('opens inputs read-only: writing is a ConfigError naming the file', async () => {
    const path = join(dir, 'source.db')
    await (await connect(path)).execute('CREATE TABLE t (a INT)')
    const reader = await connect(path, true)
    const error = await configError(reader.execute('INSERT INTO t VALUES (1)'))
    expect(error.code).toBe('sqlite.read_only')
    expect(error.message).toContain(path)
  })
})

describe('sqlite catalog', () => {
  let conn: SqlConnection
  let path: string

  beforeEach(async () => {
    path = join(dir, 'catalog.db')
    conn = await connect(path)
    await conn.execute(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INT DEFAULT 18, score DECIMAL(5,2), doubled INT GENERATED ALWAYS AS (age * 2));
      CREATE TABLE pairs (a INT, b TEXT, v BLOB, note, PRIMARY KEY (b, a)) WITHOUT ROWID;
      CREATE VIEW adults AS SELECT id, email, age FROM users WHERE age >= 18;
      CREATE VIRTUAL TABLE docs USING fts5(body);
    `)
  })

  it('describes a table: types, nullability, defaults, generated columns and primary-key order', async () => {
    const users = await conn.describeTable({ name: 'users' })
    expect(users).toEqual({
      table: { name: 'users' },
      primaryKey: ['id'],
      columns: [
        { column: { name: 'id', type: 'bigint', nullable: false }, nativeType: 'INTEGER', isInteger: true, hasDefault: true },
        { column: { name: 'email', type: 'string', nullable: false }, nativeType: 'TEXT', isInteger: false, hasDefault: false },
        { column: { name: 'age', type: 'int' }, nativeType: 'INT', isInteger: true, hasDefault: true },
        { column: { name: 'score', type: 'decimal', precision: 5, scale: 2 }, nativeType: 'DECIMAL(5,2)', isInteger: false, hasDefault: false },
        { column: { name: 'doubled', type: 'int' }, nativeType: 'INT', isInteger: true, hasDefault: true },
      ],
    })
    const pairs = await conn.describeTable({ schema: 'main', name: 'pairs' })
    expect(pairs?.primaryKey).toEqual(['b', 'a'])
    expect(pairs?.columns.map((c) => [c.column.name, c.column.type, c.hasDefault])).toEqual([
      ['a', 'int', false],
      ['b', 'string', false],
      ['v', 'bytes', false],
      ['note', 'string', false],
    ])
    expect((await conn.describeTable({ name: 'adults' }))?.columns.map((c) => c.column.type)).toEqual(['bigint', 'string', 'int'])
    expect(await conn.describeTable({ name: 'nope' })).toBeUndefined()
  })

  it('lists tables, views and virtual tables, not SQLite internals nor FTS shadow tables, sorted; attached databases are schemas', async () => {
    expect(await conn.listTables()).toEqual([
      { schema: 'main', name: 'adults' },
      { schema: 'main', name: 'docs' },
      { schema: 'main', name: 'pairs' },
      { schema: 'main', name: 'users' },
    ])
    const other = join(dir, 'other.db')
    await (await connect(other)).execute('CREATE TABLE archived (id INT)')
    await conn.execute(`ATTACH DATABASE '${other.replaceAll("'", "''")}' AS archive`)
    expect(await conn.listTables('archive')).toEqual([{ schema: 'archive', name: 'archived' }])
    expect((await conn.listTables()).map((t) => `${t.schema}.${t.name}`)).toContain('archive.archived')
    const error = await configError(conn.listTables('nope'))
    expect(error.code).toBe('sqlite.no_such_schema')
  })

  it('describes a query without reading it, and names a missing table, a missing column or a syntax error', async () => {
    const columns = await conn.describeQuery('SELECT id, email, score FROM users WHERE id > ?')
    expect(columns.map((c) => [c.column.name, c.column.type, c.nativeType, c.isInteger])).toEqual([
      ['id', 'bigint', 'INTEGER', true],
      ['email', 'string', 'TEXT', false],
      ['score', 'decimal', 'DECIMAL(5,2)', false],
    ])
    const wrapped = await conn.describeQuery('SELECT * FROM (SELECT age, age + 1 AS next FROM users) fustor_query')
    expect(wrapped.map((c) => [c.column.name, c.column.type])).toEqual([
      ['age', 'int'],
      ['next', 'string'],
    ])

    const table = await configError(conn.describeQuery('SELECT * FROM usres'))
    expect(table.code).toBe('sqlite.no_such_table')
    expect(table.message).toBe(`no such table "usres" in sqlite database ${path} in SQL "SELECT * FROM usres"`)
    expect(table.hint).toBe('(did you mean "users"?)')
    const column = await configError(conn.describeQuery('SELECT agee FROM users'))
    expect(column.code).toBe('sqlite.no_such_column')
    expect(column.message).toBe(`no such column "agee" of sqlite database ${path} in SQL "SELECT agee FROM users"`)
    const syntax = await configError(conn.describeQuery('SELEC * FROM users'))
    expect(syntax.code).toBe('sqlite.syntax_error')
    expect(syntax.message).toBe('near "SELEC": syntax error in SQL "SELEC * FROM users"')
    const notQuery = await configError(conn.describeQuery('DELETE FROM users'))
    expect(notQuery.code).toBe('sqlite.not_a_query')
  })

  it('binds query parameters of every kind: integers as INTEGER, booleans as 0/1, bytes as BLOB, JSON as text', async () => {
    const result = await conn.query("SELECT ?, typeof(?), ?, typeof(?), ?, ?, typeof(?), ?, ?, typeof(?), ? || ''", [
      5,
      5,
      9223372036854775807n,
      9223372036854775807n,
      true,
      new Uint8Array([1, 2]),
      new Uint8Array([1, 2]),
      { a: 1 },
      'text',
      2.5,
      7,
    ])
    expect(result.rows).toEqual([[5n, 'integer', 9223372036854775807n, 'integer', 1n, Buffer.from([1, 2]), 'blob', '{"a":1}', 'text', 'real', '7']])
    await conn.query('INSERT INTO users (id, email, age) VALUES (?, ?, ?)', [1, 'a@example.com', 30])
    expect((await conn.query('SELECT id, email FROM users WHERE age >= ?', [18])).rows).toEqual([[1n, 'a@example.com']])
    const missing = await configError(conn.query('SELECT ? + ?', [1]))
    expect(missing.code).toBe('sqlite.parameters')
  })

  it('quotes identifiers by doubling quotes and refuses a NUL in one', () => {
    const { dialect } = sqliteDriver
    expect(dialect.quoteIdentifier('a"b c')).toBe('"a""b c"')
    expect(dialect.placeholder(3)).toBe('?')
    expect(dialect.defaultSchema(settings('x.db', true))).toBe('main')
    expect(() => dialect.quoteIdentifier('a\u0000b')).toThrow(ConfigError)
  })
})
