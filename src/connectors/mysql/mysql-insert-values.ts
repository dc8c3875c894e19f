/**
 * Rows as SQL literals, for multi-row INSERT / REPLACE / INSERT ... ON DUPLICATE KEY UPDATE (upserts,
 * and inserts when the server refuses LOAD DATA LOCAL), and parameter values as literals for query().
 *
 * Strings are quoted with backslash escapes (the session's sql_mode never has NO_BACKSLASH_ESCAPES,
 * mysql-connection.ts sees to it); decimals are plain-notation number literals, which MySQL reads as
 * exact DECIMAL values (not doubles); bytes are hex literals (geometry through ST_GeomFromWKB). Each
 * row's tuple is built by code generated once per column list (docs/ARCHITECTURE.md D17).
 */
import type { Row, Value } from '../../core/schema.js'
import { generatedFactory } from '../../formats/generated-code.js'
import type { WrittenColumn } from './mysql-load-data.js'
import { finiteFloatText } from './mysql-load-data.js'
import { isGeometryType } from './mysql-types.js'

/** What a quoted literal escapes: the quote characters and backslash (required), NUL and line ends (readable logs). */
const SQL_SPECIAL = /[\0\n\r\\'"]/
const SQL_SPECIAL_ALL = /[\0\n\r\\'"]/g

function escapeSqlCharacter(character: string): string {
  switch (character) {
    case '\0':
      return '\\0'
    case '\n':
      return '\\n'
    case '\r':
      return '\\r'
    default:
      return `\\${character}`
  }
}

/** A quoted string literal. */
export function sqlString(text: string): string {
  return SQL_SPECIAL.test(text) ? `'${text.replace(SQL_SPECIAL_ALL, escapeSqlCharacter)}'` : `'${text}'`
}

function hexLiteral(bytes: Uint8Array): string {
  return `X'${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}'`
}

function jsonLiteral(value: unknown): string {
  return sqlString(JSON.stringify(value))
}

/** The Fustor form of a timestamptz is `...Z`; MySQL wants the UTC wall time (the session's zone). */
const TIMESTAMPTZ_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/

/**
 * A parameter value as a literal. Parameters carry no type, so a string in the exact stored form
 * of a timestamptz is sent as its UTC wall time, the form MySQL compares with DATETIME and
 * TIMESTAMP columns; json values (objects, arrays) go as JSON text.
 */
export function parameterLiteral(value: Value): string {
  if (value === null) return 'NULL'
  switch (typeof value) {
    case 'string':
      return TIMESTAMPTZ_TEXT.test(value) ? `'${value.slice(0, -1)}'` : sqlString(value)
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${String(value)} cannot be a MySQL parameter`)
      return String(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 'TRUE' : 'FALSE'
    default:
      return value instanceof Uint8Array ? hexLiteral(value) : jsonLiteral(value)
  }
}

/** A decimal's stored form is a number literal MySQL reads exactly (plain notation is DECIMAL, not DOUBLE); anything else is quoted. */
const DECIMAL_LITERAL = /^-?\d+(?:\.\d+)?$/

function decimalLiteral(text: string): string {
  return DECIMAL_LITERAL.test(text) ? text : sqlString(text)
}

function literalCode(written: WrittenColumn, i: number): string {
  switch (written.column.type) {
    case 'string':
      return 'sqlString(v)'
    case 'decimal':
      // Unquoted: a quoted string would reach a BIT(64) column as its characters' bytes.
      return 'decimalLiteral(v)'
    case 'int':
    case 'bigint':
      return "'' + v"
    case 'float':
      return `finiteFloatText(v, columns[${i}])`
    case 'bool':
      return "v ? '1' : '0'"
    case 'date':
    case 'time':
    case 'timestamp':
    case 'uuid':
      return "\"'\" + v + \"'\""
    case 'timestamptz':
      return "\"'\" + v.slice(0, -1) + \"'\""
    case 'json':
      return 'jsonLiteral(v)'
    case 'bytes':
      return written.nativeType !== undefined && isGeometryType(written.nativeType) ? "'ST_GeomFromWKB(' + hexLiteral(v) + ')'" : 'hexLiteral(v)'
  }
}

/** `(1,'a',NULL)` of a row. */
export type TupleWriter = (row: Row) => string

export function tupleWriter(written: readonly WrittenColumn[]): TupleWriter {
  const lines = written.map((column, i) => {
    const separator = i === 0 ? '(' : ','
    const assign = i === 0 ? 'tuple =' : 'tuple +='
    return `v = row[${i}]; ${assign} v === null ? '${separator}NULL' : '${separator}' + (${literalCode(column, i)})`
  })
  const body = `return function writeTuple(row) {\n  let v, tuple\n  ${lines.join('\n  ')}\n  return tuple + ')'\n}`
  const factory = generatedFactory(['sqlString', 'decimalLiteral', 'finiteFloatText', 'jsonLiteral', 'hexLiteral', 'columns'], body) as unknown as (...args: unknown[]) => TupleWriter
  return factory(
    sqlString,
    decimalLiteral,
    finiteFloatText,
    jsonLiteral,
    hexLiteral,
    written.map((w) => w.column),
  )
}
