/**
 * Every type of the mapping (docs/types/mysql.md) round-trips through the real MariaDB: rows written
 * with write() in each write path (LOAD DATA, LOAD DATA REPLACE, the staged upsert, and the INSERT
 * statements used when LOAD DATA LOCAL is refused) come back from stream() and query() equal, value
 * by value, NULL in every column included. Zero dates and out-of-day TIMEs, which Fustor has no
 * value for, come back as NULL or rejected rows.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SERVICES, service } from '../../../test/services.js'
import { RecordError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import { decodeTextRows } from '../../core/text-rows.js'
import type { ConnectionSettings, SqlConnection, WriteTarget } from '../../sql/driver.js'
import { mysqlDriver } from './mysql-driver.js'

const mariadb = await service('mariadb')
const DATABASE = `mysql_round_trip_${process.pid}_${Math.floor(Math.random() * 1e6)}`

function settings(database: string, options: Record<string, string> = {}): ConnectionSettings {
  const { host, port } = SERVICES.mariadb
  return { host, port, database, username: 'root', password: undefined, options, ssl: undefined, readOnly: false, connectTimeoutMs: 5000 }
}

const ALL_TYPES = `(
  id INT PRIMARY KEY,
  c_bool TINYINT(1), c_tinyint TINYINT, c_tinyint_u TINYINT UNSIGNED, c_smallint SMALLINT, c_smallint_u SMALLINT UNSIGNED,
  c_mediumint MEDIUMINT, c_mediumint_u MEDIUMINT UNSIGNED, c_int INT, c_int_u INT UNSIGNED, c_bigint BIGINT, c_bigint_u BIGINT UNSIGNED,
  c_decimal DECIMAL(65,30), c_decimal_small DECIMAL(5,2), c_float FLOAT, c_double DOUBLE,
  c_date DATE, c_datetime DATETIME(6), c_datetime0 DATETIME, c_timestamp TIMESTAMP(6) NULL, c_time TIME(6), c_year YEAR,
  c_char CHAR(10), c_varchar VARCHAR(255), c_tinytext TINYTEXT, c_text TEXT, c_mediumtext MEDIUMTEXT, c_longtext LONGTEXT,
  c_enum ENUM('a','b','c d'), c_set SET('x','y','z'), c_json JSON,
  c_binary BINARY(16), c_varbinary VARBINARY(300), c_blob BLOB, c_longblob LONGBLOB,
  c_bit1 BIT(1), c_bit10 BIT(10), c_bit64 BIT(64), c_uuid UUID, c_geometry GEOMETRY
)`

const EXPECTED_TYPES: Record<string, string> = {
  id: 'int',
  c_bool: 'bool',
  c_tinyint: 'int',
  c_tinyint_u: 'int',
  c_smallint: 'int',
  c_smallint_u: 'int',
  c_mediumint: 'int',
  c_mediumint_u: 'int',
  c_int: 'int',
  c_int_u: 'bigint',
  c_bigint: 'bigint',
  c_bigint_u: 'decimal(20,0)',
  c_decimal: 'decimal(65,30)',
  c_decimal_small: 'decimal(5,2)',
  c_float: 'float',
  c_double: 'float',
  c_date: 'date',
  c_datetime: 'timestamp',
  c_datetime0: 'timestamp',
  c_timestamp: 'timestamptz',
  c_time: 'time',
  c_year: 'int',
  c_char: 'string',
  c_varchar: 'string',
  c_tinytext: 'string',
  c_text: 'string',
  c_mediumtext: 'string',
  c_longtext: 'string',
  c_enum: 'string',
  c_set: 'string',
  c_json: 'json',
  c_binary: 'bytes',
  c_varbinary: 'bytes',
  c_blob: 'bytes',
  c_longblob: 'bytes',
  c_bit1: 'bool',
  c_bit10: 'bigint',
  c_bit64: 'decimal(20,0)',
  c_uuid: 'uuid',
  c_geometry: 'bytes',
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
/** WKB (little-endian) of POINT(1 2) and LINESTRING(0 0, 1 1). */
const point = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex')
const line = Buffer.from('010200000002000000' + '0000000000000000' + '0000000000000000' + '000000000000f03f' + '000000000000f03f', 'hex')

const ROWS: Row[] = [
  [
    1, true, -5, 200, -300, 60000, -8000000, 16000000, 123456, 4000000000n, -9007199254740993n, '9007199254740993',
    '-12345678901234567890123456789012345.123456789012345678901234567890', '-12.50', 3.5, 0.1,
    '2024-02-29', '2024-02-29T13:45:10.123456', '2024-01-01T00:00:00', '2024-06-01T12:00:00.25Z', '13:45:10.5', 2024,
    'abc', 'tab\there, newline\nthere, backslash \\ and NUL \0, CR \r', 'tiny', 'emoji 😀🎉 ünïcödé', 'x'.repeat(70_000), 'long '.repeat(209_716).slice(0, 1024 * 1024),
    'c d', 'x,z', { a: [1, 'é😀', { b: null }], n: 1.5, t: 'tab\there "quoted" \\' },
    Buffer.from('00112233445566778899aabbccddeeff', 'hex'), allBytes, Buffer.from(allBytes).reverse(), randomBytes(1024 * 1024),
    true, 1023n, '18446744073709551615', '123e4567-e89b-12d3-a456-426614174000', point,
  ],
  [
    2, false, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295n, 9223372036854775807n, '18446744073709551615',
    '99999999999999999999999999999999999.999999999999999999999999999999', '999.99', -0.25, 1.7976931348623157e308,
    '9999-12-31', '9999-12-31T23:59:59.999999', '9999-12-31T23:59:59', '2038-01-19T03:14:07.999999Z', '23:59:59.999999', 2155,
    'ü😀', '\\N', 'N', '', '', '',
    'a', '', [],
    Buffer.alloc(16), Buffer.alloc(0), Buffer.from([0]), Buffer.from('\\N'),
    false, 0n, '0', '00000000-0000-0000-0000-000000000000', line,
  ],
  [
    3, false, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0n, -9223372036854775808n, '0',
    '0.000000000000000000000000000001', '0.00', 0, -2.2250738585072014e-308,
    '1000-01-01', '1000-01-01T00:00:00', '1000-01-01T00:00:00', '1970-01-01T00:00:01Z', '00:00:00', 1901,
    '', '\t\n\\\0', '\\', 'NULL', 'a', 'b',
    'b', 'y', 'just a string',
    Buffer.alloc(16, 0xff), Buffer.from('\t\n\\'), Buffer.alloc(0), Buffer.alloc(0),
    true, 512n, '9223372036854775808', 'ffffffff-ffff-ffff-ffff-ffffffffffff', point,
  ],
  [4, ...new Array<null>(39).fill(null)],
]

/** What stream() and query() give: rows in id order, as arrays. */
async function streamAll(connection: SqlConnection, table: string, chunkRows = 2): Promise<Row[]> {
  const sql = `SELECT * FROM \`${table}\` ORDER BY id`
  const columns = await connection.describeQuery(sql)
  const rows: Row[] = []
  for await (const chunk of connection.stream(sql, [], columns, chunkRows, { zeroDates: 'error' })) {
    expect(chunk.rejected).toEqual([])
    rows.push(...chunk.rows)
  }
  return rows
}

function expectRowsEqual(actual: Row[], expected: Row[], columns: readonly Column[]): void {
  expect(actual).toHaveLength(expected.length)
  for (let r = 0; r < expected.length; r++) {
    for (let c = 0; c < columns.length; c++) {
      const where = `row ${r + 1}, ${columns[c].name}`
      const value = actual[r][c]
      const wanted = expected[r][c]
      if (wanted instanceof Uint8Array) expect(Buffer.from(value as Uint8Array).equals(wanted), where).toBe(true)
      else expect(value, where).toEqual(wanted)
    }
  }
}

describe.skipIf(!mariadb.available)(`mysql driver: every type round-trips (${mariadb.reason})`, () => {
  let connection: SqlConnection
  let columns: Column[]

  beforeAll(async () => {
    const admin = await mysqlDriver.connect(settings(''))
    await admin.execute(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4`)
    await admin.close()
    connection = await mysqlDriver.connect(settings(DATABASE))
    await connection.execute(`CREATE TABLE all_types ${ALL_TYPES}`)
    const info = await connection.describeTable({ name: 'all_types' })
    columns = info!.columns.map((c) => c.column)
  })

  afterAll(async () => {
    await connection?.close()
    const admin = await mysqlDriver.connect(settings(''))
    await admin.execute(`DROP DATABASE IF EXISTS \`${DATABASE}\``)
    await admin.close()
  })

  test('describeTable and describeQuery map every column to the documented type', async () => {
    const described = await connection.describeQuery('SELECT * FROM all_types')
    for (const [i, column] of columns.entries()) {
      const expected = EXPECTED_TYPES[column.name]
      const type = (c: Column): string => (c.type === 'decimal' ? `decimal(${c.precision},${c.scale})` : c.type)
      expect(type(column), `describeTable ${column.name}`).toBe(expected)
      expect(type(described[i].column), `describeQuery ${column.name}`).toBe(expected)
    }
    const info = await connection.describeTable({ name: 'all_types' })
    expect(info!.primaryKey).toEqual(['id'])
    expect(info!.columns.find((c) => c.column.name === 'c_bigint_u')).toMatchObject({ nativeType: 'bigint(20) unsigned', isInteger: true })
    expect(info!.columns.find((c) => c.column.name === 'id')!.column.nullable).toBe(false)
  })

  const paths: [string, WriteTarget['mode'], Record<string, string>][] = [
    ['insert (LOAD DATA)', 'insert', {}],
    ['replace (LOAD DATA REPLACE)', 'replace', {}],
    ['upsert (staging table)', 'upsert', {}],
    ['insert (INSERT statements, LOAD DATA LOCAL off)', 'insert', { local_infile: 'false' }],
    ['upsert (INSERT ... ON DUPLICATE KEY UPDATE, LOAD DATA LOCAL off)', 'upsert', { local_infile: 'false' }],
  ]

  test.each(paths)('%s: write() then stream() and query() give every value back', async (_, mode, options) => {
    const table = `rt_${mode}_${Object.keys(options).length}`
    await connection.execute(`CREATE TABLE \`${table}\` LIKE all_types`)
    const warnings: string[] = []
    const writer = await mysqlDriver.connect(settings(DATABASE, options), { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} })
    try {
      const target: WriteTarget = { table: { name: table }, columns, mode, key: mode === 'insert' ? [] : ['id'] }
      await writer.write(target, ROWS.slice(0, 2))
      await writer.write(target, ROWS.slice(2))
    } finally {
      await writer.close()
    }
    // With LOAD DATA LOCAL off, the server refuses the first LOAD DATA and the driver says so once.
    expect(warnings).toEqual(options.local_infile === 'false' ? [expect.stringContaining('LOAD DATA LOCAL INFILE is refused')] : [])
    expectRowsEqual(await streamAll(connection, table), ROWS, columns)
    const result = await connection.query(`SELECT * FROM \`${table}\` ORDER BY id`)
    expect(result.schema.columns.map((c) => c.name)).toEqual(columns.map((c) => c.name))
    expectRowsEqual(result.rows, ROWS, columns)
  })

  test('TIMESTAMP values are stored in UTC', async () => {
    const { rows } = await connection.query("SELECT UNIX_TIMESTAMP(c_timestamp), @@session.time_zone FROM rt_insert_0 WHERE id = 1")
    expect(rows[0]).toEqual(['1717243200.250000', '+00:00'])
  })

  test('zero dates read as NULL or as rejected rows holding the raw text; TIMEs outside a day are rejected', async () => {
    const lax = await mysqlDriver.connect(settings(DATABASE))
    try {
      await lax.execute("SET SESSION sql_mode = ''")
      await lax.execute('CREATE TABLE zero_dates (id INT PRIMARY KEY, d DATE, dt DATETIME, ts TIMESTAMP NULL, t TIME)')
      await lax.execute(
        "INSERT INTO zero_dates VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '10:00:00'), (2, '2024-00-00', '2024-05-00 10:00:00', NULL, '00:00:00'), (3, '2024-05-06', '2024-05-06 07:08:09', '2024-05-06 07:08:09', '838:59:59'), (4, NULL, NULL, NULL, '-01:30:00')",
      )
    } finally {
      await lax.close()
    }
    const sql = 'SELECT * FROM zero_dates ORDER BY id'
    const described = await connection.describeQuery(sql)
    const read = async (zeroDates: 'null' | 'error', text: boolean) => {
      const rows: Row[] = []
      const rejected: { record: unknown; error: unknown }[] = []
      for await (const chunk of connection.stream(sql, [], described, 10, { zeroDates, text })) {
        expect(chunk.text !== undefined).toBe(text)
        rows.push(...(chunk.text !== undefined ? decodeTextRows(chunk.text, described.map((c) => c.column)) : chunk.rows))
        rejected.push(...chunk.rejected)
      }
      return { rows, rejected }
    }
    for (const text of [false, true]) await expectZeroDates(read, text)
  })

  test('text rows: every column with a text form reads as the same values as rows, in chunks', async () => {
    const textual = columns.filter((c) => !['c_bit1', 'c_bit10', 'c_bit64', 'c_geometry'].includes(c.name))
    const sql = `SELECT ${textual.map((c) => `\`${c.name}\``).join(', ')} FROM rt_insert_0 ORDER BY id`
    const described = await connection.describeQuery(sql)
    const viaRows: Row[] = []
    for await (const chunk of connection.stream(sql, [], described, 3, { zeroDates: 'error' })) viaRows.push(...chunk.rows)
    const viaText: Row[] = []
    let chunks = 0
    for await (const chunk of connection.stream(sql, [], described, 3, { zeroDates: 'error', text: true })) {
      chunks++
      expect(chunk.rows).toEqual([])
      expect(chunk.rejected).toEqual([])
      const decoded = decodeTextRows(chunk.text!, textual)
      expect(decoded).toHaveLength(chunk.text!.count)
      expect(chunk.last).toEqual(decoded.at(-1))
      viaText.push(...decoded)
    }
    expect(chunks).toBe(2)
    expectRowsEqual(viaText, viaRows, textual)
    const keep = textual.map((c) => columns.indexOf(c))
    expectRowsEqual(viaText, ROWS.map((row) => keep.map((i) => row[i])), textual)
  })

  test('text rows: a column without a text form (BIT, GEOMETRY) makes the read give rows', async () => {
    const sql = 'SELECT * FROM rt_insert_0 ORDER BY id'
    const described = await connection.describeQuery(sql)
    const rows: Row[] = []
    for await (const chunk of connection.stream(sql, [], described, 10, { zeroDates: 'error', text: true })) {
      expect(chunk.text).toBeUndefined()
      rows.push(...chunk.rows)
    }
    expectRowsEqual(rows, ROWS, columns)
  })
})

type ZeroDateRead = (zeroDates: 'null' | 'error', text: boolean) => Promise<{ rows: Row[]; rejected: { record: unknown; error: unknown }[] }>

async function expectZeroDates(read: ZeroDateRead, text: boolean): Promise<void> {
  {
    const asNull = await read('null', text)
    expect(asNull.rows).toEqual([
      [1, null, null, null, '10:00:00'],
      [2, null, null, null, '00:00:00'],
    ])
    expect(asNull.rejected.map((r) => r.record)).toEqual([
      [3, '2024-05-06', '2024-05-06T07:08:09', '2024-05-06T07:08:09Z', '838:59:59'],
      [4, null, null, null, '-01:30:00'],
    ])
    expect(asNull.rejected.map((r) => (r.error as RecordError).code)).toEqual(['mysql.time_out_of_range', 'mysql.time_out_of_range'])

    const asError = await read('error', text)
    expect(asError.rows).toEqual([])
    expect(asError.rejected[0].record).toEqual([1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '10:00:00'])
    expect(asError.rejected[1].record).toEqual([2, '2024-00-00', '2024-05-00 10:00:00', null, '00:00:00'])
    expect(asError.rejected[0].error).toBeInstanceOf(RecordError)
    expect((asError.rejected[0].error as RecordError).code).toBe('mysql.zero_date')
    expect((asError.rejected[0].error as RecordError).column).toBe('d')
  }
}
