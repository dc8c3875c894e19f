/**
 * Converting values between text, JSON and the in-memory representation of each logical type
 * (schema.ts). Every connector and the expression language's CAST use these, so that `"42"` becomes
 * the same int everywhere and a value that does not convert fails the same way everywhere:
 * a RecordError with code `value.invalid` or `value.out_of_range` naming the column.
 */
import { RecordError } from './errors.js'
import { compareDecimal, decimalDigits, normalizeDecimal, numberToDecimal, roundDecimal } from './decimal.js'
import type { JsonValue, LogicalType, ParsedTypeName, Value } from './schema.js'
import { formatType } from './schema.js'
import { parseDate, parseTime, parseTimestamp, parseTimestamptz, temporalKind } from './temporal.js'

export const INT_MIN = -2147483648
export const INT_MAX = 2147483647
export const BIGINT_MIN = -(2n ** 63n)
export const BIGINT_MAX = 2n ** 63n - 1n

/** A type, optionally with decimal precision/scale and the column name used in error messages. */
export interface CastTarget {
  readonly type: LogicalType
  readonly precision?: number
  readonly scale?: number
  readonly name?: string
}
export type TypeTarget = LogicalType | CastTarget

function targetOf(to: TypeTarget): CastTarget {
  return typeof to === 'string' ? { type: to } : to
}

function preview(value: unknown): string {
  let text: string
  if (typeof value === 'string') text = JSON.stringify(value)
  else if (typeof value === 'bigint') text = value.toString()
  else if (value instanceof Uint8Array) text = `<${value.length} bytes>`
  else if (typeof value === 'object' && value !== null) text = JSON.stringify(value)
  else text = String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function invalid(value: unknown, to: CastTarget): RecordError {
  const where = to.name === undefined ? '' : ` for column "${to.name}"`
  return new RecordError('value.invalid', `invalid ${formatType(to)} ${preview(value)}${where}`, { column: to.name })
}

function outOfRange(value: unknown, to: CastTarget): RecordError {
  const where = to.name === undefined ? '' : ` for column "${to.name}"`
  return new RecordError('value.out_of_range', `${preview(value)} is out of range for ${formatType(to)}${where}`, {
    column: to.name,
  })
}

/**
 * Strict integer text in `text[start, end)`: optional sign, at most 10 digits, nothing else.
 * Returns undefined otherwise (the range is not checked). Text decoders call it on a line in place.
 */
export function parseIntText(text: string, start = 0, end = text.length): number | undefined {
  const length = end - start
  if (length === 0 || length > 11) return undefined
  let i = start
  let negative = false
  const first = text.charCodeAt(start)
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45
    i++
    if (length === 1) return undefined
  }
  let n = 0
  for (; i < end; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return undefined
    n = n * 10 + digit
  }
  return negative ? -n : n
}

const INTEGER_TEXT = /^[+-]?\d+$/
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|infinity|inf|nan)$/i
const UUID_TEXT = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', 'on', '1'])
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', 'off', '0'])

/**
 * Converts text (from a file, a form, a query string) to a value of the column's type.
 * Surrounding whitespace is not trimmed for strings and is an error for other types, except where
 * the type's own syntax allows it. The caller maps its null markers (empty field, `\N`) to null first.
 */
export function parseValue(text: string, to: TypeTarget): Value {
  const target = targetOf(to)
  switch (target.type) {
    case 'string':
      return text
    case 'int': {
      const n = parseIntText(text)
      if (n === undefined) throw invalid(text, target)
      if (n < INT_MIN || n > INT_MAX) throw outOfRange(text, target)
      return n
    }
    case 'bigint': {
      if (!INTEGER_TEXT.test(text)) throw invalid(text, target)
      const n = BigInt(text)
      if (n < BIGINT_MIN || n > BIGINT_MAX) throw outOfRange(text, target)
      return n
    }
    case 'decimal': {
      const decimal = normalizeDecimal(text)
      if (decimal === undefined) throw invalid(text, target)
      return fitDecimal(decimal, target, text)
    }
    case 'float': {
      if (!FLOAT_TEXT.test(text)) throw invalid(text, target)
      const lower = text.toLowerCase()
      if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity
      return lower.endsWith('nan') ? NaN : Number(text)
    }
    case 'bool': {
      const word = text.trim().toLowerCase()
      if (TRUE_WORDS.has(word)) return true
      if (FALSE_WORDS.has(word)) return false
      throw invalid(text, target)
    }
    case 'date':
      return parseDate(text) ?? throwError(invalid(text, target))
    case 'time':
      return parseTime(text) ?? throwError(invalid(text, target))
    case 'timestamp':
      return parseTimestamp(text) ?? throwError(invalid(text, target))
    case 'timestamptz':
      return parseTimestamptz(text) ?? throwError(invalid(text, target))
    case 'json':
      try {
        return JSON.parse(text) as Value
      } catch (error) {
        throw new RecordError('value.invalid', `invalid json ${preview(text)}${target.name ? ` for column "${target.name}"` : ''}: ${(error as Error).message}`, {
          column: target.name,
          cause: error,
        })
      }
    case 'bytes':
      return Buffer.from(text, 'utf8')
    case 'uuid': {
      const match = UUID_TEXT.exec(text)
      if (!match) throw invalid(text, target)
      return `${match[1]}-${match[2]}-${match[3]}-${match[4]}-${match[5]}`.toLowerCase()
    }
  }
}

function throwError(error: Error): never {
  throw error
}

function fitDecimal(decimal: string, target: CastTarget, original: unknown): string {
  if (target.precision === undefined) return decimal
  const scale = target.scale ?? 0
  const rounded = roundDecimal(decimal, scale)
  if (decimalDigits(rounded).integerDigits > target.precision - scale) throw outOfRange(original, target)
  return rounded
}

function roundHalfAwayFromZero(n: number): number {
  return n < 0 ? -Math.round(-n) : Math.round(n)
}

/**
 * Converts a value of any type to the target type, as SQL's CAST does: numbers round to integers
 * half away from zero, text is parsed with parseValue, temporal values truncate or extend.
 * `from` disambiguates values whose representation is shared (a json string vs. a string).
 */
export function castValue(value: Value, to: TypeTarget, from?: LogicalType): Value {
  if (value === null) return null
  const target = targetOf(to)
  if (from === 'json' && target.type !== 'json') {
    if (typeof value === 'object' && !(value instanceof Uint8Array)) {
      if (target.type === 'string') return JSON.stringify(value)
      throw invalid(value, target)
    }
  }
  switch (typeof value) {
    case 'string':
      if (target.type === 'json' && from !== 'json') return parseValue(value, target)
      if (target.type === 'json' || target.type === 'string') return value
      if (target.type === 'bytes') return Buffer.from(value, 'utf8')
      // A decimal is a number held as text: to an integer it rounds like any number does.
      if (from === 'decimal' && (target.type === 'int' || target.type === 'bigint')) return parseValue(roundDecimal(value, 0), target)
      return parseValue(value.trim(), target)
    case 'number':
      return castNumber(value, target)
    case 'bigint':
      return castBigint(value, target)
    case 'boolean':
      switch (target.type) {
        case 'bool':
        case 'json':
          return value
        case 'string':
          return value ? 'true' : 'false'
        case 'int':
        case 'float':
          return value ? 1 : 0
        case 'bigint':
          return value ? 1n : 0n
        case 'decimal':
          return value ? '1' : '0'
        default:
          throw invalid(value, target)
      }
    case 'object':
      if (value instanceof Uint8Array) {
        if (target.type === 'bytes') return value
        if (target.type === 'string') return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
        if (target.type === 'json') return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
        throw invalid(value, target)
      }
      if (target.type === 'json') return value
      if (target.type === 'string') return JSON.stringify(value)
      throw invalid(value, target)
    default:
      throw invalid(value, target)
  }
}

function castNumber(value: number, target: CastTarget): Value {
  switch (target.type) {
    case 'float':
    case 'json':
      return value
    case 'int': {
      if (!Number.isFinite(value)) throw invalid(value, target)
      const n = roundHalfAwayFromZero(value)
      if (n < INT_MIN || n > INT_MAX) throw outOfRange(value, target)
      return n
    }
    case 'bigint': {
      if (!Number.isFinite(value)) throw invalid(value, target)
      const n = BigInt(roundHalfAwayFromZero(value))
      if (n < BIGINT_MIN || n > BIGINT_MAX) throw outOfRange(value, target)
      return n
    }
    case 'decimal': {
      const decimal = numberToDecimal(value)
      if (decimal === undefined) throw invalid(value, target)
      return fitDecimal(decimal, target, value)
    }
    case 'string':
      return formatNumber(value)
    case 'bool':
      if (Number.isNaN(value)) throw invalid(value, target)
      return value !== 0
    default:
      throw invalid(value, target)
  }
}

function castBigint(value: bigint, target: CastTarget): Value {
  switch (target.type) {
    case 'bigint':
      if (value < BIGINT_MIN || value > BIGINT_MAX) throw outOfRange(value, target)
      return value
    case 'int':
      if (value < BigInt(INT_MIN) || value > BigInt(INT_MAX)) throw outOfRange(value, target)
      return Number(value)
    case 'float':
      return Number(value)
    case 'decimal':
      return fitDecimal(value.toString(), target, value)
    case 'string':
      return value.toString()
    case 'bool':
      return value !== 0n
    case 'json':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
    default:
      throw invalid(value, target)
  }
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  return String(value)
}

/**
 * Text form of a value, for text formats (CSV, log lines, messages): strings as they are, numbers in
 * shortest round-trip form, booleans `true`/`false`, bytes in base64, json as compact JSON text.
 * NULL has no text form: callers choose their marker.
 */
export function formatValue(value: Exclude<Value, null>): string {
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
      return formatNumber(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 'true' : 'false'
    default:
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
      return JSON.stringify(value)
  }
}

/**
 * JSON form of a value of a given type, for JSON outputs and dead-letter records. Exact for every
 * type: a bigint outside the safe integer range and a decimal become strings, bytes become base64.
 * (JSON writers that can emit raw number text may write decimals and bigints as numbers instead.)
 */
export function toJsonValue(value: Value): JsonValue {
  if (value === null) return null
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
      return Number.isFinite(value) ? value : formatNumber(value)
    case 'bigint': {
      const n = Number(value)
      return Number.isSafeInteger(n) ? n : value.toString()
    }
    case 'boolean':
      return value
    default:
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
      return value as JsonValue
  }
}

/** Compares two decimals given as stored strings (re-exported for callers that only import values). */
export { compareDecimal }

/**
 * Infers a column type from sample texts (nulls already removed). Picks the narrowest type every
 * sample parses as: int, bigint, decimal, float, bool, date, timestamp, timestamptz, else string.
 * Integers with a leading zero (`007`, zip codes) stay strings, so that they survive unchanged.
 */
export function inferType(samples: readonly string[]): ParsedTypeName {
  if (samples.length === 0) return { type: 'string' }
  let candidate: 'int' | 'bigint' | 'decimal' | 'float' | 'bool' | 'date' | 'timestamp' | 'timestamptz' | 'string' | undefined
  for (const text of samples) {
    const kind = kindOfText(text)
    candidate = candidate === undefined ? kind : widen(candidate, kind)
    if (candidate === 'string') break
  }
  return { type: candidate ?? 'string' }
}

type TextKind = 'int' | 'bigint' | 'decimal' | 'float' | 'bool' | 'date' | 'timestamp' | 'timestamptz' | 'string'

const CANONICAL_INTEGER = /^-?(?:0|[1-9]\d*)$/
const CANONICAL_DECIMAL = /^-?(?:0|[1-9]\d*)\.\d+$/
const CANONICAL_FLOAT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?[eE][+-]?\d+$/

function kindOfText(text: string): TextKind {
  if (CANONICAL_INTEGER.test(text)) {
    if (text.length <= 9) return 'int'
    const n = BigInt(text)
    if (n >= BigInt(INT_MIN) && n <= BigInt(INT_MAX)) return 'int'
    return n >= BIGINT_MIN && n <= BIGINT_MAX ? 'bigint' : 'decimal'
  }
  if (CANONICAL_DECIMAL.test(text)) return 'decimal'
  if (CANONICAL_FLOAT.test(text)) return 'float'
  const lower = text.toLowerCase()
  if (lower === 'true' || lower === 'false') return 'bool'
  if (text.length >= 10 && text.length <= 35 && text.charCodeAt(4) === 45 /* - */) return temporalKind(text) ?? 'string'
  return 'string'
}

const NUMERIC_RANK: Partial<Record<TextKind, number>> = { int: 0, bigint: 1, decimal: 2, float: 3 }
const TEMPORAL_RANK: Partial<Record<TextKind, number>> = { date: 0, timestamp: 1 }

function widen(a: TextKind, b: TextKind): TextKind {
  if (a === b) return a
  const numericA = NUMERIC_RANK[a]
  const numericB = NUMERIC_RANK[b]
  if (numericA !== undefined && numericB !== undefined) {
    // int + float is float; bigint/decimal + float keeps exactness only if no float appears.
    return numericA > numericB ? a : b
  }
  const temporalA = TEMPORAL_RANK[a]
  const temporalB = TEMPORAL_RANK[b]
  if (temporalA !== undefined && temporalB !== undefined) return temporalA > temporalB ? a : b
  return 'string'
}

/** The logical type a JavaScript value would most naturally have (for schema inference from JSON). */
export function typeOfValue(value: Value): LogicalType | undefined {
  if (value === null) return undefined
  switch (typeof value) {
    case 'string':
      return 'string'
    case 'number':
      return Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? 'int' : 'float'
    case 'bigint':
      return 'bigint'
    case 'boolean':
      return 'bool'
    default:
      return value instanceof Uint8Array ? 'bytes' : 'json'
  }
}

/** Checks that a value already has the in-memory form of its type; used by tests and debug checks. */
export function isValueOfType(value: Value, type: LogicalType): boolean {
  if (value === null) return true
  switch (type) {
    case 'string':
      return typeof value === 'string'
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX
    case 'bigint':
      return typeof value === 'bigint'
    case 'decimal':
      return typeof value === 'string' && normalizeDecimal(value) === value
    case 'float':
      return typeof value === 'number'
    case 'bool':
      return typeof value === 'boolean'
    case 'date':
      return typeof value === 'string' && parseDate(value) === value
    case 'time':
      return typeof value === 'string' && parseTime(value) === value
    case 'timestamp':
      return typeof value === 'string' && parseTimestamp(value) === value
    case 'timestamptz':
      return typeof value === 'string' && parseTimestamptz(value) === value
    case 'json':
      return !(value instanceof Uint8Array) && typeof value !== 'bigint'
    case 'bytes':
      return value instanceof Uint8Array
    case 'uuid':
      return typeof value === 'string' && UUID_TEXT.test(value) && value === value.toLowerCase() && value.length === 36
  }
}
