/**
 * Turns the rows mysql2 parses (arrays, with the options of mysql-connection.ts) into Fustor rows,
 * in place. mysql2 already gives most values in their Fustor form (int numbers, strings, DECIMAL
 * text, parsed JSON); the few that differ (booleans, bigints, temporal text, floats as text, bytes)
 * are converted by code generated once per result shape: straight-line, one call site per column,
 * nothing done for columns that need nothing (docs/ARCHITECTURE.md D17). On the users table that
 * is two conversions per row.
 *
 * A value without a Fustor value (a zero date with `zero_dates: error`, a TIME of -838:59:59)
 * throws a RecordError before the row is touched; the stream then converts that row column by
 * column (`convertLeniently`) to hand the dead-letter output the row with the raw text where a
 * conversion failed.
 */
import { RecordError } from '../../core/errors.js'
import type { Column, Row, Value } from '../../core/schema.js'
import { castValue } from '../../core/values.js'
import { generatedFactory } from '../../formats/generated-code.js'
import type { ReadOptions } from '../../sql/driver.js'
import type { ReadKind } from './mysql-types.js'

/** A result column: what the wire gives (`kind`, `natural`) and what the caller asked for (`wanted`). */
export interface ConvertedColumn {
  readonly kind: ReadKind
  /** The logical column the wire type maps to. */
  readonly natural: Column
  /** The column the caller described; differs from `natural` only when a description disagrees with the wire. */
  readonly wanted: Column
}

export interface RowConverter {
  /** Converts in place, or throws the RecordError of the first value that does not convert (the row untouched). */
  readonly convert: (row: Row) => void
  /** Converts what converts and keeps the raw value where conversion fails; returns the errors. */
  readonly convertLeniently: (row: Row) => { failed: number[]; errors: unknown[] }
}

// ---------------------------------------------------------------------------- value conversions

const ZERO = 48
const NINE = 57

function digitsAt(text: string, at: number): number {
  return (text.charCodeAt(at) - ZERO) * 10 + text.charCodeAt(at + 1) - ZERO
}

/**
 * Whether `YYYY-MM-DD...` is a date Fustor has: MySQL stores zero dates (`0000-00-00`), partial ones
 * (`2024-00-00`), year 0, and with ALLOW_INVALID_DATES days past the month's end (`2024-02-31`).
 */
function isValidDate(text: string): boolean {
  const month = digitsAt(text, 5)
  const day = digitsAt(text, 8)
  if (month === 0 || day === 0 || month > 12) return false
  if (text.charCodeAt(0) === ZERO && text.charCodeAt(1) === ZERO && text.charCodeAt(2) === ZERO && text.charCodeAt(3) === ZERO) return false
  if (day <= 28) return true
  const year = digitsAt(text, 0) * 100 + digitsAt(text, 2)
  const days = month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return day <= days
}

/** DATE text, or undefined for a date Fustor does not have. */
export function mysqlDate(text: string): string | undefined {
  return isValidDate(text) ? text : undefined
}

/** End of a time/datetime text without the fraction's trailing zeros (`.500000` -> `.5`, `.000000` -> none). */
function trimmedEnd(text: string, fractionStart: number): number {
  let end = text.length
  if (end <= fractionStart) return end
  while (text.charCodeAt(end - 1) === ZERO) end--
  return end === fractionStart + 1 ? fractionStart : end
}

/** DATETIME text `YYYY-MM-DD HH:MM:SS[.ffffff]` as a timestamp, or undefined for an invalid date. */
export function mysqlDatetime(text: string): string | undefined {
  if (!isValidDate(text)) return undefined
  const end = trimmedEnd(text, 19)
  return `${text.slice(0, 10)}T${text.slice(11, end)}`
}

/** TIMESTAMP text, read in the session's UTC, as a timestamptz. */
export function mysqlTimestamp(text: string): string | undefined {
  if (!isValidDate(text)) return undefined
  const end = trimmedEnd(text, 19)
  return `${text.slice(0, 10)}T${text.slice(11, end)}Z`
}

/**
 * TIME text as a time of day, or undefined for a duration outside 00:00:00 - 24:00:00: MySQL's TIME
 * is an interval (-838:59:59 to 838:59:59), Fustor's time is a time of day.
 */
export function mysqlTime(text: string): string | undefined {
  const first = text.charCodeAt(0)
  if (first < ZERO || first > NINE || text.charCodeAt(2) !== 58 /* : */) return undefined
  const hours = digitsAt(text, 0)
  const end = trimmedEnd(text, 8)
  if (hours < 24) return end === text.length ? text : text.slice(0, end)
  return hours === 24 && end === 8 && text.startsWith('24:00:00') ? '24:00:00' : undefined
}

/** BIT(n) bytes (big-endian) as an unsigned integer. */
export function bitsValue(bytes: Uint8Array): bigint {
  let value = 0n
  for (let i = 0; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i])
  return value
}

/** A copy: mysql2's value is a view into a packet, which would keep the whole network chunk alive. */
function copyBytes(view: Uint8Array): Buffer {
  return Buffer.from(view)
}

/** MySQL's geometry value is a 4-byte SRID followed by the WKB: the WKB. */
function geometryWkb(view: Uint8Array): Buffer {
  return Buffer.from(view.subarray(4))
}

function parseJsonText(text: string, column: Column): Value {
  try {
    return JSON.parse(text) as Value
  } catch (error) {
    throw new RecordError('mysql.invalid_json', `column ${column.name} holds invalid JSON: ${(error as Error).message}`, { column: column.name, cause: error })
  }
}

function zeroDateError(column: Column, text: string): RecordError {
  return new RecordError('mysql.zero_date', `column ${column.name} holds ${text}, a zero or invalid date`, {
    column: column.name,
    hint: 'set zero_dates: null to read such dates as NULL',
  })
}

function timeRangeError(column: Column, text: string): RecordError {
  return new RecordError('mysql.time_out_of_range', `column ${column.name} holds TIME ${text}, outside a day (00:00:00 to 24:00:00)`, {
    column: column.name,
    hint: `read it as text or seconds in a query, e.g. CAST(${column.name} AS CHAR) or TIME_TO_SEC(${column.name})`,
  })
}

/** The Fustor value of one raw value (the lenient path and tests; the generated code does the same inline). */
export function convertValue(kind: ReadKind, raw: unknown, column: Column, zeroDates: ReadOptions['zeroDates']): Value {
  if (raw === null || raw === undefined) return null
  const zero = (text: string): Value => {
    if (zeroDates === 'null') return null
    throw zeroDateError(column, text)
  }
  switch (kind) {
    case 'value':
      return raw as Value
    case 'bool':
      return raw !== 0
    case 'bigintNumber':
    case 'bigintText':
      return BigInt(raw as number | string)
    case 'floatText':
      return Number(raw)
    case 'date':
      return mysqlDate(raw as string) ?? zero(raw as string)
    case 'datetime':
      return mysqlDatetime(raw as string) ?? zero(raw as string)
    case 'timestamptz':
      return mysqlTimestamp(raw as string) ?? zero(raw as string)
    case 'time': {
      const time = mysqlTime(raw as string)
      if (time === undefined) throw timeRangeError(column, raw as string)
      return time
    }
    case 'bytes':
      return copyBytes(raw as Uint8Array)
    case 'bitBool':
      return (raw as Uint8Array)[0] !== 0
    case 'bitBigint':
      return bitsValue(raw as Uint8Array)
    case 'bitDecimal':
      return bitsValue(raw as Uint8Array).toString()
    case 'geometry':
      return geometryWkb(raw as Uint8Array)
    case 'jsonText':
      return parseJsonText(raw as string, column)
    case 'uuid':
      return (raw as string).toLowerCase()
  }
}

// ---------------------------------------------------------------------------- generated code

/** The expression converting `v` (not null) of column `i`, or undefined when the value is already right. */
function conversionCode(kind: ReadKind, i: number): string | undefined {
  switch (kind) {
    case 'value':
      return undefined
    case 'bool':
      return 'v !== 0'
    case 'bigintNumber':
    case 'bigintText':
      return 'BigInt(v)'
    case 'floatText':
      return 'Number(v)'
    case 'date':
      return `mysqlDate(v) ?? zero(${i}, v)`
    case 'datetime':
      return `mysqlDatetime(v) ?? zero(${i}, v)`
    case 'timestamptz':
      return `mysqlTimestamp(v) ?? zero(${i}, v)`
    case 'time':
      return `mysqlTime(v) ?? badTime(${i}, v)`
    case 'bytes':
      return 'copyBytes(v)'
    case 'bitBool':
      return 'v[0] !== 0'
    case 'bitBigint':
      return 'bitsValue(v)'
    case 'bitDecimal':
      return 'bitsValue(v).toString()'
    case 'geometry':
      return 'geometryWkb(v)'
    case 'jsonText':
      return `parseJsonText(v, natural[${i}])`
    case 'uuid':
      return 'v.toLowerCase()'
  }
}

const HELPERS = { mysqlDate, mysqlDatetime, mysqlTimestamp, mysqlTime, copyBytes, bitsValue, geometryWkb, parseJsonText, castValue }
const HELPER_NAMES = Object.keys(HELPERS)
const HELPER_VALUES = Object.values(HELPERS)

type GeneratedFactory = (...args: unknown[]) => (row: Row) => void

/**
 * The converter of a result's columns. Values are converted into locals first and stored at the
 * end, so that a throw leaves the row as it came (for the lenient path).
 */
export function rowConverter(columns: readonly ConvertedColumn[], options: ReadOptions): RowConverter {
  const natural = columns.map((c) => c.natural)
  const wanted = columns.map((c) => c.wanted)
  const converts: string[] = []
  const stores: string[] = []
  columns.forEach((column, i) => {
    const code = conversionCode(column.kind, i)
    const isCast = !sameLogicalType(column.natural, column.wanted)
    if (code === undefined && !isCast) return
    const converted = code ?? 'v'
    const value = isCast ? `castValue(${converted}, wanted[${i}], natural[${i}].type)` : converted
    converts.push(`v = row[${i}]; const c${i} = v === null ? null : ${value}`)
    stores.push(`row[${i}] = c${i}`)
  })
  const body = `return function convert(row) {\n  let v\n  ${converts.join('\n  ')}\n  ${stores.join('\n  ')}\n}`
  const factory = generatedFactory([...HELPER_NAMES, 'natural', 'wanted', 'zero', 'badTime'], body) as unknown as GeneratedFactory
  const zero = (i: number, text: string): null => {
    if (options.zeroDates === 'null') return null
    throw zeroDateError(natural[i], text)
  }
  const badTime = (i: number, text: string): never => {
    throw timeRangeError(natural[i], text)
  }
  const convert = converts.length === 0 ? noConversion : factory(...HELPER_VALUES, natural, wanted, zero, badTime)
  return {
    convert,
    convertLeniently: (row) => {
      const failed: number[] = []
      const errors: unknown[] = []
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i]
        try {
          const value = convertValue(column.kind, row[i], column.natural, options.zeroDates)
          row[i] = sameLogicalType(column.natural, column.wanted) ? value : castValue(value, column.wanted, column.natural.type)
        } catch (error) {
          failed.push(i)
          errors.push(error)
        }
      }
      return { failed, errors }
    },
  }
}

function noConversion(): void {}

function sameLogicalType(a: Column, b: Column): boolean {
  if (a.type !== b.type) return false
  return a.type !== 'decimal' || b.scale === undefined || a.scale === b.scale
}
