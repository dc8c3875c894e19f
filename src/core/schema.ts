/**
 * Schema: the columns of a batch, each with a logical type. Rows are arrays of values in schema order.
 *
 * How each logical type is held in memory (every component reads and writes these, nothing else):
 *
 * | type        | JavaScript value                                                                  |
 * |-------------|-----------------------------------------------------------------------------------|
 * | string      | string                                                                            |
 * | int         | number, an integer in the signed 32-bit range                                     |
 * | bigint      | bigint, signed 64-bit range                                                       |
 * | decimal     | string in plain notation (`-12.50`), exact; scale kept as written               |
 * | float       | number (IEEE double)                                                              |
 * | bool        | boolean                                                                           |
 * | date        | string `YYYY-MM-DD`                                                               |
 * | time        | string `HH:MM:SS` or `HH:MM:SS.f` (1-6 fraction digits, trailing zeros removed)    |
 * | timestamp   | string `YYYY-MM-DDTHH:MM:SS[.f]` (no zone; fraction as for time)                  |
 * | timestamptz | string `YYYY-MM-DDTHH:MM:SS[.f]Z`, always converted to UTC                         |
 * | json        | any JSON value as parsed (object, array, string, number, boolean)                |
 * | bytes       | Uint8Array (a Buffer is one)                                                      |
 * | uuid        | string, lowercase canonical `8-4-4-4-12`                                           |
 *
 * NULL is `null` for every type. Temporal values are normalized strings so that they survive every
 * format exactly (microseconds included). Dates, times and zone-less timestamps compare correctly as
 * strings within one type; timestamptz strings do not (`...00Z` sorts after `...00.5Z`): compare them
 * with `toEpochMicros` (temporal.ts), as the expression language does.
 */

export const LOGICAL_TYPES = [
  'string',
  'int',
  'bigint',
  'decimal',
  'float',
  'bool',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'json',
  'bytes',
  'uuid',
] as const

export type LogicalType = (typeof LOGICAL_TYPES)[number]

export type Value = string | number | bigint | boolean | Uint8Array | JsonObject | JsonArray | null

export type JsonValue = string | number | boolean | null | JsonObject | JsonArray
export interface JsonObject {
  [key: string]: JsonValue
}
export type JsonArray = JsonValue[]

export type Row = Value[]

export interface Column {
  readonly name: string
  readonly type: LogicalType
  /** false when the source guarantees no NULLs; absent means nullable. */
  readonly nullable?: boolean
  /** decimal: total digits. */
  readonly precision?: number
  /** decimal: digits after the point. */
  readonly scale?: number
}

export interface Schema {
  readonly columns: readonly Column[]
  /** Names of the primary-key columns, when the source knows them. */
  readonly primaryKey?: readonly string[]
}

const TYPE_ALIASES: Readonly<Record<string, LogicalType>> = {
  string: 'string',
  text: 'string',
  varchar: 'string',
  int: 'int',
  integer: 'int',
  int32: 'int',
  bigint: 'bigint',
  long: 'bigint',
  int64: 'bigint',
  decimal: 'decimal',
  numeric: 'decimal',
  float: 'float',
  double: 'float',
  real: 'float',
  bool: 'bool',
  boolean: 'bool',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  datetime: 'timestamp',
  timestamptz: 'timestamptz',
  json: 'json',
  bytes: 'bytes',
  binary: 'bytes',
  uuid: 'uuid',
}

/** Type names accepted in configs, aliases included, for schemas and messages. */
export const TYPE_NAMES: readonly string[] = Object.keys(TYPE_ALIASES)

export interface ParsedTypeName {
  readonly type: LogicalType
  readonly precision?: number
  readonly scale?: number
}

/**
 * Parses a type name as users write it in configs: `int`, `integer`, `decimal(10,2)`, `timestamptz`.
 * Returns undefined for an unknown name (callers raise a ConfigError naming their place).
 */
export function parseTypeName(name: string): ParsedTypeName | undefined {
  const match = /^\s*([a-z0-9_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(name)
  if (!match) return undefined
  const type = TYPE_ALIASES[match[1].toLowerCase()]
  if (!type) return undefined
  if (match[2] === undefined) return { type }
  if (type !== 'decimal') return undefined
  const precision = Number(match[2])
  const scale = match[3] === undefined ? 0 : Number(match[3])
  if (precision < 1 || scale > precision) return undefined
  return { type, precision, scale }
}

/** `decimal(10,2)`, `int`: the name a column's type is shown with. */
export function formatType(column: Pick<Column, 'type' | 'precision' | 'scale'>): string {
  if (column.type === 'decimal' && column.precision !== undefined) {
    return `decimal(${column.precision},${column.scale ?? 0})`
  }
  return column.type
}

export function schemaOf(columns: readonly Column[], primaryKey?: readonly string[]): Schema {
  return primaryKey ? { columns, primaryKey } : { columns }
}

/** Index of a column by name, or -1. Names are case-sensitive, as in the sources they come from. */
export function columnIndex(schema: Schema, name: string): number {
  const columns = schema.columns
  for (let i = 0; i < columns.length; i++) if (columns[i].name === name) return i
  return -1
}

export function columnNames(schema: Schema): string[] {
  return schema.columns.map((column) => column.name)
}

/** Two schemas with the same columns (names, types, type parameters) in the same order. */
export function sameSchema(a: Schema, b: Schema): boolean {
  if (a === b) return true
  if (a.columns.length !== b.columns.length) return false
  for (let i = 0; i < a.columns.length; i++) {
    const x = a.columns[i]
    const y = b.columns[i]
    if (x.name !== y.name || x.type !== y.type || x.precision !== y.precision || x.scale !== y.scale) return false
  }
  return true
}

/** A row as an object keyed by column name (for JSON output, messages and the dead-letter record). */
export function rowToObject(schema: Schema, row: Row): Record<string, Value> {
  const object: Record<string, Value> = {}
  const columns = schema.columns
  for (let i = 0; i < columns.length; i++) object[columns[i].name] = row[i] ?? null
  return object
}
