/**
 * One open SQLite database, as the shared relational code uses a connection (src/sql/driver.ts
 * `SqlConnection`).
 *
 * better-sqlite3 is synchronous: each call runs to the end on the calling thread. That is the
 * fastest way to use SQLite from Node (no thread hop per row), and harmless for short calls; the
 * long ones are made to share the event loop:
 * - stream() steps the statement one chunk of rows at a time and waits a turn of the event loop
 *   (setImmediate) between chunks, so that timers, I/O and the rest of the pipeline run while a
 *   10M-row table is read, and at most the chunk the consumer holds is in memory (invariant 2);
 * - write() holds one batch, which the shared code bounds.
 *
 * Types: columns are typed from their declared types (sqlite-types.ts); a result column that is an
 * expression has none, so describeQuery types it from the storage class of its value in the first
 * row (stepping the statement once), and query() from the rows it returns (docs/types/sqlite.md).
 */
import type Database from 'better-sqlite3'
import type { RejectedRecord } from '../../core/batch.js'
import { ConfigError, RecordError, TransientError } from '../../core/errors.js'
import type { Column, Row, Schema, Value } from '../../core/schema.js'
import type { ColumnInfo, ReadOptions, RowChunk, SqlConnection, TableInfo, TableRef, WriteTarget } from '../../sql/driver.js'
import { tableLabel } from '../../sql/driver.js'
import { fustorErrorOf, inSqlText, tableNamesOf, type ErrorPlace } from './sqlite-errors.js'
import { bindableParameters } from './sqlite-row-encoder.js'
import { rowConverter } from './sqlite-row-converter.js'
import { SqliteTableWriter } from './sqlite-table-writer.js'
import { columnOfDeclaredType, needsExactIntegers, storageClassOf, typeOfStoredValue } from './sqlite-types.js'

/** Table writers kept prepared, by target; a pipeline writes to one or a few tables. */
const MAX_TABLE_WRITERS = 16

const NO_REJECTED: readonly RejectedRecord[] = []

interface TableColumnRow {
  readonly name: string
  readonly type: string
  readonly notnull: number
  readonly dflt_value: string | null
  readonly pk: number
  readonly hidden: number
}

export class SqliteConnection implements SqlConnection {
  private readonly tableWriters = new Map<string, SqliteTableWriter>()
  private readonly openIterators = new Set<Iterator<unknown>>()
  private readonly writeInTransaction: Database.Transaction<(writer: SqliteTableWriter, rows: readonly Row[]) => void>
  private isClosed = false

  constructor(
    private readonly db: Database.Database,
    /** The database file as configured, for messages. */
    private readonly file: string,
  ) {
    this.writeInTransaction = db.transaction((writer: SqliteTableWriter, rows: readonly Row[]) => writer.write(rows))
  }

  async execute(sql: string): Promise<void> {
    try {
      this.db.exec(sql)
    } catch (error) {
      throw fustorErrorOf(error, this.place(sql))
    }
  }

  async query(sql: string, params: readonly Value[] = []): Promise<{ schema: Schema; rows: Row[] }> {
    const statement = this.prepare(sql)
    try {
      if (!statement.reader) {
        statement.run(bindableParameters(params))
        return { schema: { columns: [] }, rows: [] }
      }
      const rows = statement.raw(true).safeIntegers(true).all(bindableParameters(params)) as unknown[][]
      const columns = statement.columns().map((definition, i) => resultColumn(definition, firstNonNull(rows, i)).column)
      const convert = rowConverter(columns, true)
      for (const row of rows) convert(row)
      return { schema: { columns }, rows: rows as Row[] }
    } catch (error) {
      throw fustorErrorOf(error, this.place(sql))
    }
  }

  async describeQuery(sql: string, params: readonly Value[] = []): Promise<readonly ColumnInfo[]> {
    const statement = this.prepare(sql)
    if (!statement.reader) throw new ConfigError('sqlite.not_a_query', `this SQL returns no rows, a query was expected${inSqlText(sql)}`)
    const definitions = statement.columns()
    const isExpression = (definition: Database.ColumnDefinition) => definition.type === null && definition.column === null
    const firstRow = definitions.some(isExpression) ? this.firstRow(statement, params, sql) : undefined
    return definitions.map((definition, i) => resultColumn(definition, firstRow?.[i]))
  }

  async describeTable(table: TableRef): Promise<TableInfo | undefined> {
    const label = tableLabel(table)
    let rows: TableColumnRow[]
    let isWithoutRowid = false
    try {
      const args = table.schema === undefined ? [table.name] : [table.name, table.schema]
      const placeholders = args.map(() => '?').join(', ')
      rows = this.db.prepare(`SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(${placeholders})`).all(...args) as TableColumnRow[]
      if (rows.length === 0) return undefined
      // Without a schema, SQLite looks in temp, then main, then the attached databases.
      const listed = this.db
        .prepare(`SELECT wr FROM pragma_table_list(?) WHERE ? IS NULL OR schema = ? ORDER BY schema = 'temp' DESC, schema = 'main' DESC LIMIT 1`)
        .get(table.name, table.schema ?? null, table.schema ?? null) as { wr: number } | undefined
      isWithoutRowid = listed?.wr === 1
    } catch (error) {
      throw fustorErrorOf(error, { file: this.file, table: label })
    }
    const primaryKey = rows
      .filter((row) => row.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((row) => row.name)
    // INTEGER PRIMARY KEY is the rowid: never NULL, and filled by SQLite when omitted.
    const rowidAlias = !isWithoutRowid && primaryKey.length === 1 ? rows.find((row) => row.pk === 1 && row.type.toUpperCase() === 'INTEGER') : undefined
    const columns = rows
      // hidden 1: a hidden column of a virtual table; 2 and 3: generated columns, which are kept.
      .filter((row) => row.hidden !== 1)
      .map((row): ColumnInfo => {
        const isRowid = row === rowidAlias
        const column = columnOfDeclaredType(row.name, row.type, row.notnull === 1 || isRowid)
        return {
          column,
          nativeType: row.type,
          isInteger: column.type === 'int' || column.type === 'bigint',
          hasDefault: row.dflt_value !== null || isRowid || row.hidden === 2 || row.hidden === 3,
        }
      })
    return { table, columns, primaryKey }
  }

  async listTables(schema?: string): Promise<TableRef[]> {
    try {
      if (schema !== undefined) {
        const databases = this.db.prepare('SELECT name FROM pragma_database_list').pluck().all() as string[]
        if (!databases.includes(schema)) {
          throw new ConfigError('sqlite.no_such_schema', `no attached database "${schema}" in sqlite database ${this.file} (there are: ${databases.join(', ')})`)
        }
      }
      // table_list's type `shadow` marks the internal tables of virtual tables (FTS, R-tree).
      const rows = this.db
        .prepare(
          `SELECT schema, name FROM pragma_table_list
           WHERE type IN ('table', 'view', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             AND (? IS NULL AND schema <> 'temp' OR schema = ?)
           ORDER BY schema, name`,
        )
        .all(schema ?? null, schema ?? null) as { schema: string; name: string }[]
      return rows.map((row) => ({ schema: row.schema, name: row.name }))
    } catch (error) {
      throw fustorErrorOf(error, { file: this.file })
    }
  }

  async *stream(sql: string, params: readonly Value[], columns: readonly ColumnInfo[], chunkRows: number, _options: ReadOptions): AsyncIterable<RowChunk> {
    const statement = this.prepare(sql)
    const logical = columns.map((info) => info.column)
    const hasExactIntegers = columns.some((info) => needsExactIntegers(info.column, info.nativeType))
    const returned = statement.reader ? statement.columns().length : 0
    if (returned !== columns.length) {
      throw new Error(`stream() was given ${columns.length} columns for SQL returning ${returned}${inSqlText(sql)}`)
    }
    statement.raw(true).safeIntegers(hasExactIntegers)
    const convert = rowConverter(logical, hasExactIntegers)
    const schema: Schema = { columns: logical }
    const place = this.place(sql)
    let iterator: IterableIterator<unknown[]>
    try {
      iterator = statement.iterate(bindableParameters(params)) as IterableIterator<unknown[]>
    } catch (error) {
      throw fustorErrorOf(error, place)
    }
    this.openIterators.add(iterator)
    let rowNumber = 0
    try {
      while (true) {
        const rows: Row[] = []
        let rejected: RejectedRecord[] | undefined
        let bytes = 0
        let isDone = false
        try {
          for (let count = 0; count < chunkRows; count++) {
            const next = iterator.next()
            if (next.done === true) {
              // close() ends open iterators: that is not the end of the rows.
              if (this.isClosed) throw new TransientError('sqlite.closed', `the connection to sqlite database ${this.file} was closed during a read`)
              isDone = true
              break
            }
            const row = next.value
            rowNumber++
            try {
              bytes += convert(row)
              rows.push(row as Row)
            } catch (error) {
              if (!(error instanceof RecordError)) throw error
              rejected ??= []
              rejected.push({ record: row as Row, schema, error, location: `${this.file}: row ${rowNumber} of the query` })
            }
          }
        } catch (error) {
          throw fustorErrorOf(error, place)
        }
        if (rows.length > 0 || rejected !== undefined) yield { rows, rejected: rejected ?? NO_REJECTED, bytes }
        if (isDone) return
        // Let timers and I/O run between chunks: the loop above never waits on its own.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } finally {
      this.openIterators.delete(iterator)
      // Resets the statement (ends its read transaction) when the consumer stops early.
      iterator.return?.()
    }
  }

  async write(target: WriteTarget, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return
    const writer = this.tableWriter(target)
    try {
      // IMMEDIATE takes the write lock first: waiting for it (busy_timeout) is safe, while
      // upgrading a read lock midway can fail at once with SQLITE_BUSY.
      this.writeInTransaction.immediate(writer, rows)
    } catch (error) {
      throw fustorErrorOf(error, { file: this.file, table: tableLabel(target.table) })
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    for (const iterator of this.openIterators) iterator.return?.()
    this.openIterators.clear()
    this.db.close()
  }

  private tableWriter(target: WriteTarget): SqliteTableWriter {
    const key = JSON.stringify([target.table.schema, target.table.name, target.mode, target.key, target.columns.map((column) => [column.name, column.type])])
    let writer = this.tableWriters.get(key)
    if (writer === undefined) {
      writer = new SqliteTableWriter(this.db, target, this.file)
      if (this.tableWriters.size >= MAX_TABLE_WRITERS) this.tableWriters.clear()
      this.tableWriters.set(key, writer)
    }
    return writer
  }

  private prepare(sql: string): Database.Statement {
    try {
      return this.db.prepare(sql)
    } catch (error) {
      throw fustorErrorOf(error, this.place(sql))
    }
  }

  /** The first row of a statement (one step), to type its expression columns; undefined without rows or without its parameters. */
  private firstRow(statement: Database.Statement, params: readonly Value[], sql: string): unknown[] | undefined {
    try {
      return statement.raw(true).safeIntegers(true).get(bindableParameters(params)) as unknown[] | undefined
    } catch (error) {
      // describeQuery may be asked about a statement before its parameters are known.
      if (error instanceof RangeError && /parameter/i.test(error.message)) return undefined
      throw fustorErrorOf(error, this.place(sql))
    }
  }

  private place(sql: string): ErrorPlace {
    return { file: this.file, sql, tableNames: () => tableNamesOf(this.db) }
  }
}

/** The ColumnInfo of a result column: by its declared type, or, for an expression, by a value's storage class. */
function resultColumn(definition: Database.ColumnDefinition, value: unknown): ColumnInfo {
  let column: Column
  let nativeType: string
  if (definition.type !== null || definition.column !== null) {
    // A table column (a column declared without a type has a null type but an origin).
    nativeType = definition.type ?? ''
    column = columnOfDeclaredType(definition.name, nativeType, false)
  } else {
    nativeType = value === undefined ? '' : storageClassOf(value)
    column = { name: definition.name, type: typeOfStoredValue(value ?? null) }
  }
  return { column, nativeType, isInteger: column.type === 'int' || column.type === 'bigint' }
}

function firstNonNull(rows: readonly unknown[][], index: number): unknown {
  for (const row of rows) if (row[index] !== null) return row[index]
  return undefined
}
