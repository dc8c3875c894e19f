import { describe, expect, test } from 'vitest'
import { RecordError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import { bitsValue, mysqlDate, mysqlDatetime, mysqlTime, mysqlTimestamp, rowConverter, type ConvertedColumn } from './mysql-row-converter.js'
import type { ReadKind } from './mysql-types.js'

describe('temporal text', () => {
  test('DATETIME text becomes a timestamp: T, fraction without trailing zeros', () => {
    expect(mysqlDatetime('2024-02-29 13:45:10')).toBe('2024-02-29T13:45:10')
    expect(mysqlDatetime('2024-02-29 13:45:10.000000')).toBe('2024-02-29T13:45:10')
    expect(mysqlDatetime('2024-02-29 13:45:10.500000')).toBe('2024-02-29T13:45:10.5')
    expect(mysqlDatetime('9999-12-31 23:59:59.999999')).toBe('9999-12-31T23:59:59.999999')
    expect(mysqlDatetime('1000-01-01 00:00:00.000100')).toBe('1000-01-01T00:00:00.0001')
    expect(mysqlTimestamp('2038-01-19 03:14:07.250')).toBe('2038-01-19T03:14:07.25Z')
  })

  test('zero, partial-zero and invalid dates have no value', () => {
    for (const text of ['0000-00-00', '2024-00-00', '2024-05-00', '2024-00-05', '0000-01-01', '2023-02-29', '2024-04-31', '2024-13-01']) {
      expect(mysqlDate(text), text).toBeUndefined()
      expect(mysqlDatetime(`${text} 10:00:00`), text).toBeUndefined()
    }
    expect(mysqlDate('2024-02-29')).toBe('2024-02-29')
    expect(mysqlDate('2000-02-29')).toBe('2000-02-29')
    expect(mysqlDate('1900-02-29')).toBeUndefined()
    expect(mysqlDate('2024-12-31')).toBe('2024-12-31')
  })

  test('TIME is a time of day between 00:00:00 and 24:00:00, otherwise undefined', () => {
    expect(mysqlTime('00:00:00')).toBe('00:00:00')
    expect(mysqlTime('23:59:59.999999')).toBe('23:59:59.999999')
    expect(mysqlTime('13:45:10.500')).toBe('13:45:10.5')
    expect(mysqlTime('13:45:10.000')).toBe('13:45:10')
    expect(mysqlTime('24:00:00')).toBe('24:00:00')
    expect(mysqlTime('24:00:01')).toBeUndefined()
    expect(mysqlTime('25:00:00')).toBeUndefined()
    expect(mysqlTime('838:59:59')).toBeUndefined()
    expect(mysqlTime('-01:00:00')).toBeUndefined()
  })

  test('BIT bytes are big-endian', () => {
    expect(bitsValue(Buffer.from([0x03, 0xff]))).toBe(1023n)
    expect(bitsValue(Buffer.alloc(8, 0xff))).toBe(18446744073709551615n)
  })
})

function columns(...specs: [ReadKind, Column['type']][]): ConvertedColumn[] {
  return specs.map(([kind, type], i) => {
    const column: Column = { name: `c${i}`, type }
    return { kind, natural: column, wanted: column }
  })
}

describe('row conversion', () => {
  test('converts in place what differs and leaves the rest', () => {
    const converter = rowConverter(
      columns(['value', 'int'], ['bool', 'bool'], ['bigintText', 'bigint'], ['bigintNumber', 'bigint'], ['floatText', 'float'], ['datetime', 'timestamp'], ['timestamptz', 'timestamptz'], ['uuid', 'uuid'], ['jsonText', 'json'], ['bitBool', 'bool'], ['geometry', 'bytes']),
      { zeroDates: 'error' },
    )
    const view = Buffer.from([1, 2, 3, 4, 9, 8])
    const row: Row = [7, 0, '-9223372036854775808', 4294967295, '0.1', '2024-01-02 03:04:05.000000', '2024-01-02 03:04:05.120000', 'ABCDEF00-0000-0000-0000-000000000000', '{"a":[1,"é"]}', Buffer.from([1]), view]
    converter.convert(row)
    expect(row).toEqual([7, false, -9223372036854775808n, 4294967295n, 0.1, '2024-01-02T03:04:05', '2024-01-02T03:04:05.12Z', 'abcdef00-0000-0000-0000-000000000000', { a: [1, 'é'] }, true, Buffer.from([9, 8])])
    view[4] = 0
    expect(row[10]).toEqual(Buffer.from([9, 8]))
    const nulls: Row = new Array(11).fill(null)
    converter.convert(nulls)
    expect(nulls).toEqual(new Array(11).fill(null))
  })

  test('zero dates are NULL or a RecordError that leaves the row untouched', () => {
    const lenient = rowConverter(columns(['bool', 'bool'], ['date', 'date']), { zeroDates: 'null' })
    const row: Row = [1, '0000-00-00']
    lenient.convert(row)
    expect(row).toEqual([true, null])

    const strict = rowConverter(columns(['bool', 'bool'], ['date', 'date']), { zeroDates: 'error' })
    const bad: Row = [1, '2024-00-00']
    expect(() => strict.convert(bad)).toThrow(RecordError)
    expect(bad).toEqual([1, '2024-00-00'])
    const { failed, errors } = strict.convertLeniently(bad)
    expect(bad).toEqual([true, '2024-00-00'])
    expect(failed).toEqual([1])
    expect((errors[0] as RecordError).code).toBe('mysql.zero_date')
    expect((errors[0] as RecordError).column).toBe('c1')
  })

  test('a TIME outside a day is a RecordError naming the column', () => {
    const converter = rowConverter(columns(['time', 'time']), { zeroDates: 'null' })
    expect(() => converter.convert(['838:59:59'])).toThrow(/column c0 holds TIME 838:59:59/)
  })

  test('a column described as another type is cast from the wire type', () => {
    const natural: Column = { name: 'n', type: 'string' }
    const converter = rowConverter([{ kind: 'value', natural, wanted: { name: 'n', type: 'json' } }], { zeroDates: 'null' })
    const row: Row = ['{"x":1}']
    converter.convert(row)
    expect(row).toEqual([{ x: 1 }])
  })
})
