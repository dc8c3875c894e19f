/**
 * Fustor values (core/schema.ts) to what better-sqlite3 binds: number, bigint, string, Buffer or
 * null. Most types bind as they are held (decimals, temporals and UUIDs are already their stored
 * text; SQLite converts the number of an int into an INTEGER by the column's affinity); booleans
 * become 0/1, JSON its text, a Uint8Array a Buffer over the same memory.
 *
 * A float NaN is refused (a RecordError naming the column): SQLite would store it as NULL, a value
 * silently changed (invariant 3).
 *
 * Encoding is the write path's per-row loop, so the encoder of a column list is generated code
 * (formats/generated-code.ts, as the CSV writer's): one straight line per column, no per-field calls
 * for the types that bind as they are.
 */
import { RecordError } from '../../core/errors.js'
import type { Column, Row, Value } from '../../core/schema.js'
import { generatedFactory } from '../../formats/generated-code.js'

/** Writes the bindable values of `row` into `params` from index `at`. Throws RecordError for a NaN float. */
export type RowEncoder = (row: Row, params: unknown[], at: number) => void

export function rowEncoder(columns: readonly Column[]): RowEncoder {
  const lines = columns.map((column, i) => encodeLine(column, i))
  const body = `return function encodeRow(row, params, at) {\n  let v\n  ${lines.join('\n  ')}\n}`
  const factory = generatedFactory(['toBuffer', 'notANumber', 'names'], body) as (
    toBuffer: (value: Uint8Array) => Buffer,
    notANumber: (name: string) => never,
    names: readonly string[],
  ) => RowEncoder
  return factory(bufferOf, refuseNotANumber, columns.map((column) => column.name))
}

function encodeLine(column: Column, i: number): string {
  const get = `v = row[${i}]; params[at + ${i}] =`
  switch (column.type) {
    case 'bool':
      return `${get} v === null ? null : v ? 1 : 0`
    case 'json':
      return `${get} v === null ? null : JSON.stringify(v)`
    case 'bytes':
      return `${get} v === null || Buffer.isBuffer(v) ? v : toBuffer(v)`
    case 'float':
      // Only NaN differs from itself.
      return `${get} v !== v ? notANumber(names[${i}]) : v`
    default:
      return `params[at + ${i}] = row[${i}]`
  }
}

function bufferOf(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function refuseNotANumber(name: string): never {
  throw new RecordError('sqlite.nan', `column "${name}" is NaN, which SQLite cannot store (it would become NULL)`, { column: name })
}

/**
 * A query parameter as better-sqlite3 binds it. An integral number binds as an INTEGER (a BigInt),
 * as the same number written in the SQL would: a REAL 5.0 compared with a TEXT column reads `5.0`.
 */
export function bindableParameter(value: Value): unknown {
  if (value === null) return null
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? BigInt(value) : value
    case 'boolean':
      return value ? 1n : 0n
    case 'object':
      if (value instanceof Uint8Array) return bufferOf(value)
      return JSON.stringify(value)
    default:
      return value
  }
}

export function bindableParameters(values: readonly Value[]): unknown[] {
  return values.map(bindableParameter)
}
