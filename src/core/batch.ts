/**
 * Batches: what flows between components. See docs/ARCHITECTURE.md "Data flow".
 */
import type { JsonValue, Row, Schema, Value } from './schema.js'

/** Where an input can resume. Opaque to the engine, typed inside its connector; must be JSON. */
export type Position = JsonValue

/** Rows in schema order. A batch's rows belong to whoever holds the batch: a processor may change
 * rows in place and return them, and must not keep references to rows it has passed on. */
export interface Batch {
  readonly schema: Schema
  readonly rows: Row[]
  /**
   * The same rows as COPY text, when an input made them so (text-rows.ts, docs/ARCHITECTURE.md
   * D26): an output that writes text sends these bytes instead of encoding `rows`, which are then
   * never decoded. Count rows with `rowCount`, which does not decode them.
   */
  readonly text?: TextRows
}

/** A batch as an input produces it. */
export interface InputBatch extends Batch {
  /** Position after the last record of this batch (and of every rejected record in it). */
  readonly position: Position
  /** Bytes consumed from the source for this batch, for statistics and progress. */
  readonly bytes?: number
  /** Records the input could not turn into rows (malformed line, value that does not convert). */
  readonly rejected?: readonly RejectedRecord[]
}

/** A record that failed: what it was, why, where. Sent to the dead-letter output (invariant 3). */
export interface RejectedRecord {
  /** The record: a row of `schema`, or the raw text/JSON the source gave when it could not be read. */
  readonly record: Row | string | JsonValue
  /** Schema of `record` when it is a row. */
  readonly schema?: Schema
  readonly error: unknown
  /** Where in the source, for people: `users.csv:1042`, `orders partition 3 offset 99`. */
  readonly location?: string
}

/** Rows as COPY text bytes (the format: text-rows.ts). */
export interface TextRows {
  /** Whole lines, each ending in `\n`. */
  readonly data: Buffer
  /** Lines (rows) in `data`. */
  readonly count: number
}

export function emptyBatch(schema: Schema): Batch {
  return { schema, rows: [] }
}

/** Rows of a batch as plain objects keyed by column name, for tests and previews. */
export function batchToObjects(batch: Batch): Record<string, Value>[] {
  const names = batch.schema.columns.map((column) => column.name)
  return batch.rows.map((row) => {
    const object: Record<string, Value> = {}
    for (let i = 0; i < names.length; i++) object[names[i]] = row[i] ?? null
    return object
  })
}
