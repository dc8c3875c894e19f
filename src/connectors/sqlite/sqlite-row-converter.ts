/**
 * Stored SQLite values to Fustor values (core/schema.ts), a row at a time, for stream() and query().
 *
 * A column's type says what it should hold, but SQLite lets any column hold any value ('abc' in an
 * INT column). A stored value is converted by the rules of the column's logical type (`readStoredValue`,
 * the reference); one that does not fit (text in an int column, a blob in a date column, a REAL with a
 * fraction in an integer column) is a RecordError naming the column, and its row is rejected whole.
 *
 * Reading is a hot path (better-sqlite3 itself takes 2-3 µs to hand over a row of the users table,
 * and the conversion must add little), so the converter of a column list is generated code
 * (formats/generated-code.ts, docs/ARCHITECTURE.md D17): straight-line, one inline test per column
 * for the form that column normally holds (a number in an int column, text in a date column), and a
 * call to the reference only for anything else. Converted values are written back into the row only
 * once every column has converted, so a rejected row keeps the values as stored, for the dead-letter
 * record.
 */
import { RecordError } from '../../core/errors.js'
import type { Column, Value } from '../../core/schema.js'
import { castValue, parseValue, type CastTarget } from '../../core/values.js'
import { generatedFactory } from '../../formats/generated-code.js'
import { textValueParser } from '../../formats/text-value-parser.js'
import { EXACT_REAL_DIGITS } from './sqlite-types.js'

/**
 * Converts a row as better-sqlite3 returns it (raw mode) in place, and returns about how many bytes
 * it held. Throws a RecordError naming the column for a value that does not fit, leaving the row as it was.
 */
export type RowConverter = (row: unknown[]) => number

/**
 * The converter of rows with these columns. `hasExactIntegers`: the statement returns INTEGER values
 * as BigInt (better-sqlite3's `safeIntegers`, which holds for a whole statement).
 */
export function rowConverter(columns: readonly Column[], hasExactIntegers: boolean): RowConverter {
  const lines: string[] = []
  const writeBack: string[] = []
  let fixedBytes = 0
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]
    const v = `v${i}`
    lines.push(`const ${v} = row[${i}]`)
    lines.push(`const c${i} = ${fastPath(column, v, `s${i}(${v})`, `p${i}(${v})`, hasExactIntegers)}`)
    const size = sizeOf(column, v)
    if (size === undefined) fixedBytes += 8
    else lines.push(size)
    writeBack.push(`row[${i}] = c${i}`)
  }
  const bindings = columns.map((_, i) => `const s${i} = slow[${i}], p${i} = parse[${i}]`)
  const body = `${bindings.join('\n')}\nreturn function convertRow(row) {\n  let bytes = ${fixedBytes}\n  ${lines.join('\n  ')}\n  ${writeBack.join('\n  ')}\n  return bytes\n}`
  const factory = generatedFactory(['slow', 'parse'], body) as (slow: unknown[], parse: unknown[]) => RowConverter
  const targets = columns.map(targetOf)
  return factory(
    targets.map((target) => (value: unknown) => readStoredValue(value, target)),
    targets.map(fastParser),
  )
}

/** The expression converting `v`: the inline test for the column's usual form, else `slow`. */
function fastPath(column: Column, v: string, slow: string, parse: string, hasExactIntegers: boolean): string {
  const otherwise = `${v} === null ? null : ${slow}`
  switch (column.type) {
    case 'string':
      return `typeof ${v} === 'string' ? ${v} : ${otherwise}`
    case 'int':
      return hasExactIntegers
        ? `typeof ${v} === 'bigint' && ${v} >= -2147483648n && ${v} <= 2147483647n ? Number(${v}) : ${otherwise}`
        : `typeof ${v} === 'number' && (${v} | 0) === ${v} ? ${v} : ${otherwise}`
    case 'bigint':
      return `typeof ${v} === 'bigint' ? ${v} : ${otherwise}`
    case 'float':
      return `typeof ${v} === 'number' ? ${v} : ${otherwise}`
    case 'bool':
      return hasExactIntegers ? `${v} === 1n ? true : ${v} === 0n ? false : ${otherwise}` : `${v} === 1 ? true : ${v} === 0 ? false : ${otherwise}`
    case 'decimal':
      // Narrow decimals are stored as REAL or INTEGER (NUMERIC affinity), wide ones as text (sqlite-types.ts).
      return isStoredAsNumber(column) ? `typeof ${v} === 'number' ? ${parse} : ${otherwise}` : `typeof ${v} === 'string' ? ${parse} : ${otherwise}`
    case 'bytes':
      return `${v} instanceof Uint8Array ? ${v} : ${otherwise}`
    default:
      return `typeof ${v} === 'string' ? ${parse} : ${otherwise}`
  }
}

/** The statement adding the size of `v`, or undefined for a fixed-size number (counted as 8 bytes). */
function sizeOf(column: Column, v: string): string | undefined {
  switch (column.type) {
    case 'int':
    case 'bigint':
    case 'float':
    case 'bool':
      return undefined
    case 'bytes':
      return `if (${v} !== null) bytes += ${v}.length`
    default:
      return `if (typeof ${v} === 'string') bytes += ${v}.length`
  }
}

function isStoredAsNumber(column: Column): boolean {
  return column.precision !== undefined && column.precision <= EXACT_REAL_DIGITS
}

function targetOf(column: Column): CastTarget {
  return { type: column.type, precision: column.precision, scale: column.scale, name: column.name }
}

/** The function the fast path of a column calls on the usual form of its values, if it needs one. */
function fastParser(target: CastTarget): ((value: never) => Value) | undefined {
  switch (target.type) {
    case 'decimal':
      return target.precision !== undefined && target.precision <= EXACT_REAL_DIGITS ? decimalOfReal(target, target.precision, target.scale ?? 0) : textValueParser(target)
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'json':
      return textValueParser(target)
    case 'uuid':
      return (text: string) => (isCanonicalUuid(text) ? text : parseValue(text, target))
    default:
      return undefined
  }
}

const ZEROS = '0'.repeat(EXACT_REAL_DIGITS)

/**
 * The decimal of a REAL or INTEGER stored in a narrow DECIMAL(p,s) column, with the scale restored
 * (`12.5` -> `12.50`). `value * 10^s` rounded is the decimal's units when dividing them back gives
 * the same double: for at most 15 significant digits no other decimal of scale s has that double,
 * so these are the digits that were written (without printing the double, which costs more than the
 * rest of the row). Anything else (more fraction digits than the scale, too many integer digits,
 * infinities) goes through castValue, which rounds to the scale or rejects the value.
 */
function decimalOfReal(target: CastTarget, precision: number, scale: number): (value: number) => Value {
  const unit = 10 ** scale
  const limit = 10 ** precision
  return (value) => {
    const units = Math.round(value * unit)
    if (units / unit === value && units < limit && units > -limit) return formatUnits(units, scale)
    return castValue(value, target)
  }
}

/** `units / 10^scale` in plain notation with exactly `scale` fraction digits; units is a safe integer. */
function formatUnits(units: number, scale: number): string {
  const isNegative = units < 0
  const digits = String(isNegative ? -units : units)
  if (scale === 0) return isNegative ? `-${digits}` : digits
  const split = digits.length - scale
  const text = split > 0 ? `${digits.slice(0, split)}.${digits.slice(split)}` : `0.${ZEROS.slice(0, -split)}${digits}`
  return isNegative ? `-${text}` : text
}

function isCanonicalUuid(text: string): boolean {
  if (text.length !== 36) return false
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45 /* - */) return false
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
  }
  return true
}

/**
 * A stored value as a value of the target type, or a RecordError naming the column. The reference
 * the generated fast paths must agree with. Values are as better-sqlite3 returns them: INTEGER as
 * number or BigInt, REAL as number, TEXT as string, BLOB as Buffer.
 */
export function readStoredValue(value: unknown, target: CastTarget): Value {
  if (value === null || value === undefined) return null
  const isBlob = value instanceof Uint8Array
  switch (target.type) {
    case 'string':
      if (typeof value === 'string') return value
      if (typeof value === 'number' || typeof value === 'bigint') return castValue(value, target)
      break
    case 'int':
    case 'bigint':
      if (typeof value === 'number' && !Number.isInteger(value)) break
      if (!isBlob) return castValue(value as string | number | bigint, target)
      break
    case 'float':
      if (typeof value === 'number') return value
      if (typeof value === 'bigint') return Number(value)
      if (typeof value === 'string') return parseValue(value, target)
      break
    case 'decimal':
    case 'bool':
      if (!isBlob) return castValue(value as string | number | bigint, target)
      break
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (typeof value === 'string') return parseValue(value, target)
      break
    case 'json':
      if (typeof value === 'string') return parseValue(value, target)
      if (typeof value === 'number') return value
      if (typeof value === 'bigint') return Number(value)
      break
    case 'bytes':
      if (isBlob) return value
      if (typeof value === 'string') return Buffer.from(value, 'utf8')
      break
    case 'uuid':
      if (typeof value === 'string') return parseValue(value, target)
      if (isBlob && value.length === 16) return uuidOfBytes(value)
      break
  }
  throw new RecordError('sqlite.value_mismatch', `column "${target.name}" holds ${describeStored(value)}, which does not fit type ${target.type}${mismatchHint(value, target)}`, {
    column: target.name,
  })
}

/** A UUID stored as its 16 bytes, as some applications do. */
function uuidOfBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function describeStored(value: unknown): string {
  if (value instanceof Uint8Array) return `a blob of ${value.length} bytes`
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`
  if (typeof value === 'bigint') return `the integer ${value}`
  return Number.isInteger(value) ? `the integer ${String(value)}` : `the real ${String(value)}`
}

function mismatchHint(value: unknown, target: CastTarget): string {
  const isTemporal = target.type === 'date' || target.type === 'time' || target.type === 'timestamp' || target.type === 'timestamptz'
  if (isTemporal && (typeof value === 'number' || typeof value === 'bigint')) {
    return ` (temporal values are read as ISO 8601 text; convert numbers in the query, e.g. datetime(${target.name}, 'unixepoch'))`
  }
  return ''
}
