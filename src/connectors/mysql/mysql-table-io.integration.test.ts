/**
 * The shared relational components (src/sql TableInput, TableOutput) over the MySQL driver, on what
 * is particular to MySQL: a BIGINT UNSIGNED key (decimal(20,0), values past 2^63) split into parallel
 * ranges and resumed, a table created from every logical type, and rows the server refuses isolated
 * from a LOAD DATA batch.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { inputContext, outputContext } from '../../../test/component-harness.js'
import { SERVICES, service } from '../../../test/services.js'
import type { InputBatch, Position } from '../../core/batch.js'
import type { Row, Schema } from '../../core/schema.js'
import { resolveConnection } from '../../sql/connection-config.js'
import type { SqlConnection } from '../../sql/driver.js'
import { TableInput, type TableInputConfig } from '../../sql/table-input.js'
import { TableOutput } from '../../sql/table-output.js'
import { mysqlDriver } from './mysql-driver.js'

const mariadb = await service('mariadb')
const DATABASE = `mysql_table_io_${process.pid}_${Math.floor(Math.random() * 1e6)}`
const FIRST_KEY = 18446744073709550000n

function settings(readOnly: boolean) {
  const { host, port } = SERVICES.mariadb
  return resolveConnection('mysql', 3306, { connection: { host, port, database: DATABASE, username: 'root', options: {}, ssl: { mode: 'disable' }, connect_timeout: '5s' } }, readOnly)
}

async function readAll(config: TableInputConfig, resumeFrom?: Position): Promise<InputBatch[]> {
  const input = new TableInput(mysqlDriver, settings(true), config, { zeroDates: 'null' }, inputContext({ batchSize: 70, resumeFrom }), undefined)
  const batches: InputBatch[] = []
  try {
    await input.open()
    for (let batch = await input.read(); batch !== null; batch = await input.read()) batches.push(batch)
  } finally {
    await input.close()
  }
  return batches
}

describe.skipIf(!mariadb.available)(`mysql driver under the shared relational components (${mariadb.reason})`, () => {
  let connection: SqlConnection

  beforeAll(async () => {
    const admin = await mysqlDriver.connect({ ...settings(false), database: '' })
    await admin.execute(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4`)
    await admin.close()
    connection = await mysqlDriver.connect(settings(false))
    await connection.execute('CREATE TABLE big_keys (id BIGINT UNSIGNED PRIMARY KEY, label VARCHAR(20))')
    const values = Array.from({ length: 1000 }, (_, i) => `(${FIRST_KEY + BigInt(i)}, 'n${i}')`)
    await connection.execute(`INSERT INTO big_keys VALUES ${values.join(', ')}`)
  })

  afterAll(async () => {
    await connection?.close()
    const admin = await mysqlDriver.connect({ ...settings(false), database: '' })
    await admin.execute(`DROP DATABASE IF EXISTS \`${DATABASE}\``)
    await admin.close()
  })

  test('a BIGINT UNSIGNED key past 2^63 splits into parallel ranges; every row once, and once more after a resume', async () => {
    const config: TableInputConfig = { query: { table: 'big_keys' }, parallelism: 3 }
    const batches = await readAll(config)
    expect(batches[0].schema.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id decimal', 'label string'])
    const ids = batches.flatMap((b) => b.rows.map((row) => row[0] as string))
    expect(new Set(ids).size).toBe(1000)
    expect(ids).toContain('18446744073709550999')
    const at = Math.floor(batches.length / 2)
    const delivered = new Set(batches.slice(0, at + 1).flatMap((b) => b.rows.map((row) => row[0])))
    const rest = (await readAll(config, batches[at].position)).flatMap((b) => b.rows.map((row) => row[0]))
    expect(rest.filter((id) => delivered.has(id))).toEqual([])
    expect(rest.length + delivered.size).toBe(1000)
  })

  test('create_table from every logical type, upsert twice, read back the same values; refused rows isolated', async () => {
    const schema: Schema = {
      columns: [
        { name: 'id', type: 'string' },
        { name: 'n', type: 'int' },
        { name: 'b', type: 'bigint' },
        { name: 'd', type: 'decimal', precision: 12, scale: 3 },
        { name: 'f', type: 'float' },
        { name: 'ok', type: 'bool' },
        { name: 'day', type: 'date' },
        { name: 'at', type: 'time' },
        { name: 'ts', type: 'timestamp' },
        { name: 'tz', type: 'timestamptz' },
        { name: 'j', type: 'json' },
        { name: 'bin', type: 'bytes' },
        { name: 'u', type: 'uuid' },
      ],
      primaryKey: ['id'],
    }
    const rows: Row[] = [
      ['a', 1, 2n, '3.250', 0.5, true, '2024-02-29', '10:11:12.5', '2024-02-29T10:11:12.123456', '2040-01-01T00:00:00Z', { k: [1] }, Buffer.from([0, 1, 255]), '123e4567-e89b-12d3-a456-426614174000'],
      ['b', null, null, null, null, null, null, null, null, null, null, null, null],
      ['c', 3, 4n, '999999999.999', -1e-300, false, '1000-01-01', '00:00:00', '1000-01-01T00:00:00', '1969-07-20T20:17:40Z', 'text', Buffer.alloc(0), '00000000-0000-0000-0000-000000000000'],
      ['a', 5, 6n, '7.000', 8, true, '2024-03-01', '23:59:59.999999', '2024-03-01T00:00:00', '2024-03-01T00:00:00.5Z', [], Buffer.from('x'), 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    ]
    const tooLong = 'z'.repeat(300)
    const rejected: Row[] = []
    const ctx = { reject: (row: Row) => rejected.push(row) }
    for (const run of [undefined, null] as const) {
      const output = new TableOutput(mysqlDriver, settings(false), { write: { table: 'made', mode: 'upsert', batch_size: 100 }, conflict: { key: ['id'] }, create_table: true }, outputContext({ resumeState: run }))
      await output.open()
      // A key longer than the created VARCHAR(255): the server refuses that row alone, found by halving the batch.
      await output.write({ schema, rows: [...rows.slice(0, 2), [tooLong, 1, 1n, '1.000', 1, true, null, null, null, null, null, null, null], ...rows.slice(2)] }, ctx)
      await output.commit(ctx)
      await output.finish()
      await output.close()
    }
    expect(rejected.map((row) => row[0])).toEqual([tooLong, tooLong])
    const info = await connection.describeTable({ name: 'made' })
    expect(info!.columns.map((c) => `${c.column.name} ${c.nativeType}`)).toEqual([
      'id varchar(255)',
      'n int(11)',
      'b bigint(20)',
      'd decimal(12,3)',
      'f double',
      'ok tinyint(1)',
      'day date',
      'at time(6)',
      'ts datetime(6)',
      'tz datetime(6)',
      'j longtext',
      'bin longblob',
      'u char(36)',
    ])
    expect(info!.columns.find((c) => c.column.name === 'j')!.column.type).toBe('json')
    const { rows: back } = await connection.query('SELECT * FROM made ORDER BY id')
    const utc = (tz: string | null) => (tz === null ? null : tz.slice(0, -1))
    const expected = [rows[3], rows[1], rows[2]].map((row) => [...row.slice(0, 9), utc(row[9] as string | null), ...row.slice(10)])
    expect(back).toEqual(expected)
  })
})
