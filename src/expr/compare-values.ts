/**
 * Comparisons that the generated code does not inline: exact decimals, timestamptz, and values of two
 * different types. Every function takes non-null values in their stored form (core/schema.ts) and
 * returns a negative number, zero or a positive number.
 *
 * The rules (docs/expressions.md "Comparisons"):
 * - numbers compare by value across int, bigint, decimal (exactly) and float (as doubles);
 * - a string against another type is read as that type when it can be (`'10' > 9` compares 10 with 9),
 *   and otherwise both compare as text (`'abc' > 9` compares 'abc' with '9');
 * - date, timestamp and timestamptz compare on one time line: a date is its midnight, a timestamp
 *   without zone is taken as UTC;
 * - json compares through its scalar value (a JSON string as a string, a number as a number...).
 */
import { normalizeDecimal } from '../core/decimal.js'
import type { LogicalType, Value } from '../core/schema.js'
import { parseDate, parseTime, parseTimestamp, parseTimestamptz } from '../core/temporal.js'
import { formatValue, parseValue } from '../core/values.js'
import type { ExprType } from './typed-node.js'

const NUMERIC_TYPES: ReadonlySet<ExprType> = new Set(['int', 'bigint', 'decimal', 'float'])
const DATETIME_TYPES: ReadonlySet<ExprType> = new Set(['date', 'timestamp', 'timestamptz'])

export function isNumericType(type: ExprType): boolean {
  return NUMERIC_TYPES.has(type)
}

export function isDatetimeType(type: ExprType): boolean {
  return DATETIME_TYPES.has(type)
}

/** Whether values of two static types may be compared (the type checker's rule). */
export function isComparable(a: ExprType, b: ExprType): boolean {
  if (a === 'null' || b === 'null' || a === b) return true
  if (a === 'bytes' || b === 'bytes') return false
  if (a === 'json' || b === 'json' || a === 'string' || b === 'string') return true
  if (NUMERIC_TYPES.has(a) && NUMERIC_TYPES.has(b)) return true
  return DATETIME_TYPES.has(a) && DATETIME_TYPES.has(b)
}

/**
 * Compares two stored decimals exactly, without BigInt: by sign, then integer digits, then fraction
 * digits. Relies on the stored form: no `+`, no leading zeros, zero never negative.
 */
export function compareDecimalText(a: string, b: string): number {
  if (a === b) return 0
  const isNegativeA = a.charCodeAt(0) === 45
  const isNegativeB = b.charCodeAt(0) === 45
  if (isNegativeA !== isNegativeB) return isNegativeA ? -1 : 1
  const magnitude = compareMagnitude(a, isNegativeA ? 1 : 0, b, isNegativeB ? 1 : 0)
  return isNegativeA ? -magnitude : magnitude
}

function compareMagnitude(a: string, startA: number, b: string, startB: number): number {
  let pointA = a.indexOf('.', startA)
  if (pointA < 0) pointA = a.length
  let pointB = b.indexOf('.', startB)
  if (pointB < 0) pointB = b.length
  const integerDigitsA = pointA - startA
  const integerDigitsB = pointB - startB
  if (integerDigitsA !== integerDigitsB) return integerDigitsA - integerDigitsB
  for (let i = 0; i < integerDigitsA; i++) {
    const difference = a.charCodeAt(startA + i) - b.charCodeAt(startB + i)
    if (difference !== 0) return difference
  }
  const fractionDigits = Math.max(a.length - pointA, b.length - pointB) - 1
  for (let i = 1; i <= fractionDigits; i++) {
    const digitA = pointA + i < a.length ? a.charCodeAt(pointA + i) : 48
    const digitB = pointB + i < b.length ? b.charCodeAt(pointB + i) : 48
    if (digitA !== digitB) return digitA - digitB
  }
  return 0
}

/** Stored timestamptz strings do not sort as text when only one has a fraction (`...:00Z` > `...:00.5Z`). */
export function compareTimestamptz(a: string, b: string): number {
  if (a.length === b.length) return a < b ? -1 : a > b ? 1 : 0
  const x = a.slice(0, -1)
  const y = b.slice(0, -1)
  return x < y ? -1 : x > y ? 1 : 0
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Two values of the same type. */
export function compareSame(a: Value, b: Value, type: ExprType): number {
  switch (type) {
    case 'decimal':
      return compareDecimalText(a as string, b as string)
    case 'timestamptz':
      return compareTimestamptz(a as string, b as string)
    case 'bool':
      return Number(a) - Number(b)
    case 'bytes':
      return Buffer.compare(a as Uint8Array, b as Uint8Array)
    case 'json':
      return compareMixed(a, 'json', b, 'json')
    default:
      return (a as string | number | bigint) < (b as string | number | bigint) ? -1 : (a as string | number | bigint) > (b as string | number | bigint) ? 1 : 0
  }
}

function decimalText(value: Value, type: ExprType): string {
  return type === 'decimal' ? (value as string) : String(value)
}

function compareNumbers(a: Value, typeA: ExprType, b: Value, typeB: ExprType): number {
  if (typeA === 'float' || typeB === 'float') {
    const x = Number(a)
    const y = Number(b)
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeA === 'decimal' || typeB === 'decimal') return compareDecimalText(decimalText(a, typeA), decimalText(b, typeB))
  // int and bigint: JavaScript compares number and bigint exactly.
  const x = a as number | bigint
  const y = b as number | bigint
  return x < y ? -1 : x > y ? 1 : 0
}

/** Midnight for a date, UTC for a timestamp: the stored timestamptz form, for comparison. */
function asTimestamptz(value: string, type: ExprType): string {
  if (type === 'date') return `${value}T00:00:00Z`
  if (type === 'timestamp') return `${value}Z`
  return value
}

const NUMBER_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/

/** Reads text as a value of `type`, or undefined when it is not one (never throws). */
function readTextAs(text: string, type: ExprType): Value | undefined {
  switch (type) {
    case 'int':
    case 'bigint':
    case 'decimal':
      return NUMBER_TEXT.test(text) ? normalizeDecimal(text) : undefined
    case 'float':
      return NUMBER_TEXT.test(text) ? Number(text) : undefined
    case 'date':
      return parseDate(text)
    case 'time':
      return parseTime(text)
    case 'timestamp':
      return parseTimestamp(text)
    case 'timestamptz':
      return parseTimestamptz(text)
    case 'bool':
    case 'uuid':
      try {
        return parseValue(text.trim(), type)
      } catch {
        return undefined
      }
    default:
      return undefined
  }
}

/** Text against a non-text value: as that type if the text reads as one, else as text. */
function compareTextWith(text: string, value: Value, type: ExprType): number {
  const read = readTextAs(text, type)
  if (read === undefined) return compareText(text, value === null ? '' : formatValue(value))
  switch (type) {
    case 'int':
    case 'bigint':
    case 'decimal':
      return compareDecimalText(read as string, decimalText(value, type))
    default:
      return compareSame(read, value, type)
  }
}

/** A JSON value as the scalar it holds, with that scalar's type. */
function fromJson(value: Value): [Value, ExprType] {
  switch (typeof value) {
    case 'string':
      return [value, 'string']
    case 'number':
      return [value, 'float']
    case 'boolean':
      return [value, 'bool']
    default:
      return [JSON.stringify(value), 'string']
  }
}

/** Any two non-null values whose types isComparable accepts. */
export function compareMixed(a: Value, typeA: ExprType, b: Value, typeB: ExprType): number {
  if (typeA === 'json') {
    const [value, type] = fromJson(a)
    return compareMixed(value, type, b, typeB)
  }
  if (typeB === 'json') {
    const [value, type] = fromJson(b)
    return compareMixed(a, typeA, value, type)
  }
  if (typeA === typeB) return compareSame(a, b, typeA)
  if (typeA === 'string') return compareTextWith(a as string, b, typeB)
  if (typeB === 'string') return -compareTextWith(b as string, a, typeA)
  if (NUMERIC_TYPES.has(typeA) && NUMERIC_TYPES.has(typeB)) return compareNumbers(a, typeA, b, typeB)
  if (DATETIME_TYPES.has(typeA) && DATETIME_TYPES.has(typeB)) {
    return compareTimestamptz(asTimestamptz(a as string, typeA), asTimestamptz(b as string, typeB))
  }
  throw new TypeError(`cannot compare ${typeA as LogicalType} with ${typeB as LogicalType}`)
}
