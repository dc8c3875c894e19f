/**
 * Writes rows into one SQLite table in one of the four modes of src/sql/driver.ts `WriteTarget`,
 * with statements prepared once per target and reused for every batch:
 *
 *   insert   INSERT INTO t (c...) VALUES (?...), (?...)...
 *   upsert   ... ON CONFLICT (key) DO UPDATE SET c = excluded.c, ... (DO NOTHING when every column is key)
 *   merge    as upsert: SQLite has no MERGE, and upsert is what merge means for rows with a key
 *   replace  INSERT OR REPLACE INTO ...: the row with the same key is deleted and the new one
 *            inserted whole (columns not written get their defaults)
 *
 * Rows go in multi-row INSERTs of ROWS_PER_STATEMENT rows (the remainder one row at a time): one
 * call into SQLite per hundred rows instead of per row. Measured on 1M users rows (9 columns,
 * batches of 10,000, WAL, synchronous FULL, 2 shared cores), a single-row prepared INSERT cost
 * 1.3-1.45x the CPU time of 100-row statements (4.4 against 3.1 µs a row in one round); 10 to 200
 * rows per statement were within the noise of each other. SQLite applies the rows of one statement
 * in order, so rows of a batch with the same key leave the last one, as the contract asks, and
 * upsert and replace are idempotent.
 *
 * The caller runs `write` inside a transaction (all rows or none).
 */
import type Database from 'better-sqlite3'
import { ConfigError } from '../../core/errors.js'
import type { Row } from '../../core/schema.js'
import { tableLabel, type WriteTarget } from '../../sql/driver.js'
import { quoteIdentifier } from './sqlite-dialect.js'
import { fustorErrorOf, tableNamesOf } from './sqlite-errors.js'
import { rowEncoder, type RowEncoder } from './sqlite-row-encoder.js'

/** Rows per multi-row INSERT (see the top of this file for the measurement). */
const ROWS_PER_STATEMENT = 100
/** SQLITE_MAX_VARIABLE_NUMBER of the SQLite better-sqlite3 builds (its default since 3.32). */
const MAX_PARAMETERS = 32766

export class SqliteTableWriter {
  private readonly rowsPerStatement: number
  private readonly manyRows: Database.Statement
  private readonly oneRow: Database.Statement
  private readonly encode: RowEncoder
  private readonly manyParams: unknown[]
  private readonly oneParams: unknown[]
  private readonly width: number

  constructor(
    db: Database.Database,
    target: WriteTarget,
    file: string,
  ) {
    const table = tableLabel(target.table)
    const names = target.columns.map((column) => column.name)
    this.width = names.length
    if (this.width === 0) throw new ConfigError('sqlite.no_columns', `nothing to write to table ${table}: no columns`)
    this.rowsPerStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / this.width)))
    // Before preparing: SQLite's own refusal of ON CONFLICT says less than checkUniqueKey's.
    if (target.mode !== 'insert') checkUniqueKey(db, target, file)
    const place = { file, table, sql: insertSql(target, 1), tableNames: () => tableNamesOf(db) }
    try {
      this.oneRow = db.prepare(insertSql(target, 1))
      this.manyRows = db.prepare(insertSql(target, this.rowsPerStatement))
    } catch (error) {
      throw fustorErrorOf(error, place)
    }
    this.encode = rowEncoder(target.columns)
    this.manyParams = new Array<unknown>(this.rowsPerStatement * this.width)
    this.oneParams = new Array<unknown>(this.width)
  }

  /** Writes every row; SqliteError as thrown (the caller maps it with the transaction's place). */
  write(rows: readonly Row[]): void {
    const { encode, width, rowsPerStatement, manyParams, oneParams } = this
    const count = rows.length
    const fullEnd = count - (count % rowsPerStatement)
    let i = 0
    while (i < fullEnd) {
      for (let at = 0; at < manyParams.length; at += width) encode(rows[i++], manyParams, at)
      this.manyRows.run(manyParams)
    }
    for (; i < count; i++) {
      encode(rows[i], oneParams, 0)
      this.oneRow.run(oneParams)
    }
  }
}

function insertSql(target: WriteTarget, rowCount: number): string {
  const columns = target.columns.map((column) => quoteIdentifier(column.name))
  const values = `(${columns.map(() => '?').join(', ')})`
  const into = `INTO ${tableName(target)} (${columns.join(', ')}) VALUES ${new Array<string>(rowCount).fill(values).join(', ')}`
  switch (target.mode) {
    case 'insert':
      return `INSERT ${into}`
    case 'replace':
      return `INSERT OR REPLACE ${into}`
    case 'upsert':
    case 'merge': {
      const keys = new Set(target.key)
      const updates = target.columns.filter((column) => !keys.has(column.name)).map((column) => `${quoteIdentifier(column.name)} = excluded.${quoteIdentifier(column.name)}`)
      const conflict = `ON CONFLICT (${target.key.map(quoteIdentifier).join(', ')})`
      return `INSERT ${into} ${conflict} ${updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`}`
    }
  }
}

function tableName(target: WriteTarget): string {
  const name = quoteIdentifier(target.table.name)
  return target.table.schema === undefined ? name : `${quoteIdentifier(target.table.schema)}.${name}`
}

/**
 * Upsert, merge and replace find "the row with the same key" through a PRIMARY KEY or UNIQUE
 * constraint on exactly the key columns: without one, ON CONFLICT is refused by SQLite and, worse,
 * INSERT OR REPLACE silently inserts duplicates. So the constraint is required, with a hint.
 */
function checkUniqueKey(db: Database.Database, target: WriteTarget, file: string): void {
  const table = tableLabel(target.table)
  const mode = target.mode
  if (target.key.length === 0) {
    throw new ConfigError('sqlite.key_missing', `mode ${mode} on table ${table} needs key columns`, { hint: 'set `key` to the columns of its primary key or of a unique index' })
  }
  const written = new Set(target.columns.map((column) => column.name))
  const missing = target.key.filter((name) => !written.has(name))
  if (missing.length > 0) {
    throw new ConfigError('sqlite.key_not_written', `key column "${missing[0]}" of mode ${mode} is not among the columns written to table ${table}`)
  }
  const schema = target.table.schema === undefined ? '' : `${quoteIdentifier(target.table.schema)}.`
  const name = quoteIdentifier(target.table.name)
  const wanted = [...target.key].sort().join('\u0000')
  try {
    const columns = db.prepare(`PRAGMA ${schema}table_xinfo(${name})`).all() as { name: string; pk: number }[]
    // A missing table: preparing the INSERT reports it.
    if (columns.length === 0) return
    const primaryKey = columns.filter((column) => column.pk > 0).map((column) => column.name)
    if (primaryKey.sort().join('\u0000') === wanted) return
    const indexes = db.prepare(`PRAGMA ${schema}index_list(${name})`).all() as { name: string; unique: number; partial: number }[]
    for (const index of indexes) {
      if (index.unique !== 1 || index.partial !== 0) continue
      const indexed = db.prepare(`PRAGMA ${schema}index_info(${quoteIdentifier(index.name)})`).all() as { name: string | null }[]
      if (indexed.map((column) => column.name ?? '').sort().join('\u0000') === wanted) return
    }
  } catch (error) {
    throw fustorErrorOf(error, { file, table })
  }
  const keyList = target.key.map(quoteIdentifier).join(', ')
  throw new ConfigError('sqlite.no_unique_key', `mode ${mode} needs a primary key or unique index on (${target.key.join(', ')}) of table ${table} in ${file}, and there is none`, {
    hint: `CREATE UNIQUE INDEX ${quoteIdentifier(`${target.table.name}_key`)} ON ${name} (${keyList}), or use mode insert`,
  })
}

