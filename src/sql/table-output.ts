/**
 * A relational output: writes batches to a table through a SqlDriver. Rows are gathered until
 * `write.batch_size` rows or a checkpoint, then written in one transaction (the driver's COPY, LOAD
 * DATA or multi-row INSERT). Columns are matched to the target's by name, and values converted to the
 * target column's type here, so that a value that cannot be written is known before the database
 * sees it. A row the database refuses (RecordError: out of range, too long, a constraint) is found by
 * halving the transaction's rows until it stands alone; it goes to the dead-letter output and the
 * rest is written (invariant 3).
 *
 * Durability (invariant 1): `commit()` writes what is gathered before the engine saves a checkpoint,
 * so a checkpoint never covers rows that are not committed in the database. A crash after a write
 * and before the next checkpoint makes a resumed run write those rows again: duplicates in `insert`
 * mode, none in `upsert`, `replace` and `merge` (idempotent).
 */
import type { Batch } from '../core/batch.js'
import type { Output, OutputContext, WriteContext } from '../core/component.js'
import { ConfigError, isTransient, RecordError } from '../core/errors.js'
import { formatType, type Column, type JsonValue, type Row, type Schema, type Value } from '../core/schema.js'
import { closestMatch } from '../core/suggest.js'
import { concatTextRows, decodeTextRows, rowCount, type TextRows } from '../core/text-rows.js'
import { castValue } from '../core/values.js'
import type { ConnectionSettings, SqlConnection, SqlDriver, TableInfo, TableRef, WriteTarget } from './driver.js'
import { qualifiedName, tableLabel } from './driver.js'
import { nameList, parseTableName, statementList, type WriteConfig } from './sql-config.js'

export interface TableOutputConfig {
  readonly write: WriteConfig
  readonly conflict?: { readonly key: string | readonly string[] }
  readonly pre_sql?: string | readonly string[]
  readonly post_sql?: string | readonly string[]
  readonly create_table: boolean
}

/** How the rows of one batch schema become rows of the target. */
interface Mapping {
  readonly schema: Schema
  readonly target: WriteTarget
  /** Per column: the target column to convert to, or undefined when the value passes as it is. */
  readonly conversions: readonly (Column | undefined)[]
  /** Text rows of this schema are written as they are (no conversion, and the driver writes text to the target). */
  readonly writesText: boolean
}

export class TableOutput implements Output {
  private connection: SqlConnection | undefined
  private readonly table: TableRef
  private info: TableInfo | undefined
  private mapping: Mapping | undefined
  /** Rows gathered for the next transaction, converted, and the rows they came from. */
  private pending: Row[] = []
  private pendingOriginals: Row[] = []
  /** Or text rows gathered (core/text-rows.ts, D26): the pending rows are either rows or text, never both. */
  private pendingText: TextRows[] = []
  private pendingTextRows = 0
  /** Rows already in the database, or refused by it: a write of them again (after a failure) skips them. */
  private readonly written = new WeakSet<Row>()
  /** The background write of gathered rows (startFlush), and its rows when it failed. */
  private flights: { readonly done: Promise<void>; readonly connection: SqlConnection }[] = []
  private unwritten: { target: WriteTarget; rows: Row[]; originals: Row[]; error: unknown }[] = []
  /** Insert mode: more connections, so that transactions commit while the next ones are sent. */
  private readonly spares: SqlConnection[] = []
  /** pre_sql statements run so far (a retried open skips them). */
  private preSqlDone = 0
  /** Rows the database refused, until a call that succeeds hands them to the engine. */
  private readonly rejected: [Row, unknown][] = []

  constructor(
    private readonly driver: SqlDriver,
    private readonly settings: ConnectionSettings,
    private readonly config: TableOutputConfig,
    private readonly ctx: OutputContext,
  ) {
    this.table = parseTableName(config.write.table, 'write.table')
  }

  async open(): Promise<void> {
    // A retried open (after a transient error) starts from a fresh connection.
    await this.connection?.close().catch(() => undefined)
    this.connection = await this.driver.connect(this.settings)
    // pre_sql runs once per run: a resumed run must not, say, truncate what it already wrote; nor a
    // retried open run again the statements that passed.
    if (this.ctx.resumeState == null) {
      const statements = statementList(this.config.pre_sql)
      for (const [i, sql] of statements.entries()) {
        if (i < this.preSqlDone) continue
        await this.runStatement(sql, statements.length > 1 || Array.isArray(this.config.pre_sql) ? `pre_sql[${i}]` : 'pre_sql')
        this.preSqlDone = i + 1
      }
    }
    this.info = await this.connection.describeTable(this.table)
    if (this.info === undefined && !this.config.create_table) {
      const known = await this.connection.listTables(this.table.schema).catch(() => [])
      const suggestion = closestMatch(this.table.name, known.map((t) => t.name))
      throw new ConfigError('sql.table_not_found', `table ${tableLabel(this.table)} does not exist (or this user cannot see it)`, {
        path: 'write.table',
        hint: suggestion === undefined ? 'create it, or set `create_table: true` to create it from the rows' : `did you mean ${suggestion}? (or set \`create_table: true\`)`,
      })
    }
  }

  async write(batch: Batch, ctx: WriteContext): Promise<void> {
    if (rowCount(batch) === 0) return
    // Rows of a background write that failed go first (a retry of this call comes back here).
    if (this.unwritten.length > 0) await this.settle()
    if (batch.schema !== this.mapping?.schema) {
      // Rows gathered under the old columns are written with them before the mapping changes.
      if (this.pendingCount() > 0) {
        await this.makeRoom()
        await this.startFlush()
      }
      await this.prepare(batch.schema)
    }
    const mapping = this.mapping!
    const mark = this.pending.length
    const textMark = this.pendingText.length
    if (batch.text !== undefined && mapping.writesText && this.pending.length === 0) {
      this.pendingText.push(batch.text)
      this.pendingTextRows += batch.text.count
    } else {
      // Text gathered before rows that cannot be text: decoded, to keep the order of the rows.
      if (this.pendingText.length > 0) this.gather(this.takePendingText(), mapping, ctx)
      this.gather(batch.rows, mapping, ctx)
    }
    if (this.pendingCount() >= this.config.write.batch_size) {
      try {
        await this.makeRoom()
        await this.startFlush()
      } catch (error) {
        // The engine retries this call: take this batch's rows back out (startFlush left them gathered).
        this.pending.length = mark
        this.pendingOriginals.length = mark
        for (const text of this.pendingText.splice(textMark)) this.pendingTextRows -= text.count
        throw error
      }
    }
    this.handOverRejected(ctx)
  }

  private pendingCount(): number {
    return this.pending.length + this.pendingTextRows
  }

  /** The gathered text rows, decoded, and none left gathered. */
  private takePendingText(): Row[] {
    const text = concatTextRows(this.pendingText.splice(0))
    this.pendingTextRows = 0
    return decodeTextRows(text, this.mapping!.schema.columns)
  }

  /** Writes what is gathered (invariant 1: before the checkpoint that covers it is saved). */
  async commit(ctx?: WriteContext): Promise<JsonValue> {
    await this.settle()
    if (this.pendingCount() > 0) {
      await this.startFlush()
      await this.settle()
    }
    if (ctx !== undefined) this.handOverRejected(ctx)
    else if (this.rejected.length > 0) throw this.rejected[0][1]
    // Never null: a resumed run gets it back as resumeState and so knows that pre_sql already ran.
    return { started: true }
  }

  async finish(): Promise<void> {
    await this.commit()
    const statements = statementList(this.config.post_sql)
    for (const [i, sql] of statements.entries()) await this.runStatement(sql, statements.length > 1 || Array.isArray(this.config.post_sql) ? `post_sql[${i}]` : 'post_sql')
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.flights.map((flight) => flight.done))
    const connections = [this.connection, ...this.spares.splice(0)]
    this.connection = undefined
    await Promise.all(connections.map((connection) => connection?.close()))
  }

  // ------------------------------------------------------------------------------ columns

  /** Maps a batch schema to the target's columns, creating the table first when asked to. */
  private async prepare(schema: Schema): Promise<Mapping> {
    if (this.info === undefined) this.info = await this.createTable(schema)
    const info = this.info
    const byName = new Map(info.columns.map((c) => [c.column.name, c.column]))
    const byLowerName = new Map<string, Column | null>()
    for (const c of info.columns) {
      const lower = c.column.name.toLowerCase()
      byLowerName.set(lower, byLowerName.has(lower) ? null : c.column)
    }
    const columns: Column[] = []
    const conversions: (Column | undefined)[] = []
    let textFits = true
    for (const column of schema.columns) {
      const target = byName.get(column.name) ?? byLowerName.get(column.name.toLowerCase()) ?? undefined
      if (target === undefined) {
        const suggestion = closestMatch(column.name, byName.keys())
        throw new ConfigError('sql.column_not_in_table', `column ${column.name} of the rows is not in table ${tableLabel(this.table)}`, {
          path: 'write.table',
          hint: suggestion === undefined ? 'rename or drop it with a mapping processor, or add it to the table' : `did you mean ${suggestion}? rename it with a mapping processor`,
        })
      }
      columns.push(target)
      conversions.push(sameType(column, target) ? undefined : target)
      textFits &&= sameType(column, target) || isTextWidening(column, target)
    }
    const converted = schema.columns.flatMap((c, i) => (conversions[i] === undefined ? [] : [`${c.name} ${formatType(c)} -> ${formatType(conversions[i])}`]))
    if (converted.length > 0) this.ctx.logger.debug(`converting to the column types of ${tableLabel(this.table)}: ${converted.join(', ')}`)
    const mode = this.config.write.mode
    const key = mode === 'insert' ? [] : this.conflictKey(info, columns)
    const target: WriteTarget = { table: this.table, columns, mode, key }
    const connection = await this.mainConnection()
    const writesText = textFits && connection.writeText !== undefined && (await connection.writesText?.(target)) === true
    this.mapping = { schema, target, conversions, writesText }
    if (writesText) this.ctx.logger.debug(`rows given as COPY text go to ${tableLabel(this.table)} as they are`)
    return this.mapping
  }

  private conflictKey(info: TableInfo, columns: readonly Column[]): string[] {
    const configured = nameList(this.config.conflict?.key)
    const key = configured ?? [...info.primaryKey]
    if (key.length === 0) {
      throw new ConfigError('sql.conflict_key_missing', `write.mode ${this.config.write.mode} needs a key to match rows, and table ${tableLabel(this.table)} has no primary key`, {
        path: 'conflict.key',
        hint: 'set conflict.key to the columns of a unique constraint',
      })
    }
    const names = new Set(columns.map((c) => c.name))
    for (const name of key) {
      if (!names.has(name)) {
        throw new ConfigError('sql.conflict_key_not_written', `key column ${name} is not among the columns written to ${tableLabel(this.table)}`, {
          path: configured === undefined ? 'write.mode' : 'conflict.key',
          hint: `columns written: ${[...names].join(', ')}`,
        })
      }
    }
    return key
  }

  /** CREATE TABLE from the batch schema (create_table), the conflict key as primary key. */
  private async createTable(schema: Schema): Promise<TableInfo> {
    const dialect = this.driver.dialect
    const key = nameList(this.config.conflict?.key) ?? (schema.primaryKey !== undefined && schema.primaryKey.length > 0 ? [...schema.primaryKey] : [])
    const definitions = schema.columns.map((column) => {
      const isKey = key.includes(column.name)
      const notNull = isKey || column.nullable === false ? ' NOT NULL' : ''
      return `${dialect.quoteIdentifier(column.name)} ${dialect.columnType(column, isKey)}${notNull}`
    })
    if (key.length > 0) definitions.push(`PRIMARY KEY (${key.map((name) => dialect.quoteIdentifier(name)).join(', ')})`)
    const sql = `CREATE TABLE IF NOT EXISTS ${qualifiedName(dialect, this.table)} (\n  ${definitions.join(',\n  ')}\n)`
    this.ctx.logger.info(`creating table ${tableLabel(this.table)}`, { sql })
    await this.runStatement(sql, 'create_table')
    const info = await (await this.mainConnection()).describeTable(this.table)
    if (info === undefined) throw new ConfigError('sql.create_table_failed', `table ${tableLabel(this.table)} was created but cannot be found`, { path: 'write.table' })
    return info
  }

  // ------------------------------------------------------------------------------ rows

  /** Converts rows to the target's types; a value that does not convert is refused at once. */
  private gather(rows: readonly Row[], mapping: Mapping, ctx: WriteContext): void {
    const conversions = mapping.conversions
    const needsConversion = conversions.some((c) => c !== undefined)
    for (const row of rows) {
      if (!needsConversion) {
        this.pending.push(row)
        this.pendingOriginals.push(row)
        continue
      }
      let converted: Row
      try {
        converted = convertRow(row, conversions, mapping.schema)
      } catch (error) {
        ctx.reject(row, error)
        continue
      }
      this.pending.push(converted)
      this.pendingOriginals.push(row)
    }
  }

  /**
   * Starts writing the gathered rows in the background: the database works on one transaction while
   * the next is gathered (measured: waiting for each COPY before reading on left this process idle
   * 40% of a copy). Upsert, replace and merge write one transaction at a time, in order (the last row
   * of a key must win); insert writes up to two at once on two connections, so that one commit's WAL
   * flush does not stall the next transaction (measured: 100 serial commits cost 1.5 s of a 5 s copy).
   */
  private async startFlush(): Promise<void> {
    // The connection first: if connecting fails, the rows stay gathered for the retry.
    const busy = new Set(this.flights.map((flight) => flight.connection))
    let connection = await this.mainConnection()
    if (busy.has(connection)) {
      const free = this.spares.find((spare) => !busy.has(spare))
      if (free !== undefined) connection = free
      else {
        connection = await this.driver.connect(this.settings)
        this.spares.push(connection)
      }
    }
    const target = this.mapping!.target
    if (this.pendingText.length > 0) {
      const text = concatTextRows(this.pendingText.splice(0))
      this.pendingTextRows = 0
      this.flights.push({ done: this.writeText(connection, target, this.mapping!.schema.columns, text), connection })
      return
    }
    const rows = this.pending
    const originals = this.pendingOriginals
    this.pending = []
    this.pendingOriginals = []
    const done = this.writeIsolating(connection, target, rows, originals, 0, rows.length).then(
      () => undefined,
      (error: unknown) => {
        this.unwritten.push({ target, rows, originals, error })
      },
    )
    this.flights.push({ done, connection })
  }

  /**
   * Writes text rows in one transaction. When the database refuses a row, or the write fails, the
   * rows are decoded and take the way of rows: isolation by halving, or written again by settle().
   */
  private async writeText(connection: SqlConnection, target: WriteTarget, columns: readonly Column[], text: TextRows): Promise<void> {
    try {
      await connection.writeText!(target, text)
      return
    } catch (error) {
      if (isTransient(error)) this.drop(connection)
      const rows = decodeTextRows(text, columns)
      if (!(error instanceof RecordError)) {
        this.unwritten.push({ target, rows, originals: rows, error })
        return
      }
      try {
        await this.writeIsolating(connection, target, rows, rows, 0, rows.length)
      } catch (failure) {
        this.unwritten.push({ target, rows, originals: rows, error: failure })
      }
    }
  }

  /** Waits until another transaction may start; throws when a background one failed and its rows cannot be written now. */
  private async makeRoom(): Promise<void> {
    const concurrent = this.config.write.mode === 'insert' ? 2 : 1
    while (this.flights.length >= concurrent) await this.flights.shift()!.done
    if (this.unwritten.length > 0) await this.settle()
  }

  /**
   * Waits for the background writes; rows of one that failed are written again now (less those a
   * part of it committed), and the call throws when that fails too: the engine then retries it.
   */
  private async settle(): Promise<void> {
    for (const flight of this.flights.splice(0)) await flight.done
    while (this.unwritten.length > 0) {
      const unwritten = this.unwritten[0]
      const keep = unwritten.originals.map((row) => !this.written.has(row))
      const rows = unwritten.rows.filter((_, i) => keep[i])
      const originals = unwritten.originals.filter((_, i) => keep[i])
      this.unwritten[0] = { ...unwritten, rows, originals }
      await this.writeIsolating(await this.mainConnection(), unwritten.target, rows, originals, 0, rows.length)
      this.unwritten.shift()
    }
  }

  /** The connection for statements and retries, connected again after one was lost. */
  private async mainConnection(): Promise<SqlConnection> {
    this.connection ??= await this.driver.connect(this.settings)
    return this.connection
  }

  /** Forgets a connection that failed transiently (lost, reset): the next write connects anew. */
  private drop(connection: SqlConnection): void {
    if (this.connection === connection) this.connection = undefined
    const at = this.spares.indexOf(connection)
    if (at >= 0) this.spares.splice(at, 1)
    void connection.close().catch(() => undefined)
  }

  /** Rows the database refused, handed to the engine by a call that succeeds (a retried call would lose them). */
  private handOverRejected(ctx: WriteContext): void {
    for (const [row, error] of this.rejected.splice(0)) ctx.reject(row, error)
  }

  /** Writes rows[start, end) in one transaction; on a RecordError, each half on its own, down to the row at fault. */
  private async writeIsolating(connection: SqlConnection, target: WriteTarget, rows: Row[], originals: Row[], start: number, end: number): Promise<void> {
    if (end <= start) return
    const slice = start === 0 && end === rows.length ? rows : rows.slice(start, end)
    try {
      await connection.write(target, slice)
      // A part of a larger write: remembered, in case a later part fails and the rest is written again.
      if (slice !== rows) for (let i = start; i < end; i++) this.written.add(originals[i])
    } catch (error) {
      if (isTransient(error)) this.drop(connection)
      if (!(error instanceof RecordError)) throw error
      if (end - start === 1) {
        this.rejected.push([originals[start], error])
        this.written.add(originals[start])
        return
      }
      const middle = start + ((end - start) >> 1)
      await this.writeIsolating(connection, target, rows, originals, start, middle)
      await this.writeIsolating(connection, target, rows, originals, middle, end)
    }
  }

  private async runStatement(sql: string, path: string): Promise<void> {
    try {
      await (await this.mainConnection()).execute(sql)
    } catch (error) {
      if (error instanceof ConfigError) throw error.with({ path })
      if (error instanceof RecordError) throw new ConfigError('sql.statement_failed', `${path} failed: ${error.message}`, { path, cause: error })
      throw error
    }
  }
}

/**
 * Whether values pass to the column as they are. Decimals of another precision or scale do: the
 * database rounds to the column's scale or refuses what does not fit (the row goes to the dead-letter
 * output), as it would for its own INSERT; converting every value here cost a row copy per row.
 */
function sameType(from: Column, to: Column): boolean {
  return from.type === to.type
}

/**
 * Whether a value's text (core/text-rows.ts) is already the text of the converted value: integers
 * into wider integers, decimals or floats are the same digits (a decimal that does not fit is
 * refused by the database, and the row isolated, as the conversion would refuse it).
 */
function isTextWidening(from: Column, to: Column): boolean {
  if (from.type === 'int') return to.type === 'bigint' || to.type === 'decimal' || to.type === 'float'
  return from.type === 'bigint' && to.type === 'decimal'
}

function convertRow(row: Row, conversions: readonly (Column | undefined)[], schema: Schema): Row {
  const out: Value[] = new Array<Value>(conversions.length)
  for (let i = 0; i < conversions.length; i++) {
    const to = conversions[i]
    const value = row[i] ?? null
    if (to === undefined || value === null) {
      out[i] = value
      continue
    }
    try {
      out[i] = castValue(value, to, schema.columns[i].type)
    } catch (error) {
      if (error instanceof RecordError) throw new RecordError(error.code, `column ${to.name}: ${error.message}`, { column: to.name, cause: error })
      throw error
    }
  }
  return out
}
