/**
 * A captured table: its logical columns, as the batch `postgresql` input reads them
 * (PostgresqlConnection.describeTable), in the order of pgoutput's relation message, and the
 * conversion of pgoutput's tuples (column text, as the walsender's output functions print it under
 * the session settings of client-config.ts) into Fustor values with the same `decodeText`.
 */
import type { ChangeSource } from '../../../core/change-event.js'
import { changeEventSchema } from '../../../core/change-event.js'
import { RecordError } from '../../../core/errors.js'
import type { Column, Row, Schema, Value } from '../../../core/schema.js'
import type { TableInfo } from '../../../sql/driver.js'
import { decodeText, type DecodeColumn } from '../copy-text-decoder.js'
import { builtinType, logicalColumn, type ValueKind } from '../postgresql-types.js'

/** pgoutput's relation message, as pg-logical-replication parses it. */
export interface RelationMessage {
  readonly tag: 'relation'
  readonly relationOid: number
  readonly schema: string
  readonly name: string
  readonly replicaIdentity: 'default' | 'nothing' | 'full' | 'index'
  readonly columns: { name: string; typeOid: number; typeMod: number; parser: (raw: string) => unknown }[]
  readonly keyColumns: string[]
}

/** A tuple: column text by name; null for NULL, undefined for an unchanged TOASTed value not sent. */
export type Tuple = Record<string, string | null | undefined>

export class CapturedTable {
  readonly name: string
  readonly source: ChangeSource
  readonly schema: Schema
  /** The change-event schema: one object per table version, so that batches split where it changes. */
  readonly changeSchema: Schema
  readonly replicaIdentity: RelationMessage['replicaIdentity']
  private readonly decoders: DecodeColumn[]
  private readonly keyIndexes: number[] | undefined

  constructor(relation: RelationMessage, described: TableInfo | undefined) {
    this.name = `${relation.schema}.${relation.name}`
    this.source = { connector: 'postgresql_cdc', database: relation.schema, table: relation.name }
    this.replicaIdentity = relation.replicaIdentity
    const byName = new Map((described?.columns ?? []).map((info) => [info.column.name, info as typeof info & { pgKind?: ValueKind; pgElementKind?: ValueKind }]))
    const columns: Column[] = []
    this.decoders = []
    for (const column of relation.columns) {
      const info = byName.get(column.name)
      if (info !== undefined && info.pgKind !== undefined) {
        columns.push(info.column)
        this.decoders.push({ name: column.name, kind: info.pgKind, elementKind: info.pgElementKind })
      } else {
        // Not in the table now (dropped since this change was written): the relation message's type.
        const type = builtinType(column.typeOid) ?? builtinType(25)!
        columns.push(logicalColumn(column.name, type, column.typeMod, undefined))
        this.decoders.push({ name: column.name, kind: type.kind, elementKind: type.elementKind })
      }
    }
    const names = columns.map((c) => c.name)
    let primaryKey = described?.primaryKey.filter((name) => names.includes(name))
    if (primaryKey === undefined || primaryKey.length === 0) primaryKey = relation.replicaIdentity === 'index' ? relation.keyColumns : undefined
    this.schema = primaryKey && primaryKey.length > 0 ? { columns, primaryKey } : { columns }
    this.keyIndexes = this.schema.primaryKey?.map((name) => names.indexOf(name))
    this.changeSchema = changeEventSchema(this.schema)
  }

  /** Whether a relation message still describes this version (same columns and types). */
  static signature(relation: RelationMessage): string {
    return `${relation.replicaIdentity}|${relation.columns.map((c) => `${c.name}:${c.typeOid}:${c.typeMod}`).join(',')}`
  }

  /**
   * The row of a tuple. A column missing from it (a key-only image) is NULL. RecordError for a value
   * with no Fustor value, and `postgresql_cdc.unchanged_toast` for an unchanged large value the
   * server did not send (REPLICA IDENTITY DEFAULT), unless `isPartial`.
   */
  convert(tuple: Tuple, isPartial = false): Row {
    const decoders = this.decoders
    const row: Value[] = new Array(decoders.length)
    for (let i = 0; i < decoders.length; i++) {
      const decoder = decoders[i]
      const text = tuple[decoder.name]
      if (text === undefined) {
        if (!isPartial) {
          throw new RecordError('postgresql_cdc.unchanged_toast', `the server did not send the unchanged large value of column "${decoder.name}" of ${this.name}`, {
            column: decoder.name,
          })
        }
        row[i] = null
      } else {
        row[i] = text === null ? null : decodeText(decoder, text, 0, text.length)
      }
    }
    return row
  }

  keyOf(row: Row): Row | null {
    return this.keyIndexes === undefined ? null : this.keyIndexes.map((i) => row[i])
  }
}
