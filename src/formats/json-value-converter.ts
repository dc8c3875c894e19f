/**
 * A value parsed from JSON (exact-json.ts) to the in-memory form of a column's type. Text formats
 * and JSON agree: a scalar converts as its JSON text would with parseValue (`"42"` and `42` both
 * make an int 42; `1.5` is not an int), so nothing is rounded or truncated without an error.
 * Specific to JSON: bytes are base64 strings (what JsonRowEncoder writes), a json column takes
 * any value as it is, and a string column takes an object or array as its JSON text.
 */
import { RecordError } from '../core/errors.js'
import type { Value } from '../core/schema.js'
import { castValue, type CastTarget } from '../core/values.js'
import { ExactNumber } from './exact-json.js'
import { textValueParser } from './text-value-parser.js'

export type JsonValueConverter = (value: unknown) => Value

const INT_MIN = -2147483648
const INT_MAX = 2147483647
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/

export function jsonValueConverter(target: CastTarget): JsonValueConverter {
  const fromText = textValueParser(target)
  const fromScalar = (value: unknown): Value => {
    switch (typeof value) {
      case 'string':
        return fromText(value)
      case 'number':
      case 'boolean':
      case 'bigint':
        return fromText(String(value))
      default:
        if (value instanceof ExactNumber) return fromText(value.text)
        // An object or array where a scalar is expected: castValue reports it as invalid for the column.
        return castValue(value as Value, target, 'json')
    }
  }
  switch (target.type) {
    case 'string':
      return (value) => {
        if (value === null || value === undefined) return null
        if (typeof value === 'string') return value
        if (typeof value === 'object' && !(value instanceof ExactNumber)) return JSON.stringify(value)
        return fromScalar(value)
      }
    case 'int':
      return (value) => {
        if (value === null || value === undefined) return null
        if (typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX) return value
        return fromScalar(value)
      }
    case 'float':
      return (value) => {
        if (value === null || value === undefined) return null
        if (typeof value === 'number') return value
        if (value instanceof ExactNumber || typeof value === 'bigint') return Number(value instanceof ExactNumber ? value.text : value)
        return fromScalar(value)
      }
    case 'bigint':
      return (value) => {
        if (value === null || value === undefined) return null
        if (typeof value === 'bigint') return castValue(value, target)
        if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
        return fromScalar(value)
      }
    case 'bool':
      return (value) => {
        if (value === null || value === undefined) return null
        if (typeof value === 'boolean') return value
        return fromScalar(value)
      }
    case 'json':
      return (value) => {
        if (value === null || value === undefined) return null
        if (value instanceof ExactNumber) return Number(value.text)
        if (typeof value === 'bigint') return castValue(value, target)
        return value as Value
      }
    case 'bytes':
      return (value) => {
        if (value === null || value === undefined) return null
        if (typeof value === 'string' && BASE64.test(value)) return Buffer.from(value, 'base64')
        const where = target.name === undefined ? '' : ` for column "${target.name}"`
        const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value) : typeof value
        throw new RecordError('value.invalid', `invalid bytes (base64 expected) ${shown}${where}`, { column: target.name })
      }
    default:
      return (value) => (value === null || value === undefined ? null : fromScalar(value))
  }
}
