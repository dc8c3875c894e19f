/**
 * The change-event envelope for change data capture. CDC inputs (MySQL binlog, PostgreSQL logical
 * replication, file-system watchers) describe each change with a ChangeEvent and flatten it into an
 * ordinary row with `changeEventRow`, so that every processor and output works on CDC data unchanged.
 *
 * The flattened row has metadata columns first (reserved names, prefixed `__`), then the table's
 * columns holding the after image (the before image for a delete):
 *
 * | column          | type        | meaning                                                        |
 * |-----------------|-------------|----------------------------------------------------------------|
 * | __op            | string      | insert, update, delete, read (snapshot), truncate             |
 * | __source        | string      | `database.table` (or the watched path for files)               |
 * | __commit_time   | timestamptz | when the source committed the change                           |
 * | __position      | json        | the source position of the change (binlog file+offset, LSN...) |
 * | __key           | json        | primary-key values as an object                                |
 * | __before        | json        | the before image as an object, when the source provides it     |
 *
 * Outputs that apply changes (upsert on insert/update, delete on delete) read `__op` and `__key`.
 */
import type { Position } from './batch.js'
import type { Column, JsonObject, Row, Schema, Value } from './schema.js'

export type ChangeOperation = 'insert' | 'update' | 'delete' | 'read' | 'truncate'

export interface ChangeSource {
  /** Connector type, e.g. `mysql_cdc`. */
  readonly connector: string
  readonly database?: string
  readonly schema?: string
  readonly table: string
}

export interface ChangeEvent {
  readonly operation: ChangeOperation
  /** Row image before the change (update, delete), when the source provides it; null otherwise. */
  readonly before: Row | null
  /** Row image after the change (insert, update, read); null for delete and truncate. */
  readonly after: Row | null
  /** Primary-key values in the order of `schema.primaryKey`. */
  readonly key: Row | null
  readonly source: ChangeSource
  /** The table's schema at the time of the change. */
  readonly schema: Schema
  readonly position: Position
  /** Commit time as a timestamptz string. */
  readonly commitTime: string
}

export const CHANGE_METADATA_COLUMNS: readonly Column[] = [
  { name: '__op', type: 'string', nullable: false },
  { name: '__source', type: 'string', nullable: false },
  { name: '__commit_time', type: 'timestamptz' },
  { name: '__position', type: 'json' },
  { name: '__key', type: 'json' },
  { name: '__before', type: 'json' },
]

/** Schema of flattened change events of a table: metadata columns, then the table's columns. */
export function changeEventSchema(table: Schema): Schema {
  const primaryKey = table.primaryKey
  return primaryKey
    ? { columns: [...CHANGE_METADATA_COLUMNS, ...table.columns], primaryKey }
    : { columns: [...CHANGE_METADATA_COLUMNS, ...table.columns] }
}

function imageToObject(schema: Schema, image: Row): JsonObject {
  const object: JsonObject = {}
  schema.columns.forEach((column, i) => {
    object[column.name] = jsonSafe(image[i] ?? null)
  })
  return object
}

function jsonSafe(value: Value): JsonObject[string] {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  return value as JsonObject[string]
}

/** Flattens a change event into a row of `changeEventSchema(event.schema)`. */
export function changeEventRow(event: ChangeEvent): Row {
  const { schema } = event
  let key: JsonObject | null = null
  if (event.key && schema.primaryKey) {
    key = {}
    schema.primaryKey.forEach((name, i) => {
      key![name] = jsonSafe(event.key![i] ?? null)
    })
  }
  const image = event.after ?? event.before
  const data = image ? image : schema.columns.map(() => null)
  return [
    event.operation,
    event.source.database ? `${event.source.database}.${event.source.table}` : event.source.table,
    event.commitTime,
    event.position,
    key,
    event.before ? imageToObject(schema, event.before) : null,
    ...data,
  ]
}
