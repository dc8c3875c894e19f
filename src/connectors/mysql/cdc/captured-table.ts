/**
 * A table whose changes are captured: its columns and logical types as information_schema describes
 * them (the same mapping as the batch `mysql` input, `catalogColumn` of mysql-types.ts), the schema of
 * its change events, and the conversion of the row images @vlasky/zongji decodes into Fustor values,
 * so that a CDC row holds exactly what the `mysql` input reads for the same row (docs/types/mysql.md).
 *
 * What zongji hands over, with the connection options of binlog-source.ts (`dateStrings`,
 * `timezone: 'Z'`, `jsonStrings`), and what becomes of it:
 *
 *   integers          number (BIGINT: number, or exact text past 2^53)  -> int / BigInt / decimal text
 *   DECIMAL           exact text                                        -> as is
 *   FLOAT             the float32 widened to a double (1.100000023841858) -> the shortest decimal that is
 *                     the same float32 (1.1), as the server prints it
 *   DATE, DATETIME    'YYYY-MM-DD[ HH:MM:SS.ffffff]'                    -> date / timestamp (zero dates per zero_dates)
 *   TIMESTAMP         the same, in UTC                                  -> timestamptz
 *   TIME              '[-]HHH:MM:SS[.ffffff]'                           -> time of day, or a RecordError
 *   JSON              JSON text (MariaDB: LONGTEXT text)                -> parsed
 *   BIT               big-endian bytes                                  -> bool / bigint / decimal text
 *   BLOB, BINARY      Buffer (a view into the packet)                   -> a copy
 *   UUID              text                                              -> lowercase
 *   GEOMETRY          zongji's parsed points and lists ({x, y})         -> json (the batch input gives WKB bytes;
 *                     zongji does not keep them)
 */
import type { ChangeSource } from '../../../core/change-event.js'
import { changeEventSchema } from '../../../core/change-event.js'
import { RecordError } from '../../../core/errors.js'
import type { Column, Row, Schema, Value } from '../../../core/schema.js'
// Shared with the batch `mysql` input so that both read the same values (to move to a shared module:
// see README.md "Shared with the mysql connector").
import { bitsValue, mysqlDate, mysqlDatetime, mysqlTime, mysqlTimestamp } from '../mysql-row-converter.js'
import { catalogColumn, type CatalogColumn } from '../mysql-types.js'

/** A column of information_schema.COLUMNS, with what zongji needs to decode it. */
export interface DescribedColumn extends CatalogColumn {
  readonly characterSet: string | null
  readonly collation: string | null
  readonly comment: string
}

export interface TableDescription {
  readonly database: string
  readonly table: string
  readonly columns: readonly DescribedColumn[]
  readonly primaryKey: readonly string[]
}

/** zongji's column metadata (its INFORMATION_SCHEMA query's row shape). */
export interface ZongjiColumnSchema {
  readonly COLUMN_NAME: string
  readonly COLLATION_NAME: string | null
  readonly CHARACTER_SET_NAME: string | null
  readonly COLUMN_COMMENT: string
  readonly COLUMN_TYPE: string
}

export type ZeroDates = 'null' | 'error'

type Convert = (value: unknown, column: Column) => Value

const GEOMETRY_TYPES = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection'])

export class CapturedTable {
  /** The table's columns, as the batch input reads them. */
  readonly schema: Schema
  /** Schema of its change events (core/change-event.ts): one object, so batches of the table share it. */
  readonly changeSchema: Schema
  readonly source: ChangeSource
  /** `database.table`. */
  readonly name: string
  readonly zongjiColumns: readonly ZongjiColumnSchema[]
  private readonly names: readonly string[]
  private readonly converters: readonly Convert[]
  private readonly keyIndexes: readonly number[]

  constructor(description: TableDescription, zeroDates: ZeroDates) {
    const columns: Column[] = []
    const converters: Convert[] = []
    for (const described of description.columns) {
      const { column, kind } = binlogColumn(described)
      columns.push(column)
      converters.push(converter(kind, zeroDates))
    }
    const primaryKey = description.primaryKey.length > 0 ? description.primaryKey : undefined
    this.schema = primaryKey ? { columns, primaryKey } : { columns }
    this.changeSchema = changeEventSchema(this.schema)
    this.source = { connector: 'mysql_cdc', database: description.database, table: description.table }
    this.name = `${description.database}.${description.table}`
    this.names = columns.map((c) => c.name)
    this.converters = converters
    this.keyIndexes = (primaryKey ?? []).map((name) => this.names.indexOf(name))
    this.zongjiColumns = description.columns.map((c) => ({
      COLUMN_NAME: c.name,
      COLLATION_NAME: c.collation,
      CHARACTER_SET_NAME: c.characterSet,
      COLUMN_COMMENT: c.comment,
      COLUMN_TYPE: c.columnType,
    }))
  }

  /**
   * A row image (zongji's object keyed by column name) as a row of `schema`. Throws the RecordError of
   * the first value without a Fustor value (a zero date with `zero_dates: error`, a TIME past a day,
   * invalid JSON). A column the image lacks (the table changed since the event was written) is NULL.
   */
  convert(image: Readonly<Record<string, unknown>>): Row {
    const { names, converters } = this
    const columns = this.schema.columns
    const row: Row = new Array(names.length)
    for (let i = 0; i < names.length; i++) {
      const raw = image[names[i]]
      row[i] = raw === null || raw === undefined ? null : converters[i](raw, columns[i])
    }
    return row
  }

  /** The image as JSON for a dead-letter record: what converts, and the raw text where it does not. */
  rawRecord(image: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const record: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(image)) {
      record[name] = Buffer.isBuffer(value) ? value.toString('base64') : value
    }
    return record
  }

  /** Primary-key values of a row of `schema`, in key order; null when the table has no primary key. */
  keyOf(row: Row): Row | null {
    const indexes = this.keyIndexes
    if (indexes.length === 0) return null
    const key: Row = new Array(indexes.length)
    for (let i = 0; i < indexes.length; i++) key[i] = row[indexes[i]] ?? null
    return key
  }
}

type BinlogKind =
  | 'value'
  | 'string'
  | 'bool'
  | 'bigint'
  | 'unsigned64'
  | 'float32'
  | 'date'
  | 'datetime'
  | 'timestamptz'
  | 'time'
  | 'json'
  | 'bytes'
  | 'uuid'
  | 'vector'
  | 'geometry'

/** The logical column (catalogColumn's, except geometry: json) and how to convert zongji's value. */
function binlogColumn(described: DescribedColumn): { column: Column; kind: BinlogKind } {
  const { column } = catalogColumn(described)
  const dataType = described.dataType.toLowerCase()
  if (GEOMETRY_TYPES.has(dataType)) return { column: { ...column, type: 'json' }, kind: 'geometry' }
  switch (column.type) {
    case 'string':
      return { column, kind: 'string' }
    case 'int':
      return { column, kind: 'value' }
    case 'bool':
      return { column, kind: 'bool' }
    case 'bigint':
      return { column, kind: 'bigint' }
    case 'decimal':
      // DECIMAL arrives as exact text; BIGINT UNSIGNED and BIT(64) as numbers or bytes.
      return { column, kind: dataType === 'decimal' || dataType === 'numeric' ? 'value' : 'unsigned64' }
    case 'float':
      return { column, kind: dataType === 'float' ? 'float32' : 'value' }
    case 'date':
      return { column, kind: 'date' }
    case 'timestamp':
      return { column, kind: 'datetime' }
    case 'timestamptz':
      return { column, kind: 'timestamptz' }
    case 'time':
      return { column, kind: 'time' }
    case 'json':
      return { column, kind: dataType === 'vector' ? 'vector' : 'json' }
    case 'bytes':
      return { column, kind: 'bytes' }
    case 'uuid':
      return { column, kind: 'uuid' }
  }
}

function converter(kind: BinlogKind, zeroDates: ZeroDates): Convert {
  const zero = (text: string, column: Column): null => {
    if (zeroDates === 'null') return null
    throw new RecordError('mysql.zero_date', `column ${column.name} holds ${text}, a zero or invalid date`, {
      column: column.name,
      hint: 'set zero_dates: null to read such dates as NULL',
    })
  }
  switch (kind) {
    case 'value':
    case 'geometry':
      return (v) => v as Value
    case 'string':
      return (v) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v))
    case 'bool':
      return (v) => (Buffer.isBuffer(v) ? bitsValue(v) !== 0n : v !== 0)
    case 'bigint':
      return (v) => (Buffer.isBuffer(v) ? bitsValue(v) : BigInt(v as number | string))
    case 'unsigned64':
      return (v) => (Buffer.isBuffer(v) ? bitsValue(v).toString() : String(v))
    case 'float32':
      return (v) => shortestFloat32(v as number)
    case 'date':
      return (v, column) => mysqlDate(v as string) ?? zero(v as string, column)
    case 'datetime':
      return (v, column) => mysqlDatetime(v as string) ?? zero(v as string, column)
    case 'timestamptz':
      return (v, column) => mysqlTimestamp(v as string) ?? zero(v as string, column)
    case 'time':
      return (v, column) => {
        const time = mysqlTime(v as string)
        if (time !== undefined) return time
        throw new RecordError('mysql.time_out_of_range', `column ${column.name} holds TIME ${String(v)}, outside a day (00:00:00 to 24:00:00)`, {
          column: column.name,
          hint: `capture it as text or seconds instead, e.g. a generated column CAST(${column.name} AS CHAR)`,
        })
      }
    case 'json':
      return (v, column) => (typeof v === 'string' ? parseJson(v, column) : (v as Value))
    case 'bytes':
      // A copy: zongji's value is a view into the packet, which would keep the whole chunk alive.
      return (v) => (Buffer.isBuffer(v) ? Buffer.from(v) : Buffer.from(String(v), 'utf8'))
    case 'uuid':
      return (v) => String(v).toLowerCase()
    case 'vector':
      return (v) => (Buffer.isBuffer(v) ? float32Array(v) : (v as Value))
  }
}

function parseJson(text: string, column: Column): Value {
  try {
    return JSON.parse(text) as Value
  } catch (error) {
    throw new RecordError('mysql.invalid_json', `column ${column.name} holds invalid JSON: ${(error as Error).message}`, { column: column.name, cause: error })
  }
}

/**
 * The shortest decimal whose float32 is `value`: MySQL and MariaDB print a FLOAT so, and the batch
 * input parses that text, so the CDC value must be the same double.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits))
    if (Math.fround(candidate) === value) return candidate
  }
  return value
}

/** MariaDB VECTOR: little-endian float32s, which the batch input reads as an array of numbers. */
function float32Array(bytes: Buffer): number[] {
  const values: number[] = []
  for (let i = 0; i + 4 <= bytes.length; i += 4) values.push(bytes.readFloatLE(i))
  return values
}
