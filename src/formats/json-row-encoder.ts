/**
 * Row to JSON object text, exact for every type (schema.ts): bigint as its digits and decimal as JSON
 * number text (both exact, since the text is written as is; `decimalsAsStrings` writes decimals as
 * strings for readers that would round them), bytes in base64, json values embedded as JSON,
 * temporal values and uuids as their stored strings, NaN and infinities as the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"` (JSON has no such numbers), NULL as `null`.
 */
import type { Column, LogicalType, Row, Value } from '../core/schema.js'
import { formatValue, toJsonValue } from '../core/values.js'

export interface JsonRowEncoderOptions {
  readonly decimalsAsStrings?: boolean
}

/** Characters JSON.stringify escapes (any surrogate, to keep lone ones right); other strings are quoted as they are, which is faster. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/** Appends a non-NULL value's JSON text to `parts`. */
type FieldEncoder = (value: Exclude<Value, null>, parts: string[]) => void

/** Stored forms of these types never hold a character JSON escapes. */
const PLAIN_STRING_TYPES: ReadonlySet<LogicalType> = new Set<LogicalType>(['date', 'time', 'timestamp', 'timestamptz', 'uuid'])

/**
 * Encoders push pieces into an array that the caller joins (OutputBuffer), rather than concatenating:
 * measured here, per-row string concatenation made most of a JSON Lines run's garbage.
 */
export class JsonRowEncoder {
  private readonly encoders: FieldEncoder[]
  /** Whether a string value of the column may be written bare between quotes held in the prefixes. */
  private readonly isQuotable: boolean[]
  /** Whether such a string never needs escaping (temporal values, uuids). */
  private readonly isPlain: boolean[]
  /**
   * `{"a":` / `,"b":`, in four forms: after a value that needs no closing quote or one that does,
   * before a value that gets its own text or one written bare inside an opening quote. Merging the
   * quotes into the prefixes halves the pieces of a row.
   */
  private readonly prefix: string[]
  private readonly prefixOpen: string[]
  private readonly closePrefix: string[]
  private readonly closePrefixOpen: string[]

  constructor(columns: readonly Pick<Column, 'name' | 'type'>[], options: JsonRowEncoderOptions = {}) {
    const prefixes = columns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`)
    this.prefix = prefixes
    this.prefixOpen = prefixes.map((prefix) => `${prefix}"`)
    this.closePrefix = prefixes.map((prefix) => `"${prefix}`)
    this.closePrefixOpen = prefixes.map((prefix) => `"${prefix}"`)
    this.encoders = columns.map((column) => fieldEncoder(column.type, options))
    this.isPlain = columns.map((column) => PLAIN_STRING_TYPES.has(column.type) || (column.type === 'decimal' && options.decimalsAsStrings === true))
    this.isQuotable = columns.map((column, i) => column.type === 'string' || this.isPlain[i])
  }

  /** Appends the row as one JSON object, without a line end. */
  encodeInto(row: Row, parts: string[]): void {
    const count = this.encoders.length
    if (count === 0) {
      parts.push('{}')
      return
    }
    let isOpen = false
    for (let c = 0; c < count; c++) {
      const value = row[c]
      if (typeof value === 'string' && this.isQuotable[c] && (this.isPlain[c] || !NEEDS_ESCAPE.test(value))) {
        parts.push(isOpen ? this.closePrefixOpen[c] : this.prefixOpen[c], value)
        isOpen = true
        continue
      }
      parts.push(isOpen ? this.closePrefix[c] : this.prefix[c])
      isOpen = false
      if (value === null || value === undefined) parts.push('null')
      else this.encoders[c](value, parts)
    }
    parts.push(isOpen ? '"}' : '}')
  }

  /** The row as one JSON object, without a line end. */
  encode(row: Row): string {
    const parts: string[] = []
    this.encodeInto(row, parts)
    return parts.join('')
  }
}

function fieldEncoder(type: LogicalType, options: JsonRowEncoderOptions): FieldEncoder {
  if (PLAIN_STRING_TYPES.has(type)) {
    return (value, parts) => {
      if (typeof value === 'string') parts.push('"', value, '"')
      else parts.push(anyValue(value))
    }
  }
  switch (type) {
    case 'string':
      return (value, parts) => {
        if (typeof value !== 'string') parts.push(anyValue(value))
        else if (NEEDS_ESCAPE.test(value)) parts.push(JSON.stringify(value))
        else parts.push('"', value, '"')
      }
    case 'int':
    case 'float':
      return (value, parts) => {
        parts.push(typeof value === 'number' && Number.isFinite(value) ? String(value) : anyValue(value))
      }
    case 'bigint':
      return (value, parts) => {
        parts.push(typeof value === 'bigint' ? value.toString() : anyValue(value))
      }
    case 'decimal':
      if (options.decimalsAsStrings) {
        return (value, parts) => {
          if (typeof value === 'string') parts.push('"', value, '"')
          else parts.push(anyValue(value))
        }
      }
      return (value, parts) => {
        parts.push(typeof value === 'string' ? value : anyValue(value))
      }
    case 'bool':
      return (value, parts) => {
        parts.push(value === true ? 'true' : value === false ? 'false' : anyValue(value))
      }
    case 'json':
      return (value, parts) => {
        parts.push(typeof value === 'bigint' || value instanceof Uint8Array ? anyValue(value) : JSON.stringify(value))
      }
    default:
      return (value, parts) => {
        parts.push(anyValue(value))
      }
  }
}

/** Any value, whatever its column type says: exact digits for bigints, toJsonValue otherwise. */
function anyValue(value: Exclude<Value, null>): string {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(formatValue(value))
  return JSON.stringify(toJsonValue(value))
}
