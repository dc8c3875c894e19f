/**
 * The SQL of the keyed write modes (upsert, replace, merge), which go through a staging table.
 *
 * Rows are first COPied into a session temporary table holding the written columns and an
 * ordinal (an identity column, filled in COPY order). Each statement reads the stage deduplicated
 * by key with the highest ordinal first, so that of several rows with one key in a batch the last
 * one wins, as the contract asks, and so that `ON CONFLICT DO UPDATE` never meets one key twice
 * (PostgreSQL refuses that). The stage is `ON COMMIT DELETE ROWS`: each write's transaction
 * empties it at its end, without a TRUNCATE (and the catalog churn of a new file) per batch.
 */
import type { Column } from '../../core/schema.js'

export interface StagedWrite {
  /** `"schema"."table"`, quoted. */
  readonly target: string
  /** The stage's quoted name. */
  readonly stage: string
  readonly columns: readonly Column[]
  readonly key: readonly string[]
  readonly quote: (name: string) => string
}

/** A name for the ordinal column that no written column has. */
export function ordinalColumnName(columns: readonly Column[]): string {
  let name = '__fustor_ord'
  while (columns.some((column) => column.name === name)) name = `_${name}`
  return name
}

/**
 * Creates the stage: the target's written columns with their types (typmods included, so a value
 * too long fails at COPY like it would in the target, naming its column) but none of its
 * constraints (those are checked when the rows reach the target), and the ordinal.
 */
export function createStageSql(write: StagedWrite): string {
  const { quote } = write
  const columns = write.columns.map((column) => quote(column.name)).join(', ')
  return (
    `CREATE TEMPORARY TABLE ${write.stage} ON COMMIT DELETE ROWS AS SELECT ${columns} FROM ${write.target} WITH NO DATA; ` +
    `ALTER TABLE ${write.stage} ADD COLUMN ${quote(ordinalColumnName(write.columns))} bigint GENERATED ALWAYS AS IDENTITY`
  )
}

/** The stage's rows, one per key, the last written winning. */
function deduplicatedSql(write: StagedWrite): string {
  const { quote } = write
  const columns = write.columns.map((column) => quote(column.name)).join(', ')
  const key = write.key.map(quote).join(', ')
  return `SELECT DISTINCT ON (${key}) ${columns} FROM ${write.stage} ORDER BY ${key}, ${quote(ordinalColumnName(write.columns))} DESC`
}

/** Columns written that are not in the key: the ones an existing row gets updated. */
function updatedColumns(write: StagedWrite): string[] {
  return write.columns.map((column) => column.name).filter((name) => !write.key.includes(name))
}

/** Insert, or update the written columns of the row with the same key (needs a unique index on the key). */
export function upsertSql(write: StagedWrite): string {
  const { quote } = write
  const columns = write.columns.map((column) => quote(column.name)).join(', ')
  const updated = updatedColumns(write)
  const action = updated.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updated.map((name) => `${quote(name)} = EXCLUDED.${quote(name)}`).join(', ')}`
  return `INSERT INTO ${write.target} (${columns}) ${deduplicatedSql(write)} ON CONFLICT (${write.key.map(quote).join(', ')}) ${action}`
}

/** Replace: delete the rows whose key is staged, then insert the staged rows whole (no unique index needed). */
export function replaceSql(write: StagedWrite): string[] {
  const { quote } = write
  const columns = write.columns.map((column) => quote(column.name)).join(', ')
  const match = write.key.map((name) => `t.${quote(name)} = s.${quote(name)}`).join(' AND ')
  return [`DELETE FROM ${write.target} AS t USING ${write.stage} AS s WHERE ${match}`, `INSERT INTO ${write.target} (${columns}) ${deduplicatedSql(write)}`]
}

/** MERGE from the deduplicated stage (PostgreSQL 15): update matched rows, insert the others. */
export function mergeSql(write: StagedWrite): string {
  const { quote } = write
  const columns = write.columns.map((column) => quote(column.name))
  const match = write.key.map((name) => `t.${quote(name)} = s.${quote(name)}`).join(' AND ')
  const updated = updatedColumns(write)
  const matched = updated.length === 0 ? 'DO NOTHING' : `UPDATE SET ${updated.map((name) => `${quote(name)} = s.${quote(name)}`).join(', ')}`
  return (
    `MERGE INTO ${write.target} AS t USING (${deduplicatedSql(write)}) AS s ON ${match} ` +
    `WHEN MATCHED THEN ${matched} ` +
    `WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((name) => `s.${name}`).join(', ')})`
  )
}
