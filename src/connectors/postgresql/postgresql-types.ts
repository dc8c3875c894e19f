/**
 * PostgreSQL types and Fustor's logical types, both ways (docs/types/postgresql.md has the table).
 *
 * A result column arrives as a type OID and a type modifier. The built-in OIDs are fixed by
 * PostgreSQL (pg_type.dat), so they map without a round trip; any other OID (an enum, a domain, an
 * extension's type such as citext, an array of one of those) is looked up once per connection in
 * pg_type (PostgresqlConnection.typesOf): a domain maps as its base type, an array as json, anything
 * else as string.
 *
 * Each column gets a `ValueKind`: how the decoder turns the column's text into a value. Kinds are
 * small integers so that the `switch` of decodeText is a jump table (the COPY decoder generates code
 * per kind instead, copy-text-decoder.ts).
 */
import type { Column, LogicalType } from '../../core/schema.js'
import type { ColumnInfo } from '../../sql/driver.js'

/** A column as the decoders need it (copy-text-decoder.ts). */
export interface DecodeColumn {
  readonly name: string
  readonly kind: ValueKind
  /** Arrays: the kind of their elements. */
  readonly elementKind?: ValueKind
}

/** How a column's text becomes a Fustor value (copy-text-decoder.ts). */
export const ValueKind = {
  /** Kept as PostgreSQL prints it: text, varchar, char, enum, citext, inet, interval, bit... */
  text: 0,
  int: 1,
  bigint: 2,
  decimal: 3,
  float: 4,
  bool: 5,
  date: 6,
  time: 7,
  /** `time with time zone`, converted to the UTC time of day. */
  timetz: 8,
  timestamp: 9,
  timestamptz: 10,
  json: 11,
  bytes: 12,
  uuid: 13,
  /** Any array: parsed from its literal into a JSON array (array-literal.ts). */
  array: 14,
} as const
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind]

/** Built-in type OIDs (PostgreSQL's src/include/catalog/pg_type.dat). */
export const Oid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const

/** What a column's type is, once domains are resolved to their base type. */
export interface PgTypeInfo {
  readonly kind: ValueKind
  /** Arrays: the kind of their elements. */
  readonly elementKind?: ValueKind
  /** The logical type of a column of this type. */
  readonly logical: LogicalType
  /** int2, int4, int8 (and domains over them): columns that can define ranges for parallel reads. */
  readonly isInteger: boolean
  /** The type modifier of a domain's base type (`numeric(10,2)` under a domain), when the domain has one. */
  readonly baseTypmod?: number
}

const BUILTIN_KINDS: ReadonlyMap<number, ValueKind> = new Map<number, ValueKind>([
  [Oid.bool, ValueKind.bool],
  [Oid.bytea, ValueKind.bytes],
  [Oid.int8, ValueKind.bigint],
  [Oid.int2, ValueKind.int],
  [Oid.int4, ValueKind.int],
  [Oid.json, ValueKind.json],
  [Oid.jsonb, ValueKind.json],
  [Oid.float4, ValueKind.float],
  [Oid.float8, ValueKind.float],
  [Oid.numeric, ValueKind.decimal],
  [Oid.date, ValueKind.date],
  [Oid.time, ValueKind.time],
  [Oid.timetz, ValueKind.timetz],
  [Oid.timestamp, ValueKind.timestamp],
  [Oid.timestamptz, ValueKind.timestamptz],
  [Oid.uuid, ValueKind.uuid],
  [Oid.text, ValueKind.text],
  [Oid.varchar, ValueKind.text],
  [Oid.bpchar, ValueKind.text],
  [Oid.name, ValueKind.text],
  [Oid.char, ValueKind.text],
])

/** Arrays of built-in types: array OID -> element OID. */
const BUILTIN_ARRAYS: ReadonlyMap<number, number> = new Map([
  [1000, Oid.bool],
  [1001, Oid.bytea],
  [1002, Oid.char],
  [1003, Oid.name],
  [1005, Oid.int2],
  [1007, Oid.int4],
  [1009, Oid.text],
  [1014, Oid.bpchar],
  [1015, Oid.varchar],
  [1016, Oid.int8],
  [1021, Oid.float4],
  [1022, Oid.float8],
  [1115, Oid.timestamp],
  [1182, Oid.date],
  [1183, Oid.time],
  [1185, Oid.timestamptz],
  [1231, Oid.numeric],
  [1270, Oid.timetz],
  [199, Oid.json],
  [3807, Oid.jsonb],
  [2951, Oid.uuid],
])

/** The logical type values of a kind are read as. */
export const LOGICAL_OF_KIND: Readonly<Record<ValueKind, LogicalType>> = {
  [ValueKind.text]: 'string',
  [ValueKind.int]: 'int',
  [ValueKind.bigint]: 'bigint',
  [ValueKind.decimal]: 'decimal',
  [ValueKind.float]: 'float',
  [ValueKind.bool]: 'bool',
  [ValueKind.date]: 'date',
  [ValueKind.time]: 'time',
  [ValueKind.timetz]: 'time',
  [ValueKind.timestamp]: 'timestamp',
  [ValueKind.timestamptz]: 'timestamptz',
  [ValueKind.json]: 'json',
  [ValueKind.bytes]: 'bytes',
  [ValueKind.uuid]: 'uuid',
  [ValueKind.array]: 'json',
}

function infoOfKind(kind: ValueKind, elementKind?: ValueKind): PgTypeInfo {
  return { kind, elementKind, logical: LOGICAL_OF_KIND[kind], isInteger: kind === ValueKind.int || kind === ValueKind.bigint }
}

const TEXT_INFO = infoOfKind(ValueKind.text)

/** The type of a built-in OID, or undefined when the catalog must be asked. */
export function builtinType(oid: number): PgTypeInfo | undefined {
  const kind = BUILTIN_KINDS.get(oid)
  if (kind !== undefined) return infoOfKind(kind)
  const element = BUILTIN_ARRAYS.get(oid)
  if (element !== undefined) return infoOfKind(ValueKind.array, BUILTIN_KINDS.get(element) ?? ValueKind.text)
  // Built-in types below 10000 that are not listed map to strings: interval, money, inet, bit, xml...
  return oid < 10000 ? TEXT_INFO : undefined
}

/** A pg_type row, as PostgresqlConnection.typesOf fetches it. */
export interface PgTypeRow {
  readonly oid: number
  /** b base, d domain, e enum, c composite, r range, m multirange, p pseudo. */
  readonly typtype: string
  /** A domain's base type, else 0. */
  readonly typbasetype: number
  /** A domain's base type modifier, else -1. */
  readonly typtypmod: number
  /** An array's element type, else 0. */
  readonly typelem: number
  /** A for arrays. */
  readonly typcategory: string
}

/** The type of a non-built-in OID from its pg_type row and a way to resolve the OIDs it refers to. */
export function catalogType(row: PgTypeRow, resolve: (oid: number) => PgTypeInfo): PgTypeInfo {
  if (row.typtype === 'd' && row.typbasetype !== 0) {
    const base = resolve(row.typbasetype)
    return row.typtypmod >= 0 ? { ...base, baseTypmod: row.typtypmod } : base
  }
  if (row.typcategory === 'A' && row.typelem !== 0) return infoOfKind(ValueKind.array, resolve(row.typelem).kind)
  return TEXT_INFO
}

/**
 * Precision and scale of `numeric(p,s)` from its type modifier: ((typmod - 4) >> 16, (typmod - 4) & 0xffff),
 * the scale read as the 11-bit signed number PostgreSQL 15 stores. Undefined for a bare `numeric`
 * and for the scales Fustor's decimal cannot hold (negative, or larger than the precision).
 */
export function numericPrecision(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined
  const precision = ((typmod - 4) >> 16) & 0xffff
  const scale = ((((typmod - 4) & 0x7ff) ^ 1024) - 1024) | 0
  if (precision < 1 || scale < 0 || scale > precision) return undefined
  return { precision, scale }
}

/** The logical column of a result or table column. */
export function logicalColumn(name: string, type: PgTypeInfo, typmod: number, nullable: boolean | undefined): Column {
  const column: { name: string; type: LogicalType; nullable?: boolean; precision?: number; scale?: number } = { name, type: type.logical }
  if (nullable === false) column.nullable = false
  if (type.kind === ValueKind.decimal) {
    const digits = numericPrecision(typmod >= 0 ? typmod : (type.baseTypmod ?? -1))
    if (digits !== undefined) {
      column.precision = digits.precision
      column.scale = digits.scale
    }
  }
  return column
}

/** The PostgreSQL column type for CREATE TABLE of a logical column. */
export function columnTypeOf(column: Column): string {
  switch (column.type) {
    case 'string':
      return 'text'
    case 'int':
      return 'integer'
    case 'bigint':
      return 'bigint'
    case 'decimal':
      return column.precision === undefined ? 'numeric' : `numeric(${column.precision},${column.scale ?? 0})`
    case 'float':
      return 'double precision'
    case 'bool':
      return 'boolean'
    case 'date':
      return 'date'
    case 'time':
      return 'time'
    case 'timestamp':
      return 'timestamp'
    case 'timestamptz':
      return 'timestamptz'
    case 'json':
      return 'jsonb'
    case 'bytes':
      return 'bytea'
    case 'uuid':
      return 'uuid'
  }
}

/** The kind a logical type is written as (the encoder's switch), for columns that are not arrays. */
export function kindOfLogical(type: LogicalType): ValueKind {
  switch (type) {
    case 'string':
      return ValueKind.text
    case 'int':
      return ValueKind.int
    case 'bigint':
      return ValueKind.bigint
    case 'decimal':
      return ValueKind.decimal
    case 'float':
      return ValueKind.float
    case 'bool':
      return ValueKind.bool
    case 'date':
      return ValueKind.date
    case 'time':
      return ValueKind.time
    case 'timestamp':
      return ValueKind.timestamp
    case 'timestamptz':
      return ValueKind.timestamptz
    case 'json':
      return ValueKind.json
    case 'bytes':
      return ValueKind.bytes
    case 'uuid':
      return ValueKind.uuid
  }
}

/** How to decode a column's text: from this driver's description, or from the logical and native types. */
export function decodeColumnOf(info: ColumnInfo): DecodeColumn {
  const name = info.column.name
  const described = info as { pgKind?: ValueKind; pgElementKind?: ValueKind }
  if (described.pgKind !== undefined) return { name, kind: described.pgKind, elementKind: described.pgElementKind }
  const native = info.nativeType.toLowerCase()
  if (native.endsWith('[]')) return { name, kind: ValueKind.array, elementKind: kindOfNative(native.slice(0, -2)) }
  if (info.column.type === 'time' && (native.includes('with time zone') || native === 'timetz')) return { name, kind: ValueKind.timetz }
  return { name, kind: kindOfLogical(info.column.type) }
}

/** The kind of an array element from its type's name as format_type prints it. */
function kindOfNative(native: string): ValueKind {
  if (native === 'smallint' || native === 'integer') return ValueKind.int
  if (native === 'bigint') return ValueKind.bigint
  if (native.startsWith('numeric')) return ValueKind.decimal
  if (native === 'real' || native === 'double precision') return ValueKind.float
  if (native === 'boolean') return ValueKind.bool
  if (native === 'json' || native === 'jsonb') return ValueKind.json
  if (native === 'date') return ValueKind.date
  if (native.startsWith('timestamp')) return native.includes('with time zone') ? ValueKind.timestamptz : ValueKind.timestamp
  if (native.startsWith('time')) return native.includes('with time zone') ? ValueKind.timetz : ValueKind.time
  if (native === 'uuid') return ValueKind.uuid
  if (native === 'bytea') return ValueKind.bytes
  return ValueKind.text
}
