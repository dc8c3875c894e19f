/**
 * How MySQL / MariaDB types map to Fustor's logical types, in both directions (docs/types/mysql.md
 * has the table and the reasons). Three sources describe a column and must agree:
 *
 * - a result's column definitions on the wire (`fieldColumn`): describeQuery, stream, query;
 * - information_schema.COLUMNS (`catalogColumn`): describeTable;
 * - a logical column to create (`mysqlColumnType`): CREATE TABLE by the shared layer.
 *
 * Besides the logical column, a wire column gets a `ReadKind`: what mysql2 hands over for it and
 * which conversion turns that into the Fustor value (mysql-row-converter.ts).
 */
import type { Column, LogicalType } from '../../core/schema.js'
import type { ColumnInfo } from '../../sql/driver.js'

/** Column types of the client/server protocol (include/mysql_com.h `enum_field_types`). */
export const FieldType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const

const NOT_NULL_FLAG = 1
const UNSIGNED_FLAG = 32
const ENUM_FLAG = 256
const SET_FLAG = 2048
/** Character set number of `binary`: the bytes of BINARY, VARBINARY, BLOB (the BINARY flag also marks `_bin` collations). */
export const BINARY_CHARSET = 63

/** The column definition fields mysql2 parses (its ColumnDefinition), as far as the mapping needs them. */
export interface WireField {
  readonly name: string
  readonly columnType: number
  readonly characterSet: number
  readonly columnLength: number
  readonly flags: number
  readonly decimals: number
  /** MariaDB extended metadata: `uuid`, `inet6`, `point`... */
  readonly extendedTypeName?: string
  /** MariaDB extended metadata: `json` for MariaDB's JSON alias of LONGTEXT. */
  readonly extendedFormat?: string
}

/**
 * What mysql2 hands over for a column (the options of mysql-connection.ts: dateStrings,
 * bigNumberStrings, jsonStrings, rowsAsArray, and the type cast of FLOAT/DOUBLE/GEOMETRY) and how it becomes
 * the Fustor value:
 *
 *   value        already the Fustor value: int numbers, strings, DECIMAL text, VECTOR arrays
 *   bool         TINYINT(1) number, 0 is false
 *   bigintNumber INT UNSIGNED number -> BigInt
 *   bigintText   BIGINT text -> BigInt
 *   floatText    FLOAT/DOUBLE text -> Number (mysql2's own float parsing is not exact)
 *   date         'YYYY-MM-DD'; zero or invalid dates per ReadOptions.zeroDates
 *   datetime     'YYYY-MM-DD HH:MM:SS.ffffff' -> timestamp
 *   timestamptz  the same, read in UTC (the session's time zone) -> timestamptz
 *   time         '[-]HHH:MM:SS.fff': a time of day, or a RecordError outside 00:00:00-24:00:00
 *   bytes        a view into the packet -> a copy
 *   bitBool      BIT(1) bytes -> bool
 *   bitBigint    BIT(2..63) big-endian bytes -> bigint
 *   bitDecimal   BIT(64) big-endian bytes -> decimal(20,0) text
 *   geometry     4-byte SRID + WKB -> WKB
 *   jsonText     JSON text -> parsed (mysql2 leaves it as text: a bad value is then one RecordError, not a failed query)
 *   uuid         MariaDB UUID text -> lowercase
 */
export type ReadKind =
  | 'value'
  | 'bool'
  | 'bigintNumber'
  | 'bigintText'
  | 'floatText'
  | 'date'
  | 'datetime'
  | 'timestamptz'
  | 'time'
  | 'bytes'
  | 'bitBool'
  | 'bitBigint'
  | 'bitDecimal'
  | 'geometry'
  | 'jsonText'
  | 'uuid'

export interface WireColumn {
  readonly info: ColumnInfo
  readonly kind: ReadKind
}

/** The widest DECIMAL MySQL has, and the column type of a decimal without precision. */
export const MAX_DECIMAL_PRECISION = 65
export const MAX_DECIMAL_SCALE = 30

/** BIGINT UNSIGNED and BIT(64) hold values up to 2^64-1, beyond Fustor's signed 64-bit bigint. */
const UNSIGNED_64: Pick<Column, 'type' | 'precision' | 'scale'> = { type: 'decimal', precision: 20, scale: 0 }

function logical(name: string, nullable: boolean, type: LogicalType, precision?: number, scale?: number): Column {
  const column: { name: string; type: LogicalType; nullable?: boolean; precision?: number; scale?: number } = { name, type }
  if (!nullable) column.nullable = false
  if (precision !== undefined) {
    column.precision = precision
    column.scale = scale ?? 0
  }
  return column
}

function wire(field: WireField, kind: ReadKind, nativeType: string, type: LogicalType, isInteger = false, precision?: number, scale?: number): WireColumn {
  const nullable = (field.flags & NOT_NULL_FLAG) === 0
  return { info: { column: logical(field.name, nullable, type, precision, scale), nativeType, isInteger }, kind }
}

/** The logical column and read kind of a result column as the server describes it on the wire. */
export function fieldColumn(field: WireField): WireColumn {
  const unsigned = (field.flags & UNSIGNED_FLAG) !== 0
  const sign = unsigned ? ' unsigned' : ''
  switch (field.columnType) {
    case FieldType.TINY:
      // TINYINT(1) is how MySQL spells BOOLEAN; the display width is all that tells them apart.
      if (field.columnLength === 1) return wire(field, 'bool', `tinyint(1)${sign}`, 'bool')
      return wire(field, 'value', `tinyint${sign}`, 'int', true)
    case FieldType.SHORT:
      return wire(field, 'value', `smallint${sign}`, 'int', true)
    case FieldType.INT24:
      return wire(field, 'value', `mediumint${sign}`, 'int', true)
    case FieldType.LONG:
      return unsigned ? wire(field, 'bigintNumber', 'int unsigned', 'bigint', true) : wire(field, 'value', 'int', 'int', true)
    case FieldType.LONGLONG:
      return unsigned
        ? wire(field, 'value', 'bigint unsigned', UNSIGNED_64.type, true, UNSIGNED_64.precision, UNSIGNED_64.scale)
        : wire(field, 'bigintText', 'bigint', 'bigint', true)
    case FieldType.YEAR:
      return wire(field, 'value', 'year', 'int')
    case FieldType.DECIMAL:
    case FieldType.NEWDECIMAL: {
      // The length counts the digits, the point (when there is a scale) and the sign (when signed).
      const scale = field.decimals
      const precision = Math.max(1, field.columnLength - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1))
      return wire(field, 'value', `decimal(${precision},${scale})${sign}`, 'decimal', false, precision, scale)
    }
    case FieldType.FLOAT:
      return wire(field, 'floatText', 'float', 'float')
    case FieldType.DOUBLE:
      return wire(field, 'floatText', 'double', 'float')
    case FieldType.DATE:
    case FieldType.NEWDATE:
      return wire(field, 'date', 'date', 'date')
    case FieldType.DATETIME:
    case FieldType.DATETIME2:
      return wire(field, 'datetime', withFraction('datetime', field.decimals), 'timestamp')
    case FieldType.TIMESTAMP:
    case FieldType.TIMESTAMP2:
      return wire(field, 'timestamptz', withFraction('timestamp', field.decimals), 'timestamptz')
    case FieldType.TIME:
    case FieldType.TIME2:
      return wire(field, 'time', withFraction('time', field.decimals), 'time')
    case FieldType.BIT:
      if (field.columnLength === 1) return wire(field, 'bitBool', 'bit(1)', 'bool')
      if (field.columnLength < 64) return wire(field, 'bitBigint', `bit(${field.columnLength})`, 'bigint')
      return wire(field, 'bitDecimal', `bit(${field.columnLength})`, UNSIGNED_64.type, false, UNSIGNED_64.precision, UNSIGNED_64.scale)
    case FieldType.JSON:
      return wire(field, 'jsonText', 'json', 'json')
    case FieldType.GEOMETRY:
      return wire(field, 'geometry', field.extendedTypeName ?? 'geometry', 'bytes')
    case FieldType.VECTOR:
      // mysql2 decodes a VECTOR to an array of numbers.
      return wire(field, 'value', 'vector', 'json')
    case FieldType.NULL:
      return wire(field, 'value', 'null', 'string')
    default:
      return textualColumn(field)
  }
}

function withFraction(name: string, digits: number): string {
  return digits > 0 && digits <= 6 ? `${name}(${digits})` : name
}

/** CHAR, VARCHAR, TEXT, BLOB, ENUM, SET and MariaDB's types carried as text (UUID, INET6, JSON). */
function textualColumn(field: WireField): WireColumn {
  if (field.extendedFormat === 'json') return wire(field, 'jsonText', 'json', 'json')
  if (field.extendedTypeName === 'uuid') return wire(field, 'uuid', 'uuid', 'uuid')
  if (field.extendedTypeName !== undefined) return wire(field, 'value', field.extendedTypeName, 'string')
  if ((field.flags & ENUM_FLAG) !== 0) return wire(field, 'value', 'enum', 'string')
  if ((field.flags & SET_FLAG) !== 0) return wire(field, 'value', 'set', 'string')
  const binary = field.characterSet === BINARY_CHARSET
  switch (field.columnType) {
    case FieldType.STRING:
      return binary ? wire(field, 'bytes', 'binary', 'bytes') : wire(field, 'value', 'char', 'string')
    case FieldType.VARCHAR:
    case FieldType.VAR_STRING:
      return binary ? wire(field, 'bytes', 'varbinary', 'bytes') : wire(field, 'value', 'varchar', 'string')
    default:
      return binary ? wire(field, 'bytes', 'blob', 'bytes') : wire(field, 'value', 'text', 'string')
  }
}

/** A row of information_schema.COLUMNS, as describeTable selects it. */
export interface CatalogColumn {
  readonly name: string
  /** DATA_TYPE: `bigint`, `varchar`, `longtext`... */
  readonly dataType: string
  /** COLUMN_TYPE: `bigint(20) unsigned`, `decimal(65,30)`, `tinyint(1)`, `enum('a','b')`. */
  readonly columnType: string
  readonly nullable: boolean
  readonly numericPrecision: number | null
  readonly numericScale: number | null
  readonly hasDefault: boolean
  /** A MariaDB JSON column: LONGTEXT with a `json_valid` CHECK constraint. */
  readonly isJson: boolean
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint'])
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'inet4', 'inet6'])
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'])
const GEOMETRY_TYPES = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection'])

/** The logical column of a table column as information_schema describes it (the same mapping as fieldColumn). */
export function catalogColumn(row: CatalogColumn): ColumnInfo {
  const dataType = row.dataType.toLowerCase()
  const columnType = row.columnType.toLowerCase()
  const unsigned = columnType.includes('unsigned')
  const info = (type: LogicalType, isInteger = false, precision?: number, scale?: number): ColumnInfo => ({
    column: logical(row.name, row.nullable, type, precision, scale),
    nativeType: row.columnType,
    isInteger,
    hasDefault: row.hasDefault,
  })
  if (INTEGER_TYPES.has(dataType)) {
    if (dataType === 'tinyint' && columnType.startsWith('tinyint(1)')) return info('bool')
    if (dataType === 'bigint') return unsigned ? info(UNSIGNED_64.type, true, UNSIGNED_64.precision, UNSIGNED_64.scale) : info('bigint', true)
    if (dataType === 'int' || dataType === 'integer') return info(unsigned ? 'bigint' : 'int', true)
    return info('int', true)
  }
  switch (dataType) {
    case 'decimal':
    case 'numeric':
      return info('decimal', false, row.numericPrecision ?? MAX_DECIMAL_PRECISION, row.numericScale ?? 0)
    case 'float':
    case 'double':
    case 'real':
    case 'double precision':
      return info('float')
    case 'year':
      return info('int')
    case 'date':
      return info('date')
    case 'datetime':
      return info('timestamp')
    case 'timestamp':
      return info('timestamptz')
    case 'time':
      return info('time')
    case 'json':
      return info('json')
    case 'uuid':
      return info('uuid')
    case 'vector':
      return info('json')
    case 'bit': {
      const bits = row.numericPrecision ?? 1
      if (bits === 1) return info('bool')
      return bits < 64 ? info('bigint') : info(UNSIGNED_64.type, false, UNSIGNED_64.precision, UNSIGNED_64.scale)
    }
  }
  if (BINARY_TYPES.has(dataType) || GEOMETRY_TYPES.has(dataType)) return info('bytes')
  if (row.isJson && (dataType === 'longtext' || dataType === 'text')) return info('json')
  if (TEXT_TYPES.has(dataType)) return info('string')
  // A type this mapping does not know (a newer server's): its text is the safest reading.
  return info('string')
}

/** Whether a native type (COLUMN_TYPE or DATA_TYPE) holds geometry, written with ST_GeomFromWKB. */
export function isGeometryType(nativeType: string): boolean {
  const name = nativeType.toLowerCase()
  const end = name.search(/[ (]/)
  return GEOMETRY_TYPES.has(end < 0 ? name : name.slice(0, end))
}

/** Whether a native type is BIT(n), which LOAD DATA cannot fill from digits without a CAST. */
export function isBitType(nativeType: string): boolean {
  return /^bit\b/i.test(nativeType)
}

/** A key column must be indexable: no TEXT or BLOB without a prefix length. 255 characters of
 * utf8mb4 (1020 bytes) fit InnoDB's 3072-byte key limit, three of them in one key. */
const KEY_STRING_TYPE = 'VARCHAR(255)'
const KEY_BYTES_TYPE = 'VARBINARY(255)'

/**
 * The column type for CREATE TABLE of a logical column (docs/types/mysql.md). `isKey`: the column
 * is part of the primary key, so it needs an indexable type.
 */
export function mysqlColumnType(column: Column, isKey = false): string {
  switch (column.type) {
    case 'string':
      return isKey ? KEY_STRING_TYPE : 'LONGTEXT'
    case 'int':
      return 'INT'
    case 'bigint':
      return 'BIGINT'
    case 'decimal': {
      if (column.precision === undefined) return `DECIMAL(${MAX_DECIMAL_PRECISION},${MAX_DECIMAL_SCALE})`
      const scale = Math.min(column.scale ?? 0, MAX_DECIMAL_SCALE)
      const precision = Math.min(Math.max(column.precision, scale, 1), MAX_DECIMAL_PRECISION)
      return `DECIMAL(${precision},${scale})`
    }
    case 'float':
      return 'DOUBLE'
    case 'bool':
      return 'TINYINT(1)'
    case 'date':
      return 'DATE'
    case 'time':
      return 'TIME(6)'
    case 'timestamp':
      return 'DATETIME(6)'
    case 'timestamptz':
      // DATETIME, not TIMESTAMP: TIMESTAMP ends in 2038. The value is stored in UTC (docs/types/mysql.md).
      return 'DATETIME(6)'
    case 'json':
      return 'JSON'
    case 'bytes':
      return isKey ? KEY_BYTES_TYPE : 'LONGBLOB'
    case 'uuid':
      return 'CHAR(36)'
  }
}
