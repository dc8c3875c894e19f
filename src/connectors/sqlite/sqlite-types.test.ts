/**
 * The declared-type mapping of docs/types/sqlite.md, both ways, and the read conversion of stored
 * values against its reference.
 */
import { describe, expect, it } from 'vitest'
import { RecordError } from '../../core/errors.js'
import type { Column } from '../../core/schema.js'
import { readStoredValue, rowConverter } from './sqlite-row-converter.js'
import { affinityOf, columnOfDeclaredType, sqliteColumnType } from './sqlite-types.js'

function mapped(declared: string): string {
  const column = columnOfDeclaredType('c', declared, false)
  return column.precision === undefined ? column.type : `${column.type}(${column.precision},${column.scale})`
}

describe('sqlite declared types', () => {
  it('recognizes common names before applying the affinity rules', () => {
    const table: Record<string, string> = {
      BOOLEAN: 'bool',
      bool: 'bool',
      DATE: 'date',
      TIME: 'time',
      DATETIME: 'timestamp',
      'DATETIME(3)': 'timestamp',
      TIMESTAMP: 'timestamp',
      'timestamp without time zone': 'timestamp',
      TIMESTAMPTZ: 'timestamptz',
      'TIMESTAMP  WITH TIME ZONE': 'timestamptz',
      JSON: 'json',
      JSONB: 'json',
      UUID: 'uuid',
      'DECIMAL(10,2)': 'decimal(10,2)',
      'numeric( 65 , 30 )': 'decimal(65,30)',
      'NUMERIC(12)': 'decimal(12,0)',
      NUMERIC: 'decimal',
      'DECIMAL_TEXT(40,10)': 'decimal(40,10)',
      'DECIMAL(2,5)': 'decimal',
      INT: 'int',
      SMALLINT: 'int',
      TINYINT: 'int',
      'MEDIUMINT UNSIGNED': 'int',
      INTEGER: 'bigint',
      BIGINT: 'bigint',
      INT8: 'bigint',
      'INT UNSIGNED': 'bigint',
      'UNSIGNED BIG INT': 'bigint',
      TEXT: 'string',
      'VARCHAR(255)': 'string',
      'NATIVE CHARACTER(70)': 'string',
      CLOB: 'string',
      BLOB: 'bytes',
      BYTEA: 'bytes',
      REAL: 'float',
      DOUBLE: 'float',
      'DOUBLE PRECISION': 'float',
      FLOAT: 'float',
      // SQLite's rules apply as SQLite applies them: "INT" wins, even in FLOATING POINT.
      'FLOATING POINT': 'bigint',
      MONEY: 'decimal',
      ANY: 'string',
      '': 'string',
    }
    const actual = Object.fromEntries(Object.keys(table).map((declared) => [declared, mapped(declared)]))
    expect(actual).toEqual(table)
  })

  it('follows SQLite affinity rules in their order', () => {
    expect(['INT', 'CHARINT', 'VARCHAR', 'TEXT', 'BLOB', '', 'REAL', 'FLOAT', 'DOUBLE', 'DECIMAL', 'DATE'].map(affinityOf)).toEqual([
      'integer',
      'integer',
      'text',
      'text',
      'blob',
      'blob',
      'real',
      'real',
      'real',
      'numeric',
      'numeric',
    ])
  })

  it('creates columns whose declared type maps back to the same logical type', () => {
    const columns: Column[] = [
      { name: 'a', type: 'string' },
      { name: 'b', type: 'int' },
      { name: 'c', type: 'bigint' },
      { name: 'd', type: 'decimal', precision: 15, scale: 3 },
      { name: 'e', type: 'decimal', precision: 16, scale: 3 },
      { name: 'f', type: 'decimal' },
      { name: 'g', type: 'float' },
      { name: 'h', type: 'bool' },
      { name: 'i', type: 'date' },
      { name: 'j', type: 'time' },
      { name: 'k', type: 'timestamp' },
      { name: 'l', type: 'timestamptz' },
      { name: 'm', type: 'json' },
      { name: 'n', type: 'bytes' },
      { name: 'o', type: 'uuid' },
    ]
    const declared = columns.map((column) => sqliteColumnType(column))
    expect(declared).toEqual(['TEXT', 'INT', 'BIGINT', 'DECIMAL(15,3)', 'DECIMAL_TEXT(16,3)', 'DECIMAL_TEXT', 'REAL', 'BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMPTZ', 'JSON', 'BLOB', 'UUID'])
    expect(declared.map((type, i) => columnOfDeclaredType(columns[i].name, type, false))).toEqual(columns)
    // Wide decimals get TEXT affinity, so that SQLite keeps their text as written.
    expect(affinityOf('DECIMAL_TEXT(16,3)')).toBe('text')
  })
})

describe('sqlite stored values', () => {
  const columns: Column[] = [
    { name: 'i', type: 'int' },
    { name: 'd', type: 'decimal', precision: 7, scale: 2 },
    { name: 'b', type: 'bool' },
    { name: 't', type: 'timestamp' },
    { name: 'u', type: 'uuid' },
    { name: 's', type: 'string' },
  ]
  const stored: unknown[][] = [
    [1, 12.5, 1, '2024-01-31 13:45:10', '123e4567-e89b-12d3-a456-426614174000', 'x'],
    [-7, 3, 0, '2024-01-31T13:45:10.120', '{123E4567-E89B-12D3-A456-426614174000}', 12],
    [null, -0.05, 5, '2024-01-31', null, 1.5],
    [2147483647, 1e-7, null, null, null, 9007199254740993n],
    [0, 12.345, 1, '2024-01-31T13:45:10Z', null, null],
  ]

  it('gives from the generated fast paths exactly what the reference gives, with and without exact integers', () => {
    for (const hasExactIntegers of [false, true]) {
      const convert = rowConverter(columns, hasExactIntegers)
      for (const original of stored) {
        const row = original.map((value) => (hasExactIntegers && typeof value === 'number' && Number.isInteger(value) && ![12.5, -0.05].includes(value) ? BigInt(value) : value))
        const reference = row.map((value, i) => readStoredValue(value, { ...columns[i] }))
        convert(row)
        expect(row).toEqual(reference)
      }
    }
  })

  it('converts to the declared scale and normal forms', () => {
    const convert = rowConverter(columns, false)
    const rows = stored.map((row) => [...row])
    rows.forEach((row) => convert(row))
    expect(rows).toEqual([
      [1, '12.50', true, '2024-01-31T13:45:10', '123e4567-e89b-12d3-a456-426614174000', 'x'],
      [-7, '3.00', false, '2024-01-31T13:45:10.12', '123e4567-e89b-12d3-a456-426614174000', '12'],
      [null, '-0.05', true, '2024-01-31T00:00:00', null, '1.5'],
      [2147483647, '0.00', null, null, null, '9007199254740993'],
      [0, '12.35', true, '2024-01-31T13:45:10', null, null],
    ])
  })

  it('leaves a rejected row as it was stored', () => {
    const convert = rowConverter(columns, false)
    const row = [1, 12.5, 1, '2024-01-31', 'not-a-uuid', 'x']
    expect(() => convert(row)).toThrow(RecordError)
    expect(row).toEqual([1, 12.5, 1, '2024-01-31', 'not-a-uuid', 'x'])
    expect(readStoredValue(12345.5, { type: 'decimal', precision: 7, scale: 2, name: 'd' })).toBe('12345.50')
    expect(() => readStoredValue(123456789, { type: 'decimal', precision: 7, scale: 2, name: 'd' })).toThrow('out of range for decimal(7,2) for column "d"')
  })
})
