/**
 * Columns of JSON records from a sample: keys in the order they first appear, types from the values
 * (core's `typeOfValue`), widened across records: int with float is float, int with bigint is
 * bigint, any number with an exact number (exact-json.ts) or a bigint with a float is decimal;
 * objects, arrays and mixed kinds (a string here, a number there) make a json column, which keeps
 * every value as it is. A column with only NULLs in the sample is json as well. Strings stay strings
 * (no date detection: JSON has no date type; declare `columns` for temporal types).
 */
import type { Column, LogicalType, Schema, Value } from '../core/schema.js'
import { typeOfValue } from '../core/values.js'
import { ExactNumber } from './exact-json.js'

export function inferJsonSchema(records: readonly unknown[]): Schema {
  const types = new Map<string, LogicalType | undefined>()
  for (const record of records) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) continue
    for (const [key, value] of Object.entries(record)) {
      const kind = kindOf(value)
      const known = types.get(key)
      if (!types.has(key)) types.set(key, kind)
      else if (kind !== undefined) types.set(key, known === undefined ? kind : widen(known, kind))
    }
  }
  const columns: Column[] = [...types].map(([name, type]) => ({ name, type: type ?? 'json' }))
  return { columns }
}

function kindOf(value: unknown): LogicalType | undefined {
  if (value instanceof ExactNumber) return 'decimal'
  return typeOfValue(value as Value)
}

const NUMERIC: ReadonlySet<LogicalType> = new Set<LogicalType>(['int', 'bigint', 'float', 'decimal'])

function widen(a: LogicalType, b: LogicalType): LogicalType {
  if (a === b) return a
  if (NUMERIC.has(a) && NUMERIC.has(b)) {
    if (a === 'decimal' || b === 'decimal') return 'decimal'
    if (a === 'int') return b
    if (b === 'int') return a
    // bigint with float: only decimal holds both exactly.
    return 'decimal'
  }
  return 'json'
}
