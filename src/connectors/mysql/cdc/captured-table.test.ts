import { describe, expect, test } from 'vitest'
import { RecordError } from '../../../core/errors.js'
import { isValueOfType } from '../../../core/values.js'
import { CapturedTable, shortestFloat32, type DescribedColumn, type TableDescription } from './captured-table.js'

function column(name: string, dataType: string, columnType: string, extra: Partial<DescribedColumn> = {}): DescribedColumn {
  return { name, dataType, columnType, nullable: true, numericPrecision: null, numericScale: null, hasDefault: false, isJson: false, characterSet: null, collation: null, comment: '', ...extra }
}

const DESCRIPTION: TableDescription = {
  database: 'shop',
  table: 'typed',
  primaryKey: ['id', 'code'],
  columns: [
    column('id', 'int', 'int(11)', { nullable: false }),
    column('code', 'varchar', 'varchar(10)', { characterSet: 'utf8mb4', collation: 'utf8mb4_general_ci', nullable: false }),
    column('u', 'bigint', 'bigint(20) unsigned'),
    column('big', 'bigint', 'bigint(20)'),
    column('ui', 'int', 'int(10) unsigned'),
    column('d', 'decimal', 'decimal(12,3)', { numericPrecision: 12, numericScale: 3 }),
    column('f', 'float', 'float'),
    column('dbl', 'double', 'double'),
    column('flag', 'tinyint', 'tinyint(1)'),
    column('bit1', 'bit', 'bit(1)', { numericPrecision: 1 }),
    column('bits', 'bit', 'bit(12)', { numericPrecision: 12 }),
    column('bit64', 'bit', 'bit(64)', { numericPrecision: 64 }),
    column('day', 'date', 'date'),
    column('dt', 'datetime', 'datetime(6)'),
    column('ts', 'timestamp', 'timestamp(3)'),
    column('t', 'time', 'time'),
    column('j', 'longtext', 'longtext', { isJson: true }),
    column('b', 'blob', 'blob'),
    column('uid', 'uuid', 'uuid'),
    column('g', 'point', 'point'),
  ],
}

describe('captured tables: zongji values as the mysql input reads them', () => {
  const table = new CapturedTable(DESCRIPTION, 'null')

  test('the schema is the batch input mapping, geometry as json; the change schema has the metadata first', () => {
    expect(table.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:int', 'code:string', 'u:decimal', 'big:bigint', 'ui:bigint', 'd:decimal', 'f:float', 'dbl:float', 'flag:bool', 'bit1:bool', 'bits:bigint',
      'bit64:decimal', 'day:date', 'dt:timestamp', 'ts:timestamptz', 't:time', 'j:json', 'b:bytes', 'uid:uuid', 'g:json',
    ])
    expect(table.schema.primaryKey).toEqual(['id', 'code'])
    expect(table.changeSchema.columns.slice(0, 6).map((c) => c.name)).toEqual(['__op', '__source', '__commit_time', '__position', '__key', '__before'])
    expect(table.source).toEqual({ connector: 'mysql_cdc', database: 'shop', table: 'typed' })
    expect(table.zongjiColumns[1]).toEqual({ COLUMN_NAME: 'code', COLLATION_NAME: 'utf8mb4_general_ci', CHARACTER_SET_NAME: 'utf8mb4', COLUMN_COMMENT: '', COLUMN_TYPE: 'varchar(10)' })
  })

  test('each value converts to its logical type', () => {
    const packet = Buffer.from([1, 2, 3, 4])
    const row = table.convert({
      id: 7, code: 'é😀', u: '18446744073709551615', big: '-9223372036854775808', ui: 4294967295, d: '-12.500', f: Math.fround(1.1), dbl: 0.1,
      flag: 1, bit1: Buffer.from([1]), bits: Buffer.from([0x0f, 0xff]), bit64: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      day: '2024-02-29', dt: '2024-02-29 23:59:59.120000', ts: '1970-01-01 00:00:01.500', t: '23:59:58', j: '{"a":[1,null]}',
      b: packet.subarray(1, 3), uid: '1B0C5F2E-6D3A-11EE-B962-0242AC120002', g: { x: 1, y: 2 },
    })
    expect(row).toEqual([
      7, 'é😀', '18446744073709551615', -9223372036854775808n, 4294967295n, '-12.500', 1.1, 0.1, true, true, 4095n, '18446744073709551615',
      '2024-02-29', '2024-02-29T23:59:59.12', '1970-01-01T00:00:01.5Z', '23:59:58', { a: [1, null] }, Buffer.from([2, 3]),
      '1b0c5f2e-6d3a-11ee-b962-0242ac120002', { x: 1, y: 2 },
    ])
    table.schema.columns.forEach((c, i) => expect(isValueOfType(row[i], c.type), c.name).toBe(true))
    // Bytes are copied out of the packet.
    packet[1] = 9
    expect(row[17]).toEqual(Buffer.from([2, 3]))
    expect(table.keyOf(row)).toEqual([7, 'é😀'])
  })

  test('a missing or NULL value is NULL', () => {
    const row = table.convert({ id: 1, code: 'x', u: null })
    expect(row.slice(2).every((v) => v === null)).toBe(true)
  })

  test('zero dates are NULL, or with zero_dates: error a RecordError; a TIME past a day and bad JSON too', () => {
    expect(table.convert({ id: 1, code: 'x', day: '0000-00-00', dt: '2024-00-10 00:00:00', ts: '0000-00-00 00:00:00' }).slice(12, 15)).toEqual([null, null, null])
    const strict = new CapturedTable(DESCRIPTION, 'error')
    expect(() => strict.convert({ id: 1, code: 'x', day: '0000-00-00' })).toThrow(expect.objectContaining({ code: 'mysql.zero_date', column: 'day' }))
    expect(() => table.convert({ id: 1, code: 'x', t: '-838:59:59' })).toThrow(expect.objectContaining({ code: 'mysql.time_out_of_range', column: 't' }))
    expect(() => table.convert({ id: 1, code: 'x', j: '{oops' })).toThrow(RecordError)
  })

  test('FLOAT: the shortest decimal that is the same float32, as the server prints it', () => {
    for (const text of ['1.1', '0.3', '3.14159', '-2.5e-7', '16777216', '1e38', '0.1']) {
      expect(shortestFloat32(Math.fround(Number(text)))).toBe(Number(text))
    }
    expect(shortestFloat32(0)).toBe(0)
    expect(shortestFloat32(Infinity)).toBe(Infinity)
  })

  test('a table without a primary key has no key', () => {
    const keyless = new CapturedTable({ ...DESCRIPTION, primaryKey: [] }, 'null')
    expect(keyless.schema.primaryKey).toBeUndefined()
    expect(keyless.keyOf([1])).toBeNull()
  })
})
