/**
 * SQLite column types to Fustor's logical types and back; docs/types/sqlite.md has the table.
 *
 * SQLite has no column types: a column has a declared type name, any text at all, from which SQLite
 * derives an affinity (https://sqlite.org/datatype3.html §3.1: `INT` in the name gives INTEGER;
 * `CHAR`, `CLOB` or `TEXT` gives TEXT; `BLOB` or no name gives BLOB; `REAL`, `FLOA` or `DOUB` gives
 * REAL; anything else NUMERIC), and the affinity only nudges how a value is stored. The declared
 * name is what tells what the column is meant to hold, so the common names are recognized first
 * (`BOOLEAN`, `DATE`, `TIMESTAMP`, `JSON`, `UUID`, `DECIMAL(10,2)`...) and SQLite's affinity rules
 * decide the rest.
 *
 * Integers: SQLite's are 64-bit whatever the name, so `INTEGER` and `BIGINT` are bigint (exact);
 * `INT` (and the small widths) is int, which is what Fustor creates for an int column, so that a
 * table Fustor made reads back with the types it was made from.
 *
 * Decimals: a `DECIMAL(p,s)` column has NUMERIC affinity, so SQLite turns the text `12.50` into the
 * REAL 12.5 on insert, keeping 15 significant digits. Up to precision 15 that is exact (a double holds
 * any 15-digit decimal, and reading applies the declared scale again), so Fustor creates `DECIMAL(p,s)`
 * there, and SQL on the column compares numbers. Wider decimals (and decimals without precision)
 * would lose digits, so Fustor creates them as `DECIMAL_TEXT(p,s)`: TEXT affinity (the name holds
 * `TEXT`), the value stored as its exact text, recognized as a decimal when read back.
 */
import type { Column, LogicalType } from '../../core/schema.js'

/** Decimals with at most this many digits survive SQLite's conversion to REAL exactly. */
export const EXACT_REAL_DIGITS = 15

/** SQLite's column affinity (datatype3.html §3). */
export type Affinity = 'integer' | 'text' | 'blob' | 'real' | 'numeric'

/** SQLite's rules, in their order, for a declared type name. */
export function affinityOf(declaredType: string): Affinity {
  const upper = declaredType.toUpperCase()
  if (upper.includes('INT')) return 'integer'
  if (upper.includes('CHAR') || upper.includes('CLOB') || upper.includes('TEXT')) return 'text'
  if (upper.includes('BLOB') || upper.trim() === '') return 'blob'
  if (upper.includes('REAL') || upper.includes('FLOA') || upper.includes('DOUB')) return 'real'
  return 'numeric'
}

/** Declared names that say more than their affinity does, upper case, blanks collapsed, without `(...)`. */
const NAMED_TYPES: Readonly<Record<string, LogicalType>> = {
  BOOLEAN: 'bool',
  BOOL: 'bool',
  DATE: 'date',
  TIME: 'time',
  'TIME WITHOUT TIME ZONE': 'time',
  DATETIME: 'timestamp',
  TIMESTAMP: 'timestamp',
  'TIMESTAMP WITHOUT TIME ZONE': 'timestamp',
  TIMESTAMPTZ: 'timestamptz',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  JSON: 'json',
  JSONB: 'json',
  UUID: 'uuid',
  INT: 'int',
  INT2: 'int',
  INT4: 'int',
  TINYINT: 'int',
  SMALLINT: 'int',
  MEDIUMINT: 'int',
  'TINYINT UNSIGNED': 'int',
  'SMALLINT UNSIGNED': 'int',
  'MEDIUMINT UNSIGNED': 'int',
  INTEGER: 'bigint',
  BIGINT: 'bigint',
  INT8: 'bigint',
  DECIMAL: 'decimal',
  NUMERIC: 'decimal',
  DECIMAL_TEXT: 'decimal',
  BYTEA: 'bytes',
  BINARY: 'bytes',
  VARBINARY: 'bytes',
  // A STRICT table's column that takes any value: read as text, like a column without a type.
  ANY: 'string',
}

const AFFINITY_TYPES: Readonly<Record<Affinity, LogicalType>> = {
  integer: 'bigint',
  text: 'string',
  blob: 'bytes',
  real: 'float',
  numeric: 'decimal',
}

const DECLARED_TYPE = /^\s*(.*?)\s*(?:\(\s*([+-]?\d+)\s*(?:,\s*([+-]?\d+)\s*)?\))?\s*$/s

/**
 * The logical column of a declared type. `declaredType` is '' for a column declared without one
 * (a string column: it may hold anything, and text is what reads back faithfully).
 */
export function columnOfDeclaredType(name: string, declaredType: string, isNotNull: boolean): Column {
  const nullable = isNotNull ? { nullable: false } : {}
  if (declaredType.trim() === '') return { name, type: 'string', ...nullable }
  const match = DECLARED_TYPE.exec(declaredType)
  const base = (match?.[1] ?? declaredType).toUpperCase().replace(/\s+/g, ' ')
  const type = NAMED_TYPES[base] ?? AFFINITY_TYPES[affinityOf(declaredType)]
  if (type !== 'decimal' || match?.[2] === undefined) return { name, type, ...nullable }
  const precision = Number(match[2])
  const scale = match[3] === undefined ? 0 : Number(match[3])
  // A precision SQLite accepts but no database means (`DECIMAL(0)`, scale above precision): unbounded.
  if (precision < 1 || scale < 0 || scale > precision) return { name, type, ...nullable }
  return { name, type, precision, scale, ...nullable }
}

/**
 * The logical type of a result column without a declared type, from the storage class of a value
 * read with `safeIntegers` (so that an INTEGER is a bigint and a number is a REAL).
 */
export function typeOfStoredValue(value: unknown): LogicalType {
  switch (typeof value) {
    case 'bigint':
      return 'bigint'
    case 'number':
      return 'float'
    case 'object':
      return value instanceof Uint8Array ? 'bytes' : 'string'
    default:
      return 'string'
  }
}

/** The storage class SQLite's `typeof()` prints, for a value read with `safeIntegers`. */
export function storageClassOf(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return 'integer'
    case 'number':
      return 'real'
    case 'string':
      return 'text'
    case 'object':
      return value === null ? 'null' : 'blob'
    default:
      return 'null'
  }
}

/** The declared type Fustor creates a column with (docs/types/sqlite.md). */
export function sqliteColumnType(column: Column): string {
  switch (column.type) {
    case 'string':
      return 'TEXT'
    case 'int':
      return 'INT'
    case 'bigint':
      return 'BIGINT'
    case 'decimal': {
      if (column.precision === undefined) return 'DECIMAL_TEXT'
      const parameters = `(${column.precision},${column.scale ?? 0})`
      return column.precision <= EXACT_REAL_DIGITS ? `DECIMAL${parameters}` : `DECIMAL_TEXT${parameters}`
    }
    case 'float':
      return 'REAL'
    case 'bool':
      return 'BOOLEAN'
    case 'date':
      return 'DATE'
    case 'time':
      return 'TIME'
    case 'timestamp':
      return 'TIMESTAMP'
    case 'timestamptz':
      return 'TIMESTAMPTZ'
    case 'json':
      return 'JSON'
    case 'bytes':
      return 'BLOB'
    case 'uuid':
      return 'UUID'
  }
}

/**
 * Whether reading a column needs integers as BigInt (better-sqlite3's `safeIntegers`, which holds for
 * a whole statement): a bigint column; a wide decimal, whose INTEGER values may pass 2^53; a string
 * column without TEXT affinity, which may hold any INTEGER, printed exactly.
 */
export function needsExactIntegers(column: Column, nativeType: string): boolean {
  switch (column.type) {
    case 'bigint':
      return true
    case 'decimal':
      return column.precision === undefined || column.precision > EXACT_REAL_DIGITS
    case 'string':
      return affinityOf(nativeType) !== 'text'
    default:
      return false
  }
}
