import { describe, expect, test } from 'vitest'
import type { Column } from '../../core/schema.js'
import { catalogColumn, fieldColumn, FieldType, mysqlColumnType, type CatalogColumn, type WireField } from './mysql-types.js'

const UNSIGNED = 32
const NOT_NULL = 1
const ENUM = 256
const UTF8MB4 = 45
const BINARY = 63

function field(columnType: number, extra: Partial<WireField> = {}): WireField {
  return { name: 'c', columnType, characterSet: BINARY, columnLength: 11, flags: 0, decimals: 0, ...extra }
}

function catalog(dataType: string, columnType: string, extra: Partial<CatalogColumn> = {}): CatalogColumn {
  return { name: 'c', dataType, columnType, nullable: true, numericPrecision: null, numericScale: null, hasDefault: false, isJson: false, ...extra }
}

describe('wire columns (describeQuery, stream)', () => {
  test.each([
    ['TINYINT(1)', field(FieldType.TINY, { columnLength: 1 }), 'bool', 'bool'],
    ['TINYINT', field(FieldType.TINY, { columnLength: 4 }), 'int', 'value'],
    ['TINYINT UNSIGNED', field(FieldType.TINY, { columnLength: 3, flags: UNSIGNED }), 'int', 'value'],
    ['SMALLINT UNSIGNED', field(FieldType.SHORT, { columnLength: 5, flags: UNSIGNED }), 'int', 'value'],
    ['MEDIUMINT UNSIGNED', field(FieldType.INT24, { columnLength: 8, flags: UNSIGNED }), 'int', 'value'],
    ['INT', field(FieldType.LONG), 'int', 'value'],
    ['INT UNSIGNED', field(FieldType.LONG, { flags: UNSIGNED }), 'bigint', 'bigintNumber'],
    ['BIGINT', field(FieldType.LONGLONG, { columnLength: 20 }), 'bigint', 'bigintText'],
    ['BIGINT UNSIGNED', field(FieldType.LONGLONG, { columnLength: 20, flags: UNSIGNED }), 'decimal', 'value'],
    ['FLOAT', field(FieldType.FLOAT), 'float', 'floatText'],
    ['DOUBLE', field(FieldType.DOUBLE), 'float', 'floatText'],
    ['DATE', field(FieldType.DATE), 'date', 'date'],
    ['DATETIME(6)', field(FieldType.DATETIME, { decimals: 6 }), 'timestamp', 'datetime'],
    ['TIMESTAMP', field(FieldType.TIMESTAMP), 'timestamptz', 'timestamptz'],
    ['TIME', field(FieldType.TIME), 'time', 'time'],
    ['YEAR', field(FieldType.YEAR), 'int', 'value'],
    ['VARCHAR', field(FieldType.VAR_STRING, { characterSet: UTF8MB4 }), 'string', 'value'],
    ['VARBINARY', field(FieldType.VAR_STRING, { characterSet: BINARY }), 'bytes', 'bytes'],
    ['BINARY(16)', field(FieldType.STRING, { characterSet: BINARY, columnLength: 16 }), 'bytes', 'bytes'],
    ['CHAR with a _bin collation (BINARY flag, text charset)', field(FieldType.STRING, { characterSet: UTF8MB4, flags: 128 }), 'string', 'value'],
    ['TEXT', field(FieldType.BLOB, { characterSet: UTF8MB4 }), 'string', 'value'],
    ['BLOB', field(FieldType.BLOB, { characterSet: BINARY }), 'bytes', 'bytes'],
    ['ENUM', field(FieldType.STRING, { characterSet: UTF8MB4, flags: ENUM }), 'string', 'value'],
    ['JSON (MySQL)', field(FieldType.JSON), 'json', 'jsonText'],
    ['JSON (MariaDB: LONGTEXT, extended format json)', field(FieldType.BLOB, { characterSet: UTF8MB4, extendedFormat: 'json' }), 'json', 'jsonText'],
    ['UUID (MariaDB)', field(FieldType.STRING, { characterSet: UTF8MB4, extendedTypeName: 'uuid' }), 'uuid', 'uuid'],
    ['INET6 (MariaDB)', field(FieldType.STRING, { characterSet: UTF8MB4, extendedTypeName: 'inet6' }), 'string', 'value'],
    ['BIT(1)', field(FieldType.BIT, { columnLength: 1 }), 'bool', 'bitBool'],
    ['BIT(10)', field(FieldType.BIT, { columnLength: 10 }), 'bigint', 'bitBigint'],
    ['BIT(64)', field(FieldType.BIT, { columnLength: 64 }), 'decimal', 'bitDecimal'],
    ['GEOMETRY', field(FieldType.GEOMETRY), 'bytes', 'geometry'],
  ])('%s', (_, wire, type, kind) => {
    const column = fieldColumn(wire)
    expect(column.info.column.type).toBe(type)
    expect(column.kind).toBe(kind)
  })

  test('DECIMAL precision and scale come from the length, the scale and the sign', () => {
    expect(fieldColumn(field(FieldType.NEWDECIMAL, { columnLength: 67, decimals: 30 })).info.column).toMatchObject({ precision: 65, scale: 30 })
    expect(fieldColumn(field(FieldType.NEWDECIMAL, { columnLength: 7, decimals: 2 })).info.column).toMatchObject({ precision: 5, scale: 2 })
    expect(fieldColumn(field(FieldType.NEWDECIMAL, { columnLength: 5, decimals: 0, flags: UNSIGNED })).info.column).toMatchObject({ precision: 5, scale: 0 })
    expect(fieldColumn(field(FieldType.LONGLONG, { flags: UNSIGNED })).info.column).toMatchObject({ type: 'decimal', precision: 20, scale: 0 })
  })

  test('NOT NULL columns are not nullable; integer columns can split ranges, BIT and YEAR cannot', () => {
    expect(fieldColumn(field(FieldType.LONG, { flags: NOT_NULL })).info.column.nullable).toBe(false)
    expect(fieldColumn(field(FieldType.LONG)).info.column.nullable).toBeUndefined()
    expect(fieldColumn(field(FieldType.LONGLONG, { flags: UNSIGNED })).info.isInteger).toBe(true)
    expect(fieldColumn(field(FieldType.BIT, { columnLength: 8 })).info.isInteger).toBe(false)
    expect(fieldColumn(field(FieldType.YEAR)).info.isInteger).toBe(false)
  })
})

describe('catalog columns (describeTable)', () => {
  test.each([
    [catalog('tinyint', 'tinyint(1)'), 'bool'],
    [catalog('tinyint', 'tinyint(4)'), 'int'],
    [catalog('tinyint', 'tinyint unsigned'), 'int'],
    [catalog('int', 'int(10) unsigned'), 'bigint'],
    [catalog('int', 'int(11)'), 'int'],
    [catalog('bigint', 'bigint(20)'), 'bigint'],
    [catalog('bigint', 'bigint(20) unsigned'), 'decimal'],
    [catalog('double', 'double'), 'float'],
    [catalog('datetime', 'datetime(6)'), 'timestamp'],
    [catalog('timestamp', 'timestamp(6)'), 'timestamptz'],
    [catalog('time', 'time'), 'time'],
    [catalog('year', 'year(4)'), 'int'],
    [catalog('enum', "enum('a','b')"), 'string'],
    [catalog('set', "set('a','b')"), 'string'],
    [catalog('longtext', 'longtext'), 'string'],
    [catalog('longtext', 'longtext', { isJson: true }), 'json'],
    [catalog('json', 'json'), 'json'],
    [catalog('binary', 'binary(16)'), 'bytes'],
    [catalog('longblob', 'longblob'), 'bytes'],
    [catalog('bit', 'bit(1)', { numericPrecision: 1 }), 'bool'],
    [catalog('bit', 'bit(10)', { numericPrecision: 10 }), 'bigint'],
    [catalog('bit', 'bit(64)', { numericPrecision: 64 }), 'decimal'],
    [catalog('uuid', 'uuid'), 'uuid'],
    [catalog('point', 'point'), 'bytes'],
  ])('$columnType', (row, type) => {
    expect(catalogColumn(row).column.type).toBe(type)
  })

  test('keeps the native type, nullability, precision and default', () => {
    const info = catalogColumn(catalog('decimal', 'decimal(65,30)', { numericPrecision: 65, numericScale: 30, nullable: false, hasDefault: true }))
    expect(info).toEqual({ column: { name: 'c', type: 'decimal', precision: 65, scale: 30, nullable: false }, nativeType: 'decimal(65,30)', isInteger: false, hasDefault: true })
  })
})

describe('column types for CREATE TABLE', () => {
  const column = (type: Column['type'], extra: Partial<Column> = {}): Column => ({ name: 'c', type, ...extra })
  test.each([
    [column('string'), false, 'LONGTEXT'],
    [column('string'), true, 'VARCHAR(255)'],
    [column('int'), false, 'INT'],
    [column('bigint'), false, 'BIGINT'],
    [column('decimal', { precision: 12, scale: 2 }), false, 'DECIMAL(12,2)'],
    [column('decimal'), false, 'DECIMAL(65,30)'],
    [column('decimal', { precision: 80, scale: 40 }), false, 'DECIMAL(65,30)'],
    [column('float'), false, 'DOUBLE'],
    [column('bool'), false, 'TINYINT(1)'],
    [column('date'), false, 'DATE'],
    [column('time'), false, 'TIME(6)'],
    [column('timestamp'), false, 'DATETIME(6)'],
    [column('timestamptz'), false, 'DATETIME(6)'],
    [column('json'), false, 'JSON'],
    [column('bytes'), false, 'LONGBLOB'],
    [column('bytes'), true, 'VARBINARY(255)'],
    [column('uuid'), false, 'CHAR(36)'],
  ])('%o (key: %s) -> %s', (logical, isKey, expected) => {
    expect(mysqlColumnType(logical, isKey)).toBe(expected)
  })
})
