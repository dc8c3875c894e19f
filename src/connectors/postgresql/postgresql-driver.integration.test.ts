/**
 * The PostgreSQL driver against the machine's PostgreSQL (test/services.ts): every type written with
 * write() and read back with stream() and query(), the write modes, refused rows, error mapping,
 * cancelled streams and backpressure. Each run works in a database of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, RecordError, TransientError } from '../../core/errors.js'
import type { Column, Row, Value } from '../../core/schema.js'
import type { ConnectionSettings, RowChunk, SqlConnection, WriteTarget } from '../../sql/driver.js'
import { service } from '../../../test/services.js'
import { postgresqlDriver } from './postgresql-driver.js'

const pgService = await service('postgresql')
const database = `postgresql_driver_${randomBytes(4).toString('hex')}`

function settings(overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    host: pgService.host,
    port: pgService.port,
    database,
    username: 'postgres',
    password: undefined,
    options: {},
    ssl: undefined,
    readOnly: false,
    connectTimeoutMs: 5000,
    ...overrides,
  }
}

async function collect(chunks: AsyncIterable<RowChunk>): Promise<{ rows: Row[]; rejected: RowChunk['rejected'][number][]; chunks: number }> {
  const rows: Row[] = []
  const rejected: RowChunk['rejected'][number][] = []
  let count = 0
  for await (const chunk of chunks) {
    rows.push(...chunk.rows)
    rejected.push(...chunk.rejected)
    count++
  }
  return { rows, rejected, chunks: count }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

function insert(name: string, columns: readonly Column[]): WriteTarget {
  return { table: { schema: 'public', name }, columns, mode: 'insert', key: [] }
}

describe.skipIf(!pgService.available)(`postgresql driver (${pgService.reason})`, () => {
  let admin: SqlConnection
  let db: SqlConnection

  beforeAll(async () => {
    admin = await postgresqlDriver.connect(settings({ database: 'postgres' }))
    await admin.execute(`CREATE DATABASE ${database}`)
    db = await postgresqlDriver.connect(settings())
  })

  afterAll(async () => {
    await db?.close()
    await admin?.execute(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin?.close()
  })

  /** Reads a whole query through stream(), with the columns describeQuery gives. */
  async function streamAll(sql: string, params: readonly Value[] = [], chunkRows = 2, connection = db) {
    const columns = await connection.describeQuery(sql, params)
    return collect(connection.stream(sql, params, columns, chunkRows, { zeroDates: 'error' }))
  }

  describe('types', () => {
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    // 1 MiB of text mixing ASCII, 2-, 3- and 4-byte characters and COPY's special characters, so
    // that socket chunks cut characters and escapes everywhere.
    const bigText = 'abc\tdéf\n€\\😀\r'.repeat(80_000).slice(0, 1024 * 1024)
    const digits65 = `-${'9'.repeat(35)}.${'1234567890'.repeat(3)}`

    const rows: Row[] = [
      [1, 'plain', 42, 42n, '12.500000000000000000000000000000', '1.50', 0.1, true, '2024-02-29', '13:45:10', '2024-02-29T13:45:10', '2024-02-29T13:45:10Z', { a: 1, b: [true, null] }, [1, 'x'], Buffer.from('hi'), '123e4567-e89b-12d3-a456-426614174000'],
      [2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
      [
        3,
        'tab\there, newline\nhere, cr\rhere, backslash\\here, \\N, \\., emoji 😀, nul-free',
        -2147483648,
        -(2n ** 63n),
        digits65,
        '-0.000000000000000000000000000000000000001',
        -0,
        false,
        '0001-01-01',
        '00:00:00',
        '0001-01-01T00:00:00',
        '0001-01-01T00:00:00Z',
        { 'ключ': { 'ü': ['😀', 'tab\t', 'quote"', 'back\\slash'], n: [1, 2.5, -3e-7] } },
        'just a json string',
        allBytes,
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ],
      [
        4,
        bigText,
        2147483647,
        2n ** 63n - 1n,
        `${'9'.repeat(35)}.${'9'.repeat(30)}`,
        '123456789012345678901234567890.123456789012345678901234567890',
        Number.MAX_VALUE,
        true,
        '9999-12-31',
        '23:59:59.999999',
        '9999-12-31T23:59:59.999999',
        '9999-12-31T23:59:59.999999Z',
        [],
        { nested: { deeper: ['\u2028', '\ud83d\ude00'] } },
        Buffer.alloc(0),
        '00000000-0000-0000-0000-000000000000',
      ],
      [5, '', 0, 0n, '0.000000000000000000000000000000', '0', Number.NaN, false, '2000-01-01', '12:00:00.5', '2024-01-01T00:00:00.000001', '1970-01-01T00:00:00.123456Z', 0, null, Buffer.from([0]), '123e4567-e89b-12d3-a456-426614174001'],
      [6, ' leading and trailing ', 1, 1n, '0.000000000000000000000000000001', '-12345678901234567890', Number.POSITIVE_INFINITY, true, '1999-12-31', '24:00:00', '1999-12-31T23:59:59', '2038-01-19T03:14:08Z', 'str', false, Buffer.from('\\x00'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
      [7, 'x', -1, -1n, '1.000000000000000000000000000000', '1E-3', Number.NEGATIVE_INFINITY, false, '2000-02-29', '00:00:00.000001', '2000-02-29T00:00:00', '2000-02-29T23:00:00.5Z', 1.5, 123, allBytes.subarray(250), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'],
      [8, 'y', 7, 7n, '7.000000000000000000000000000000', '7', 5e-324, true, '2000-03-01', '01:02:03', '2000-03-01T01:02:03', '2000-03-01T01:02:03Z', { '': '' }, { a: null }, Buffer.from('ok'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13'],
    ]
    // numeric prints `1E-3` back as 0.001; everything else reads back exactly as written.
    const expected = rows.map((row) => (row[0] === 7 ? row.map((value, i) => (i === 5 ? '0.001' : value)) : row))
    let columns: Column[]

    beforeAll(async () => {
      await db.execute(
        `CREATE TABLE all_types (id integer PRIMARY KEY, s text, i integer, b bigint, d numeric(65,30), d2 numeric, f double precision,
           bo boolean, dt date, t time, ts timestamp, tz timestamptz, j jsonb, jj json, by bytea, u uuid)`,
      )
      const info = await db.describeTable({ name: 'all_types' })
      columns = info!.columns.map((c) => c.column)
      await db.write(insert('all_types', columns), rows)
    })

    it('describes the table with the logical types, precision and key', async () => {
      const info = await db.describeTable({ name: 'all_types' })
      expect(info!.table).toEqual({ schema: 'public', name: 'all_types' })
      expect(info!.primaryKey).toEqual(['id'])
      expect(info!.columns.map((c) => [c.column.name, c.column.type, c.nativeType])).toEqual([
        ['id', 'int', 'integer'],
        ['s', 'string', 'text'],
        ['i', 'int', 'integer'],
        ['b', 'bigint', 'bigint'],
        ['d', 'decimal', 'numeric(65,30)'],
        ['d2', 'decimal', 'numeric'],
        ['f', 'float', 'double precision'],
        ['bo', 'bool', 'boolean'],
        ['dt', 'date', 'date'],
        ['t', 'time', 'time without time zone'],
        ['ts', 'timestamp', 'timestamp without time zone'],
        ['tz', 'timestamptz', 'timestamp with time zone'],
        ['j', 'json', 'jsonb'],
        ['jj', 'json', 'json'],
        ['by', 'bytes', 'bytea'],
        ['u', 'uuid', 'uuid'],
      ])
      expect(info!.columns[0].column.nullable).toBe(false)
      expect(info!.columns[1].column.nullable).toBeUndefined()
      expect(info!.columns[4].column).toMatchObject({ precision: 65, scale: 30 })
      expect(info!.columns[5].column.precision).toBeUndefined()
      expect(info!.columns.filter((c) => c.isInteger).map((c) => c.column.name)).toEqual(['id', 'i', 'b'])
    })

    it('round-trips every type, NULL and edge values through write() and stream()', async () => {
      const result = await streamAll('SELECT * FROM all_types ORDER BY id')
      expect(result.rejected).toEqual([])
      expect(result.chunks).toBeGreaterThan(1)
      expect(result.rows).toHaveLength(expected.length)
      for (let r = 0; r < expected.length; r++) {
        for (let c = 0; c < columns.length; c++) expect([r, columns[c].name, result.rows[r][c]]).toEqual([r, columns[c].name, expected[r][c]])
      }
      expect(Object.is(result.rows[2][6], -0)).toBe(true)
    })

    it('reads the same values through query()', async () => {
      const result = await db.query('SELECT * FROM all_types ORDER BY id')
      expect(result.schema.columns.map((c) => c.type)).toEqual(columns.map((c) => c.type))
      expect(result.rows).toEqual(expected)
      expect(Object.is(result.rows[2][6], -0)).toBe(true)
    })

    it('binds every type as a query() parameter and inlines it into a stream() the same way', async () => {
      const row = expected[2]
      const where = columns
        .map((c, i) => ({ c, i }))
        .filter(({ c }) => c.type !== 'json' && c.type !== 'float')
        .map(({ c, i }) => ({ sql: `${c.name} = $${i + 1}`, i }))
      // A json value that is a string binds as that text (parameters carry no type): $14 is only counted.
      const sql = `SELECT id FROM all_types WHERE ${where.map((w) => w.sql).join(' AND ')} AND j = $13 AND f = $7 AND $14::text IS NOT NULL`
      const queried = await db.query(sql, row)
      expect(queried.rows).toEqual([[3]])
      const streamed = await streamAll(sql, row)
      expect(streamed.rows).toEqual([[3]])
    })

    it('describes query results, with numeric precision from the type modifier', async () => {
      const info = await db.describeQuery('SELECT d, d2, d::numeric(10,2) AS d3, i + 1 AS next, ts, now() AS at FROM all_types WHERE id = $1', [1])
      expect(info.map((c) => c.column)).toEqual([
        { name: 'd', type: 'decimal', precision: 65, scale: 30 },
        { name: 'd2', type: 'decimal' },
        { name: 'd3', type: 'decimal', precision: 10, scale: 2 },
        { name: 'next', type: 'int' },
        { name: 'ts', type: 'timestamp' },
        { name: 'at', type: 'timestamptz' },
      ])
      expect(info.map((c) => c.nativeType)).toEqual(['numeric(65,30)', 'numeric', 'numeric(10,2)', 'integer', 'timestamp without time zone', 'timestamp with time zone'])
      expect(info[3].isInteger).toBe(true)
    })
  })

  describe('other PostgreSQL types', () => {
    beforeAll(async () => {
      await db.execute(`
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN money2 AS numeric(10,2) CHECK (VALUE >= 0);
        CREATE DOMAIN small_id AS integer;
        CREATE TABLE other_types (
          id small_id PRIMARY KEY, m mood, price money2, ints integer[], texts text[], grid integer[][], docs jsonb[], stamps timestamptz[],
          tt timetz, bits bit(4), vbits varbit, span interval, addr inet, code char(3), vc varchar(5), flags boolean[], nums numeric[]);
        INSERT INTO other_types VALUES
          (1, 'happy', 12.50, '{1,2,NULL}', '{"a b","c\\"d","e\\\\f",NULL,"NULL",""}', '{{1,2},{3,4}}', ARRAY['{"k": [1]}'::jsonb],
           '{"2024-01-01 10:00:00+02"}', '12:34:56.5+02:30', B'1010', B'101', '1 day 02:03:04', '10.0.0.1/8', 'ab', 'xyz', '{t,f}', '{1.5,NaN}'),
          (2, NULL, NULL, '{}', NULL, NULL, NULL, NULL, '23:30:00-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      `)
    })

    it('maps enums, domains, arrays, timetz, bit strings and the rest as documented', async () => {
      const info = await db.describeTable({ schema: 'public', name: 'other_types' })
      expect(info!.columns.map((c) => `${c.column.name}:${c.column.type}`)).toEqual([
        'id:int',
        'm:string',
        'price:decimal',
        'ints:json',
        'texts:json',
        'grid:json',
        'docs:json',
        'stamps:json',
        'tt:time',
        'bits:string',
        'vbits:string',
        'span:string',
        'addr:string',
        'code:string',
        'vc:string',
        'flags:json',
        'nums:json',
      ])
      expect(info!.columns[0].isInteger).toBe(true)
      expect(info!.columns[2].column).toMatchObject({ precision: 10, scale: 2 })
      const expected: Row[] = [
        [
          1,
          'happy',
          '12.50',
          [1, 2, null],
          ['a b', 'c"d', 'e\\f', null, 'NULL', ''],
          [
            [1, 2],
            [3, 4],
          ],
          [{ k: [1] }],
          ['2024-01-01T08:00:00Z'],
          '10:04:56.5',
          '1010',
          '101',
          '1 day 02:03:04',
          '10.0.0.1/8',
          'ab ',
          'xyz',
          [true, false],
          [1.5, 'NaN'],
        ],
        [2, null, null, [], null, null, null, null, '00:30:00', null, null, null, null, null, null, null, null],
      ]
      const streamed = await streamAll('SELECT * FROM other_types ORDER BY id')
      expect(streamed.rows).toEqual(expected)
      expect((await db.query('SELECT * FROM other_types ORDER BY id')).rows).toEqual(expected)
      const described = await db.describeQuery('SELECT * FROM other_types')
      expect(described.map((c) => c.column.type)).toEqual(info!.columns.map((c) => c.column.type))
      // Columns described elsewhere (only the contract's fields) decode the same, from their native types.
      const plain = described.map(({ column, nativeType, isInteger }) => ({ column, nativeType, isInteger }))
      const sql = 'SELECT * FROM other_types ORDER BY id'
      expect((await collect(db.stream(sql, [], plain, 10, { zeroDates: 'error' }))).rows).toEqual(expected)
    })

    it('writes json arrays into array columns and strings into enum, bit, interval and inet columns', async () => {
      await db.execute('CREATE TABLE other_copy (LIKE other_types)')
      const info = await db.describeTable({ name: 'other_types' })
      const columns = info!.columns.map((c) => c.column)
      const source = await streamAll('SELECT * FROM other_types WHERE id = 1')
      // The NaN element of a numeric[] reads as the string 'NaN', which is also what PostgreSQL reads it as.
      await db.write(insert('other_copy', columns), source.rows)
      const copied = await streamAll('SELECT * FROM other_copy')
      const original = source.rows[0].map((value, i) => (columns[i].name === 'tt' ? '10:04:56.5' : value))
      expect(copied.rows).toEqual([original])
    })

    it('rejects rows whose values have no exact Fustor value, naming the column, and reads on', async () => {
      const sql = `SELECT * FROM (VALUES (1, 'NaN'::numeric, '2024-01-01'::date, '2024-01-01'::timestamp, '2024-01-01'::timestamptz),
                                         (2, 1.5, 'infinity', '2024-01-01', '2024-01-01'),
                                         (3, 2.5, '2024-01-01', '-infinity', '2024-01-01'),
                                         (4, 3.5, '0044-03-15 BC', '2024-01-01', '2024-01-01'),
                                         (5, 4.5, '2024-01-01', '2024-01-01', '12024-01-01'),
                                         (6, 'Infinity', '2024-01-01', '2024-01-01', '2024-01-01'),
                                         (7, 5.5, '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05+01')) AS v(id, n, d, ts, tz)`
      const result = await streamAll(sql, [], 100)
      expect(result.rows).toEqual([[7, '5.5', '2024-01-02', '2024-01-02T03:04:05', '2024-01-02T02:04:05Z']])
      expect(result.rejected.map((r) => [(r.error as RecordError).code, (r.error as RecordError).column, r.location])).toEqual([
        ['postgresql.unrepresentable_value', 'n', 'result row 1'],
        ['postgresql.unrepresentable_value', 'd', 'result row 2'],
        ['postgresql.unrepresentable_value', 'ts', 'result row 3'],
        ['postgresql.unrepresentable_value', 'd', 'result row 4'],
        ['postgresql.unrepresentable_value', 'tz', 'result row 5'],
        ['postgresql.unrepresentable_value', 'n', 'result row 6'],
      ])
      expect(result.rejected[0].record).toEqual([1, 'NaN', '2024-01-01', '2024-01-01T00:00:00', '2024-01-01T00:00:00Z'])
      expect(result.rejected[0].schema?.columns.map((c) => c.name)).toEqual(['id', 'n', 'd', 'ts', 'tz'])
      expect(String(result.rejected[1].error)).toContain('"infinity" in column "d"')
      await expect(db.query("SELECT 'NaN'::numeric AS n")).rejects.toThrow(RecordError)
    })

    it('reads timestamptz right after a SET TimeZone changed how it prints', async () => {
      const connection = await postgresqlDriver.connect(settings())
      try {
        await connection.execute("SET TimeZone = 'Asia/Kolkata'")
        const sql = "SELECT '2024-06-01 12:00:00.25+00'::timestamptz AS tz"
        expect((await streamAll(sql, [], 10, connection)).rows).toEqual([['2024-06-01T12:00:00.25Z']])
        expect((await connection.query(sql)).rows).toEqual([['2024-06-01T12:00:00.25Z']])
      } finally {
        await connection.close()
      }
    })
  })

  describe('write modes', () => {
    const columns: Column[] = [
      { name: 'id', type: 'int' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'int' },
    ]

    async function table(name: string, unique = true): Promise<void> {
      await db.execute(`CREATE TABLE ${name} (id integer ${unique ? 'PRIMARY KEY' : ''}, name text, score integer, extra text DEFAULT 'dflt')`)
    }

    async function contents(name: string): Promise<Row[]> {
      return (await db.query(`SELECT id, name, score, extra FROM ${name} ORDER BY id, name`)).rows
    }

    function target(name: string, mode: WriteTarget['mode'], written = columns, key = ['id']): WriteTarget {
      return { table: { schema: 'public', name }, columns: written, mode, key }
    }

    it('upsert: the last row of a key in a batch wins, unwritten columns keep their values, a re-write changes nothing', async () => {
      await table('upserted')
      await db.execute(`INSERT INTO upserted VALUES (1, 'old', 0, 'kept')`)
      const rows: Row[] = [
        [1, 'first', 1],
        [2, 'two', 2],
        [1, 'last', 3],
      ]
      await db.write(target('upserted', 'upsert'), rows)
      const after = [
        [1, 'last', 3, 'kept'],
        [2, 'two', 2, 'dflt'],
      ]
      expect(await contents('upserted')).toEqual(after)
      await db.write(target('upserted', 'upsert'), rows)
      expect(await contents('upserted')).toEqual(after)
      // Only some columns: the others stay.
      await db.write(target('upserted', 'upsert', [columns[0], columns[2]]), [[2, 20]])
      expect(await contents('upserted')).toEqual([after[0], [2, 'two', 20, 'dflt']])
      // Every written column in the key: insert what is missing, touch nothing else.
      await db.write(target('upserted', 'upsert', [columns[0]]), [[2], [3]])
      expect(await contents('upserted')).toEqual([after[0], [2, 'two', 20, 'dflt'], [3, null, null, 'dflt']])
    })

    it('replace: rows with a staged key are replaced whole, columns not written get their defaults', async () => {
      await table('replaced')
      await db.execute(`INSERT INTO replaced VALUES (1, 'old', 10, 'custom'), (2, 'two', 20, 'custom')`)
      const rows: Row[] = [
        [1, 'a', null],
        [3, 'c', 30],
        [1, 'z', 11],
      ]
      await db.write(target('replaced', 'replace'), rows)
      const after = [
        [1, 'z', 11, 'dflt'],
        [2, 'two', 20, 'custom'],
        [3, 'c', 30, 'dflt'],
      ]
      expect(await contents('replaced')).toEqual(after)
      await db.write(target('replaced', 'replace'), rows)
      expect(await contents('replaced')).toEqual(after)
    })

    it('merge: updates matched rows and inserts the others, without needing a unique index', async () => {
      await table('merged', false)
      await db.execute(`INSERT INTO merged VALUES (1, 'old', 10, 'kept')`)
      const rows: Row[] = [
        [1, 'one', 1],
        [2, 'two', 2],
        [2, 'two again', 22],
      ]
      await db.write(target('merged', 'merge'), rows)
      const after = [
        [1, 'one', 1, 'kept'],
        [2, 'two again', 22, 'dflt'],
      ]
      expect(await contents('merged')).toEqual(after)
      await db.write(target('merged', 'merge'), rows)
      expect(await contents('merged')).toEqual(after)
      const error = await failure(db.write(target('merged', 'upsert'), rows))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('postgresql.no_unique_key')
      expect(error.message).toContain('public.merged')
    })

    it('composite keys and quoted identifiers', async () => {
      await db.execute(`CREATE TABLE "Odd ""Name""" ("Key A" text, "key.b" integer, "Value" text, PRIMARY KEY ("Key A", "key.b"))`)
      const odd: Column[] = [
        { name: 'Key A', type: 'string' },
        { name: 'key.b', type: 'int' },
        { name: 'Value', type: 'string' },
      ]
      const t = (mode: WriteTarget['mode']): WriteTarget => ({ table: { name: 'Odd "Name"' }, columns: odd, mode, key: ['Key A', 'key.b'] })
      await db.write(t('insert'), [['a', 1, 'x']])
      await db.write(t('upsert'), [
        ['a', 1, 'y'],
        ['a', 2, 'z'],
      ])
      await db.write(t('merge'), [['a', 2, 'w']])
      await db.write(t('replace'), [['b', 1, 'v']])
      expect((await db.query('SELECT * FROM "Odd ""Name""" ORDER BY 1, 2')).rows).toEqual([
        ['a', 1, 'y'],
        ['a', 2, 'w'],
        ['b', 1, 'v'],
      ])
      expect((await db.listTables('public')).map((t) => t.name)).toContain('Odd "Name"')
    })

    it('a keyed mode without key columns is a config error', async () => {
      const error = await failure(db.write(target('upserted', 'upsert', columns, []), [[1, 'a', 1]]))
      expect((error as ConfigError).code).toBe('postgresql.key_required')
      const missing = await failure(db.write(target('upserted', 'upsert', [columns[1]], ['id']), [['a']]))
      expect((missing as ConfigError).code).toBe('postgresql.key_not_written')
    })
  })

  describe('refused rows', () => {
    const columns: Column[] = [
      { name: 'id', type: 'int' },
      { name: 'code', type: 'string' },
      { name: 'qty', type: 'int' },
    ]

    beforeAll(async () => {
      await db.execute('CREATE TABLE strict_rows (id integer PRIMARY KEY, code varchar(3) NOT NULL, qty integer CHECK (qty >= 0))')
    })

    for (const mode of ['insert', 'upsert', 'replace', 'merge'] as const) {
      it(`${mode}: a too-long value, a failed CHECK and a NULL in a NOT NULL column are RecordErrors and nothing is written`, async () => {
        const t: WriteTarget = { table: { name: 'strict_rows' }, columns, mode, key: mode === 'insert' ? [] : ['id'] }
        const tooLong = await failure(
          db.write(t, [
            [10, 'ok', 1],
            [11, 'toolong', 1],
          ]),
        )
        expect(tooLong).toBeInstanceOf(RecordError)
        expect((tooLong as RecordError).code).toBe('postgresql.invalid_value')
        expect((tooLong as RecordError).column).toBe('code')
        expect(tooLong.message).toContain('strict_rows')
        expect(tooLong.message).toContain('row 2 of the batch')
        const check = await failure(db.write(t, [[12, 'ok', -1]]))
        expect(check).toBeInstanceOf(RecordError)
        expect((check as RecordError).code).toBe('postgresql.constraint_violation')
        expect(check.message).toContain('strict_rows_qty_check')
        const notNull = await failure(db.write(t, [[13, null, 1]]))
        expect((notNull as RecordError).column).toBe('code')
        expect((await db.query('SELECT count(*)::int FROM strict_rows')).rows).toEqual([[0]])
        // The connection is still usable, and the stage empty, after the failures.
        await db.write(t, [[14, 'ok', 1]])
        expect((await db.query('SELECT id FROM strict_rows')).rows).toEqual([[14]])
        await db.execute('TRUNCATE strict_rows')
      })
    }

    it('insert: a duplicate key is a constraint violation', async () => {
      const t: WriteTarget = { table: { name: 'strict_rows' }, columns, mode: 'insert', key: [] }
      const error = await failure(
        db.write(t, [
          [1, 'a', 1],
          [1, 'b', 1],
        ]),
      )
      expect((error as RecordError).code).toBe('postgresql.constraint_violation')
      expect(error.message).toContain('already exists')
    })

    it('writing to a missing table or column is a config error naming it', async () => {
      const table = await failure(db.write(insert('no_such_table', columns), [[1, 'a', 1]]))
      expect((table as ConfigError).code).toBe('postgresql.unknown_table')
      expect(table.message).toContain('no_such_table')
      const column = await failure(db.write({ table: { name: 'strict_rows' }, columns: [{ name: 'nope', type: 'int' }], mode: 'insert', key: [] }, [[1]]))
      expect((column as ConfigError).code).toBe('postgresql.unknown_column')
      expect(column.message).toContain('"nope"')
      const staged = await failure(db.write({ table: { name: 'no_such_table' }, columns, mode: 'upsert', key: ['id'] }, [[1, 'a', 1]]))
      expect((staged as ConfigError).code).toBe('postgresql.unknown_table')
    })
  })

  describe('catalog and queries', () => {
    it('lists user tables and views, sorted, without system schemas', async () => {
      await db.execute('CREATE SCHEMA other; CREATE TABLE other.b_table (x int); CREATE VIEW other.a_view AS SELECT 1 AS x')
      expect(await db.listTables('other')).toEqual([
        { schema: 'other', name: 'a_view' },
        { schema: 'other', name: 'b_table' },
      ])
      const all = await db.listTables()
      expect(all.some((t) => t.schema === 'pg_catalog' || t.schema === 'information_schema')).toBe(false)
      expect(all).toContainEqual({ schema: 'public', name: 'all_types' })
      expect(all).toEqual([...all].sort((a, b) => (a.schema! + '.' + a.name < b.schema! + '.' + b.name ? -1 : 1)))
    })

    it('describes defaults, identity columns and composite keys in key order', async () => {
      await db.execute('CREATE TABLE keyed (a int GENERATED ALWAYS AS IDENTITY, b text NOT NULL, c int DEFAULT 3, d int, PRIMARY KEY (b, a))')
      const info = await db.describeTable({ schema: 'public', name: 'keyed' })
      expect(info!.primaryKey).toEqual(['b', 'a'])
      expect(info!.columns.map((c) => c.hasDefault)).toEqual([true, false, true, false])
      expect(await db.describeTable({ name: 'no_such_table' })).toBeUndefined()
      expect(await db.describeTable({ schema: 'no_such_schema', name: 'keyed' })).toBeUndefined()
    })

    it('names the missing table or column in describeQuery, stream and query errors', async () => {
      const table = await failure(db.describeQuery('SELECT * FROM missing_table'))
      expect(table).toBeInstanceOf(ConfigError)
      expect((table as ConfigError).code).toBe('postgresql.unknown_table')
      expect(table.message).toContain('"missing_table"')
      expect(table.message).toContain(database)
      const column = await failure(db.describeQuery('SELECT agee FROM all_types'))
      expect((column as ConfigError).code).toBe('postgresql.unknown_column')
      expect(column.message).toContain('agee')
      const streamed = await failure(collect(db.stream('SELECT * FROM missing_table', [], [], 10, { zeroDates: 'error' })))
      expect((streamed as ConfigError).code).toBe('postgresql.unknown_table')
      const syntax = await failure(db.query('SELEC 1'))
      expect((syntax as ConfigError).code).toBe('postgresql.invalid_sql')
      const division = await failure(db.query('SELECT 1 / 0'))
      expect((division as ConfigError).code).toBe('postgresql.query_failed')
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([[1]])
      expect((await db.query('SELECT 1 AS one; SELECT 2 AS two')).rows).toEqual([[2]])
    })

    it('inlines stream parameters safely: quotes, backslashes, placeholders inside literals and comments', async () => {
      const tricky = `it's a \\ "test" $1 -- not a comment`
      const sql = `SELECT $1::text AS a, '$2' AS b, "id" AS "$1", $2 + 1 AS c /* $1 */, $$ $1 $$ AS d, E'\\'$1' AS e -- $1\n FROM all_types WHERE id = $3`
      const params = [tricky, 41n, 1]
      const expected = [[tricky, '$2', 1, 42, ' $1 ', "'$1", ]]
      expect((await db.query(sql, params)).rows).toEqual(expected)
      expect((await streamAll(sql, params)).rows).toEqual(expected)
    })

    it('makes a read-only connection read-only', async () => {
      const reader = await postgresqlDriver.connect(settings({ readOnly: true, options: { application_name: 'fustor-test-reader', search_path: 'other,public' } }))
      try {
        const error = await failure(reader.write(insert('all_types', [{ name: 'id', type: 'int' }]), [[100]]))
        expect((error as ConfigError).code).toBe('postgresql.read_only')
        expect((await reader.query('SHOW application_name')).rows).toEqual([['fustor-test-reader']])
        expect((await reader.query('SHOW search_path')).rows).toEqual([['other,public']])
        expect((await reader.query('SHOW TimeZone')).rows).toEqual([['UTC']])
      } finally {
        await reader.close()
      }
      expect((await db.query('SHOW application_name')).rows).toEqual([['fustor']])
    })
  })

  describe('connection errors', () => {
    it('an unknown database is a config error naming it', async () => {
      const error = await failure(postgresqlDriver.connect(settings({ database: 'no_such_database_here', password: 'S3cret-Pw!' })))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('postgresql.unknown_database')
      expect(error.message).toContain('"no_such_database_here"')
      expect(error.message).toContain(`${pgService.host}:${pgService.port}`)
      expect(error.message).not.toContain('S3cret-Pw!')
    })

    it('an unknown user is an authentication failure naming user and host', async () => {
      // The server trusts 127.0.0.1, so a wrong password cannot fail here (postgresql-auth.integration.test.ts
      // tests it on a throwaway server); a role that does not exist fails the same way (28000).
      const error = await failure(postgresqlDriver.connect(settings({ username: 'no_such_user', password: 'S3cret-Pw!' })))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('postgresql.auth_failed')
      expect(error.message).toContain('"no_such_user"')
      expect(error.message).toContain(`${pgService.host}:${pgService.port}`)
      expect(error.message).not.toContain('S3cret-Pw!')
    })

    it('a closed port is a transient error naming host and port', async () => {
      const port = await freePort()
      const error = await failure(postgresqlDriver.connect(settings({ port })))
      expect(error).toBeInstanceOf(TransientError)
      expect((error as TransientError).code).toBe('postgresql.unreachable')
      expect(error.message).toContain(`${pgService.host}:${port}`)
    })

    it('an unknown host is a config error naming it', async () => {
      const error = await failure(postgresqlDriver.connect(settings({ host: 'no-such-host.invalid' })))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('postgresql.unknown_host')
      expect(error.message).toContain('no-such-host.invalid')
    })

    it('a server that does not answer is a transient connect timeout', async () => {
      const sockets: Socket[] = []
      const silent = createServer((socket) => sockets.push(socket))
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      try {
        const port = (silent.address() as { port: number }).port
        const started = Date.now()
        const error = await failure(postgresqlDriver.connect(settings({ port, connectTimeoutMs: 300 })))
        expect(error).toBeInstanceOf(TransientError)
        expect((error as TransientError).code).toBe('postgresql.connect_timeout')
        expect(error.message).toContain(`127.0.0.1:${port}`)
        expect(Date.now() - started).toBeLessThan(3000)
      } finally {
        for (const socket of sockets) socket.destroy()
        await closeServer(silent)
      }
    })

    it('an unknown setting in options is a config error', async () => {
      const error = await failure(postgresqlDriver.connect(settings({ options: { no_such_setting: 'x' } })))
      expect((error as ConfigError).code).toBe('postgresql.bad_option')
    })

    it('a connection the server terminated gives transient errors, idle or mid-stream', async () => {
      const victim = await postgresqlDriver.connect(settings())
      const [[pid]] = (await victim.query('SELECT pg_backend_pid()')).rows
      await admin.execute(`SELECT pg_terminate_backend(${pid})`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      const idle = await failure(victim.query('SELECT 1'))
      expect(idle).toBeInstanceOf(TransientError)
      expect((idle as TransientError).code).toBe('postgresql.connection_lost')
      await victim.close()

      const streaming = await postgresqlDriver.connect(settings())
      const [[pid2]] = (await streaming.query('SELECT pg_backend_pid()')).rows
      const sql = 'SELECT g, repeat($1, 100) FROM generate_series(1, 2000000) g'
      const columns = await streaming.describeQuery(sql, ['x'])
      const midway = await failure(
        (async () => {
          let chunks = 0
          for await (const chunk of streaming.stream(sql, ['x'], columns, 1000, { zeroDates: 'error' })) {
            void chunk
            if (++chunks === 3) await admin.execute(`SELECT pg_terminate_backend(${pid2})`)
          }
        })(),
      )
      expect(midway).toBeInstanceOf(TransientError)
      expect((midway as TransientError).code).toMatch(/^postgresql\.(connection_lost|server_unavailable)$/)
      await streaming.close()
    })
  })

  describe('streaming', () => {
    const bigSql = 'SELECT g AS id, repeat($1, 200) AS pad FROM generate_series(1, 1000000) g'

    it('reads rows cut anywhere by socket chunks: multi-byte characters and escapes across boundaries', async () => {
      const sql = "SELECT g, repeat(chr(233) || E'\\t\\\\' || chr(128512) || 'ń', g % 40) || g AS t FROM generate_series(1, 30000) g -- trailing comment"
      const result = await streamAll(sql, [], 777)
      expect(result.rows).toHaveLength(30000)
      for (let g = 1; g <= 30000; g++) {
        const expected = `${'é\t\\😀ń'.repeat(g % 40)}${g}`
        if (result.rows[g - 1][1] !== expected) expect([g, result.rows[g - 1]]).toEqual([g, [g, expected]])
      }
      expect(result.chunks).toBe(Math.ceil(30000 / 777))
    })

    it('breaking out of a stream cancels the COPY and leaves the connection usable', async () => {
      const connection = await postgresqlDriver.connect(settings())
      try {
        const columns = await connection.describeQuery(bigSql, ['x'])
        const started = Date.now()
        let seen = 0
        for await (const chunk of connection.stream(bigSql, ['x'], columns, 1000, { zeroDates: 'error' })) {
          seen += chunk.rows.length
          if (seen >= 3000) break
        }
        expect(seen).toBe(3000)
        expect((await connection.query('SELECT 41 + 1 AS answer')).rows).toEqual([[42]])
        expect(Date.now() - started).toBeLessThan(5000)
        const again = await collect(connection.stream('SELECT g FROM generate_series(1, 5000) g', [], await connection.describeQuery('SELECT g FROM generate_series(1, 5000) g'), 1000, { zeroDates: 'error' }))
        expect(again.rows).toHaveLength(5000)
        expect(again.rows[4999]).toEqual([5000])
        expect(again.chunks).toBe(5)
      } finally {
        await connection.close()
      }
    })

    it('an exception in the consumer cancels the stream too', async () => {
      const columns = await db.describeQuery(bigSql, ['y'])
      const error = await failure(
        (async () => {
          for await (const chunk of db.stream(bigSql, ['y'], columns, 500, { zeroDates: 'error' })) {
            void chunk
            throw new Error('consumer failed')
          }
        })(),
      )
      expect(error.message).toBe('consumer failed')
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([[1]])
    })

    it('a slow consumer pauses the server: memory stays bounded and the COPY waits', async () => {
      const connection = await postgresqlDriver.connect(settings())
      try {
        const [[pid]] = (await connection.query('SELECT pg_backend_pid()')).rows
        const columns = await connection.describeQuery(bigSql, ['z'])
        const before = process.memoryUsage()
        let taken = 0
        let progress = -1
        let grownBytes = 0
        for await (const chunk of connection.stream(bigSql, ['z'], columns, 1000, { zeroDates: 'error' })) {
          taken += chunk.rows.length
          if (taken === 1000) {
            // Without backpressure the server would send its ~200 MiB while the consumer sleeps.
            await new Promise((resolve) => setTimeout(resolve, 1500))
            const now = process.memoryUsage()
            grownBytes = now.heapUsed + now.arrayBuffers - (before.heapUsed + before.arrayBuffers)
            const copy = await admin.query(`SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = ${pid}`)
            progress = Number(copy.rows[0]?.[0] ?? -1)
          }
          if (taken >= 5000) break
        }
        // Measured: about 2 MiB and 25,000 rows here; without the pause, 185 MiB and 570,000 rows.
        expect(grownBytes).toBeLessThan(16 * 1024 * 1024)
        expect(progress).toBeGreaterThan(0)
        expect(progress).toBeLessThan(100_000)
      } finally {
        await connection.close()
      }
    })
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}
