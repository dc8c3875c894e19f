/**
 * A relational input: reads a table (or a query) through a SqlDriver, in key order so that a run
 * can resume after the last key written, optionally in parallel ranges of an integer key and
 * incrementally above a high-water mark. The driver streams rows; this module plans the queries and
 * keeps the position.
 *
 * Position (JSON, in the checkpoint):
 *   { key: [names], ranges: [{ from, to, after, done }], incremental?: { column, from, to }, rows }
 * `from`/`to` bound a range of the split key (`from` inclusive, `to` exclusive, null: open), `after`
 * is the key (a list, one value per key column) of the last row delivered in the range. Each batch
 * carries the state of every range as of that batch, so a checkpoint at any batch restarts each range
 * exactly after its last acknowledged row (invariant 1), whatever order the ranges' batches came in.
 * Reading by range query `key > after ORDER BY key` needs no server-side state, and works after a
 * lost connection too: a range reconnects and continues after its last row.
 *
 * Without a key (a query, a table without primary key) the rows come in one stream in the
 * database's order: a resumed run reads them again from the start (docs/relational.md).
 */
import type { InputBatch, Position, RejectedRecord } from '../core/batch.js'
import { backoffDelayMs, DEFAULT_RETRY_POLICY, sleep, type RetryPolicy } from '../core/backoff.js'
import type { Input, InputContext, InputProgress } from '../core/component.js'
import { ConfigError, FatalError, isTransient } from '../core/errors.js'
import type { Column, JsonValue, Row, Schema, Value } from '../core/schema.js'
import { closestMatch } from '../core/suggest.js'
import { textBatch, type TextRows } from '../core/text-rows.js'
import { castValue, toJsonValue } from '../core/values.js'
import type { ColumnInfo, ConnectionSettings, ReadOptions, SqlConnection, SqlDriver, TableInfo, TableRef } from './driver.js'
import { qualifiedName, tableLabel } from './driver.js'
import { nameList, parseTableName, type IncrementalConfig, type ReadQueryConfig } from './sql-config.js'

export interface TableInputConfig {
  readonly query: ReadQueryConfig
  readonly fetch?: { readonly size?: number }
  readonly parallelism: number
  readonly incremental?: IncrementalConfig
}

/** The state of one range in the position. */
interface RangeState {
  from: JsonValue
  to: JsonValue
  after: JsonValue[] | null
  done: boolean
}

export interface TablePosition {
  readonly key: string[]
  readonly ranges: RangeState[]
  readonly incremental?: { readonly column: string; readonly source?: string; readonly from: JsonValue; readonly inclusive: boolean; readonly to: JsonValue }
  /** Rows delivered (for a keyless stream, what a resumed run reads again). */
  readonly rows: number
}

type QueueItem = { range: number; rows: Row[]; text: TextRows | undefined; rejected: readonly RejectedRecord[]; bytes: number; after: JsonValue[] | null } | { range: number; done: true } | { range: number; error: unknown }

/** What open() worked out: the SELECT without conditions, its columns, the key. */
interface ReadPlan {
  readonly table: TableRef | undefined
  /** `SELECT cols FROM t` or `SELECT * FROM (sql) q`. */
  readonly select: string
  /** Base conditions (filter, incremental window) and their parameters. */
  readonly where: string[]
  readonly params: Value[]
  readonly columns: readonly ColumnInfo[]
  readonly schema: Schema
  /** Key columns, their indexes in a row, and whether they were added to the selection (dropped from rows). */
  readonly key: readonly string[]
  readonly keyIndexes: readonly number[]
  readonly keyColumns: readonly Column[]
  readonly addedColumns: number
}

export class TableInput implements Input {
  private connection: SqlConnection | undefined
  private plan: ReadPlan | undefined
  private state: { key: string[]; ranges: RangeState[]; incremental?: TablePosition['incremental']; rows: number } | undefined
  private readonly connections = new Set<SqlConnection>()
  private queue: AsyncQueue<QueueItem> | undefined
  private started = false
  private rowsTotal: number | undefined
  private failure: unknown
  private pending = 0
  private readonly stopping = new AbortController()

  constructor(
    private readonly driver: SqlDriver,
    private readonly settings: ConnectionSettings,
    private readonly config: TableInputConfig,
    private readonly readOptions: ReadOptions,
    private readonly ctx: InputContext,
    /** The position the last finished run of this pipeline ended at (incremental reads continue above it). */
    private readonly previousRun: Position | undefined,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  async open(): Promise<void> {
    const connection = await this.connect()
    this.connection = connection
    const plan = await this.planRead(connection)
    this.plan = plan
    this.rowsTotal = await this.estimateRows(connection, plan)
    const resume = this.ctx.resumeFrom as unknown as TablePosition | null | undefined
    if (resume != null) {
      this.state = this.resumedState(resume, plan)
      return
    }
    const incremental = await this.incrementalWindow(connection, plan)
    if (incremental !== undefined) this.plan = incremental.plan
    const ranges = await this.planRanges(connection, this.plan)
    this.state = { key: [...plan.key], ranges, incremental: incremental?.state, rows: 0 }
  }

  progress(): InputProgress {
    return this.rowsTotal === undefined ? {} : { rowsTotal: Math.max(this.rowsTotal, this.state?.rows ?? 0) }
  }

  /** About how many rows a whole-table read will give (progress and ETA); undefined with a filter or window, or when the database cannot tell. */
  private async estimateRows(connection: SqlConnection, plan: ReadPlan): Promise<number | undefined> {
    const estimate = this.driver.dialect.estimateRows
    if (estimate === undefined || plan.table === undefined || plan.where.length > 0 || this.config.incremental !== undefined) return undefined
    try {
      const { sql, params } = estimate(plan.table)
      const value = (await connection.query(sql, params)).rows[0]?.[0]
      const rows = value === null || value === undefined ? NaN : Number(value)
      return Number.isFinite(rows) && rows >= 0 ? rows : undefined
    } catch (error) {
      this.ctx.logger.debug(`no row estimate for ${this.label()}: ${(error as Error).message}`)
      return undefined
    }
  }

  async read(): Promise<InputBatch | null> {
    const state = this.state!
    const plan = this.plan!
    if (this.failure !== undefined) throw this.failure
    if (!this.started) this.start()
    for (;;) {
      if (this.pending === 0) return null
      const item = await this.queue!.pop(this.ctx.signal)
      if (item === undefined) return null
      if ('error' in item) {
        // Every later read fails the same way: the range that failed has stopped for good.
        this.failure = item.error
        throw item.error
      }
      const range = state.ranges[item.range]
      if ('done' in item) {
        range.done = true
        this.pending--
        continue
      }
      range.after = item.after
      state.rows += item.text?.count ?? item.rows.length
      const rest = { rejected: item.rejected.length > 0 ? item.rejected : undefined, bytes: item.bytes, position: this.snapshot() as unknown as Position }
      return item.text !== undefined ? textBatch(plan.schema, item.text, rest) : { schema: plan.schema, rows: item.rows, ...rest }
    }
  }

  async close(): Promise<void> {
    this.stopping.abort()
    this.queue?.close()
    const connections = [...this.connections]
    this.connections.clear()
    await Promise.allSettled(connections.map((connection) => connection.close()))
  }

  /** The schema of the rows, once open (discovery and preview). */
  get schema(): Schema | undefined {
    return this.plan?.schema
  }

  // -------------------------------------------------------------------------------- planning

  private async planRead(connection: SqlConnection): Promise<ReadPlan> {
    const { query } = this.config
    const dialect = this.driver.dialect
    const q = (name: string): string => dialect.quoteIdentifier(name)
    if (query.sql !== undefined && query.table !== undefined) {
      throw new ConfigError('sql.query_twice', 'give either `query.table` or `query.sql`, not both', { path: 'query.sql' })
    }
    if (query.sql === undefined && query.table === undefined) {
      throw new ConfigError('sql.query_missing', 'nothing to read: set `query.table` (or `query.sql`)', { path: 'query', hint: 'query: { table: users }' })
    }
    const where: string[] = []
    if (query.filter !== undefined && query.filter.trim() !== '') where.push(`(${query.filter})`)
    if (query.sql !== undefined) {
      if (query.columns !== undefined) throw new ConfigError('sql.columns_with_sql', '`query.columns` applies to `query.table`; select the columns in `query.sql`', { path: 'query.columns' })
      // A newline before the parenthesis: the query may end in a `-- comment`.
      const select = `SELECT * FROM (${query.sql}\n) fustor_query`
      const columns = await connection.describeQuery(select)
      const key = query.split_key === undefined ? [] : [query.split_key]
      const keyIndexes = key.map((name) => this.columnIndexOf(columns, name, 'query.split_key', 'the query'))
      return this.finishPlan(undefined, select, where, columns, key, keyIndexes, 0, [])
    }
    const table = parseTableName(query.table!, 'query.table')
    const info = await connection.describeTable(table)
    if (info === undefined) {
      const known = await connection.listTables(table.schema).catch(() => [])
      const suggestion = closestMatch(table.name, known.map((t) => t.name))
      throw new ConfigError('sql.table_not_found', `table ${tableLabel(table)} does not exist (or this user cannot see it)`, {
        path: 'query.table',
        hint: suggestion === undefined ? undefined : `did you mean ${suggestion}?`,
      })
    }
    const available = info.columns.map((c) => c.column.name)
    const wanted = nameList(query.columns) ?? available
    for (const name of wanted) this.columnIndexOf(info.columns, name, 'query.columns', `table ${tableLabel(table)}`)
    const key = this.keyOf(info, table)
    const incremental = this.config.incremental?.column
    if (incremental !== undefined) this.columnIndexOf(info.columns, incremental, 'incremental.column', `table ${tableLabel(table)}`)
    // Key and incremental columns the selection lacks are read too (the position and the window
    // need them) and cut off each row.
    const added = [...new Set([...key, ...(incremental === undefined ? [] : [incremental])])].filter((name) => !wanted.includes(name))
    const selected = [...wanted, ...added]
    const select = `SELECT ${selected.map(q).join(', ')} FROM ${qualifiedName(dialect, table)}`
    const described = await connection.describeQuery(select)
    const keyIndexes = key.map((name) => selected.indexOf(name))
    return this.finishPlan(table, select, where, described, key, keyIndexes, added.length, info.primaryKey)
  }

  /**
   * The columns rows are ordered and resumed by: `split_key` followed by the primary-key columns
   * it is not (a split key with repeated values would otherwise skip the rest of a run of equal
   * values on resume), or the primary key.
   */
  private keyOf(info: TableInfo, table: TableRef): string[] {
    const splitKey = this.config.query.split_key
    if (splitKey === undefined) return [...info.primaryKey]
    const index = this.columnIndexOf(info.columns, splitKey, 'query.split_key', `table ${tableLabel(table)}`)
    // `key > last` never matches NULL: rows with a NULL split key would be skipped.
    if (info.columns[index].column.nullable !== false && !info.primaryKey.includes(splitKey)) {
      throw new ConfigError('sql.split_key_nullable', `split key ${splitKey} may be NULL, and rows where it is would never be read`, {
        path: 'query.split_key',
        hint: 'choose a NOT NULL column (the primary key is the default), or declare this one NOT NULL',
      })
    }
    return [splitKey, ...info.primaryKey.filter((name) => name !== splitKey)]
  }

  private finishPlan(
    table: TableRef | undefined,
    select: string,
    where: string[],
    columns: readonly ColumnInfo[],
    key: string[],
    keyIndexes: number[],
    addedColumns: number,
    primaryKey: readonly string[],
  ): ReadPlan {
    const visible = columns.slice(0, columns.length - addedColumns).map((c) => c.column)
    const names = new Set(visible.map((c) => c.name))
    const schema: Schema = primaryKey.length > 0 && primaryKey.every((name) => names.has(name)) ? { columns: visible, primaryKey: [...primaryKey] } : { columns: visible }
    if (this.config.parallelism > 1 && (key.length === 0 || !columns[keyIndexes[0]].isInteger)) {
      const why = key.length === 0 ? 'there is no key (no primary key and no `query.split_key`)' : `${key[0]} is not an integer column`
      throw new ConfigError('sql.parallel_needs_integer_key', `parallelism ${this.config.parallelism} splits an integer key into ranges, but ${why}`, {
        path: 'parallelism',
        hint: 'set `query.split_key` to an integer column, or parallelism: 1',
      })
    }
    return { table, select, where, params: [], columns, schema, key, keyIndexes, keyColumns: keyIndexes.map((i) => columns[i].column), addedColumns }
  }

  private columnIndexOf(columns: readonly ColumnInfo[], name: string, path: string, where: string): number {
    const index = columns.findIndex((c) => c.column.name === name)
    if (index < 0) {
      const suggestion = closestMatch(name, columns.map((c) => c.column.name))
      throw new ConfigError('sql.column_not_found', `column ${name} is not in ${where}`, {
        path,
        hint: suggestion === undefined ? `columns: ${columns.map((c) => c.column.name).join(', ')}` : `did you mean ${suggestion}?`,
      })
    }
    return index
  }

  /** Conditions for `column > last high-water mark AND column <= max now`, and the state to save. */
  private async incrementalWindow(connection: SqlConnection, plan: ReadPlan) {
    const incremental = this.config.incremental
    if (incremental === undefined) return undefined
    const q = this.driver.dialect.quoteIdentifier
    const index = this.columnIndexOf(plan.columns, incremental.column, 'incremental.column', plan.table ? `table ${tableLabel(plan.table)}` : 'the query')
    const column = plan.columns[index].column
    const previous = (this.previousRun as unknown as TablePosition | undefined)?.incremental
    // The mark is for this table and column: pointed at another, the file starts over (with a note).
    const isSameSource = previous !== undefined && previous.column === incremental.column && (previous.source === undefined || previous.source === this.label())
    if (previous !== undefined && !isSameSource) this.ctx.logger.warn(`the last run read ${previous.source ?? 'another source'} by ${previous.column}: reading ${this.label()} from the start`)
    const from = isSameSource ? previous.to : null
    const start = from === null && incremental.start !== undefined ? this.castConfigValue(incremental.start, column, 'incremental.start') : null
    const lower: Value = from === null ? start : castValue(from as Value, column)
    const below = this.bounded(plan, incremental.column, lower, from === null, undefined)
    const max = await connection.query(`SELECT MAX(${q(incremental.column)}) FROM (${below.select}${whereClause(below.where)}) fustor_max`, below.params)
    const found = max.rows[0]?.[0] ?? null
    const upper = found === null ? null : castValue(found, column)
    // Nothing new (upper null): read nothing, and keep the old mark.
    const window = this.bounded(plan, incremental.column, lower, from === null, upper)
    const state = { column: incremental.column, source: this.label(), from: lower === null ? null : toJsonValue(lower), inclusive: from === null, to: upper === null ? (from ?? null) : toJsonValue(upper) }
    this.ctx.logger.info(`incremental read of ${incremental.column} ${lower === null ? 'from the start' : `above ${String(state.from)}`} up to ${String(state.to)}`)
    return { plan: window, state }
  }

  /**
   * The plan with `column` bounded: above `lower` (at it too when `inclusive`; no bound when null)
   * and up to `upper` (no bound when undefined; nothing at all when null).
   */
  private bounded(plan: ReadPlan, column: string, lower: Value, inclusive: boolean, upper: Value | undefined): ReadPlan {
    const quoted = this.driver.dialect.quoteIdentifier(column)
    const where = [...plan.where]
    const params = [...plan.params]
    const bind = (value: Value): string => {
      params.push(value)
      return this.driver.dialect.placeholder(params.length)
    }
    if (lower !== null) where.push(`${quoted} ${inclusive ? '>=' : '>'} ${bind(lower)}`)
    if (upper === null) where.push('1 = 0')
    else if (upper !== undefined) where.push(`${quoted} <= ${bind(upper)}`)
    return { ...plan, where, params }
  }

  private castConfigValue(value: string | number, column: Column, path: string): Value {
    try {
      return castValue(value, column)
    } catch (error) {
      throw new ConfigError('sql.incremental_start', `${JSON.stringify(value)} is not a ${column.type} for column ${column.name}: ${(error as Error).message}`, { path })
    }
  }

  /** One range, or `parallelism` ranges of equal width between the key's min and max. */
  private async planRanges(connection: SqlConnection, plan: ReadPlan): Promise<RangeState[]> {
    const whole: RangeState = { from: null, to: null, after: null, done: false }
    const parallelism = this.config.parallelism
    if (parallelism <= 1) return [whole]
    const q = this.driver.dialect.quoteIdentifier
    const key = q(plan.key[0])
    const result = await connection.query(`SELECT MIN(${key}), MAX(${key}) FROM (${plan.select}${whereClause(plan.where)}) fustor_bounds`, plan.params)
    const [min, max] = result.rows[0] ?? [null, null]
    if (min === null || max === null) return [whole]
    const lo = BigInt(min as number | bigint | string)
    const hi = BigInt(max as number | bigint | string)
    const span = hi - lo + 1n
    const count = span < BigInt(parallelism) ? Number(span) : parallelism
    const ranges: RangeState[] = []
    for (let i = 0; i < count; i++) {
      const from = i === 0 ? null : toJsonValue(this.keyValue(lo + (span * BigInt(i)) / BigInt(count)))
      const to = i === count - 1 ? null : toJsonValue(this.keyValue(lo + (span * BigInt(i + 1)) / BigInt(count)))
      ranges.push({ from, to, after: null, done: false })
    }
    return ranges
  }

  /** A key bound as a value of the key column's type (ranges are computed as BigInt). */
  private keyValue(n: bigint): Value {
    const type = this.plan!.keyColumns[0].type
    if (type === 'int') return Number(n)
    if (type === 'bigint') return n
    return n.toString()
  }

  private resumedState(position: TablePosition, plan: ReadPlan): NonNullable<TableInput['state']> {
    if (!Array.isArray(position.ranges) || !Array.isArray(position.key) || position.key.join('\u0000') !== plan.key.join('\u0000')) {
      throw new ConfigError('sql.resume_mismatch', `the checkpoint was taken reading by key (${(position.key ?? []).join(', ')}), the pipeline now reads by (${plan.key.join(', ')})`, {
        path: 'query',
        hint: 'run without --resume to start over',
      })
    }
    if (plan.key.length === 0 && position.rows > 0) {
      this.ctx.logger.warn(`the query has no key to resume after: reading it again from the start (${position.rows} rows were written before)`)
      position.ranges.forEach((range) => (range.after = null))
    }
    if (position.incremental !== undefined) {
      const { column, from, inclusive, to } = position.incremental
      const col = plan.columns.find((c) => c.column.name === column)?.column
      if (col !== undefined) this.plan = this.bounded(plan, column, from === null ? null : castValue(from as Value, col), inclusive, to === null ? null : castValue(to as Value, col))
    }
    return { key: [...position.key], ranges: position.ranges.map((r) => ({ ...r })), incremental: position.incremental, rows: position.rows ?? 0 }
  }

  // -------------------------------------------------------------------------------- reading

  private start(): void {
    this.started = true
    const state = this.state!
    this.queue = new AsyncQueue<QueueItem>(Math.max(2, state.ranges.length * 2))
    state.ranges.forEach((range, index) => {
      if (range.done) return
      this.pending++
      void this.readRange(index, range)
    })
  }

  /** Streams one range into the queue, reconnecting after a lost connection (keyed reads only). */
  private async readRange(index: number, range: RangeState): Promise<void> {
    const plan = this.plan!
    const queue = this.queue!
    let after = range.after
    let attempt = 0
    /** Rows this reader queued since it started: a keyless stream can start over only before the first. */
    let pushed = 0
    let connection: SqlConnection | undefined = index === 0 ? this.connection : undefined
    const chunkRows = this.config.fetch?.size ?? this.ctx.batchSize
    const keyIndexes = plan.keyIndexes
    const visible = plan.columns.length - plan.addedColumns
    // Text rows (core/text-rows.ts) hold every selected column: not when key columns were added to the selection.
    const readOptions: ReadOptions = this.ctx.textRows === true && plan.addedColumns === 0 ? { ...this.readOptions, text: true } : this.readOptions
    for (;;) {
      try {
        connection ??= await this.connect()
        const { sql, params } = this.rangeQuery(range, after)
        for await (const chunk of connection.stream(sql, params, plan.columns, chunkRows, readOptions)) {
          if (this.stopping.signal.aborted) return
          const rows = chunk.rows
          const last = chunk.text !== undefined ? chunk.last : rows[rows.length - 1]
          if (last !== undefined && keyIndexes.length > 0) after = keyIndexes.map((i) => keyToJson(last[i]))
          if (plan.addedColumns > 0) for (const row of rows) row.length = visible
          attempt = 0
          pushed += (chunk.text?.count ?? rows.length) + chunk.rejected.length
          if (!(await queue.push({ range: index, rows, text: chunk.text, rejected: chunk.rejected, bytes: chunk.bytes, after }))) return
        }
        await queue.push({ range: index, done: true })
        return
      } catch (error) {
        if (this.stopping.signal.aborted) return
        const connectionLost = connection
        connection = undefined
        if (connectionLost !== undefined) {
          this.connections.delete(connectionLost)
          void connectionLost.close().catch(() => undefined)
        }
        attempt++
        const canResume = plan.key.length > 0 || pushed === 0
        if (!isTransient(error) || attempt > this.retry.maxRetries || !canResume) {
          // Not transient any more: the engine must not retry read(), this range gave up.
          const failure = !isTransient(error)
            ? error
            : canResume
              ? new FatalError('sql.read_failed', `reading ${this.label()} failed ${attempt} times: ${(error as Error).message}`, { cause: error, hint: 'is the database up? `fustor run --resume` continues where the run stopped' })
              : new FatalError('sql.stream_lost', `the connection was lost in the middle of a query without a key to continue after: ${(error as Error).message}`, {
                  cause: error,
                  hint: 'set `query.split_key` (or read a table with a primary key) so that a lost connection continues where it stopped',
                })
          await queue.push({ range: index, error: failure })
          return
        }
        const delayMs = backoffDelayMs(this.retry, attempt)
        this.ctx.logger.warn(`reading ${this.label()} failed, reconnecting in ${delayMs}ms (retry ${attempt}/${this.retry.maxRetries}): ${(error as Error).message}`)
        await sleep(delayMs, this.stopping.signal)
      }
    }
  }

  /** The query of a range after `after`: base conditions, range bounds, keyset condition, key order. */
  private rangeQuery(range: RangeState, after: JsonValue[] | null): { sql: string; params: Value[] } {
    const plan = this.plan!
    const dialect = this.driver.dialect
    const where = [...plan.where]
    const params = [...plan.params]
    const bind = (value: Value): string => {
      params.push(value)
      return dialect.placeholder(params.length)
    }
    const keys = plan.key.map((name) => dialect.quoteIdentifier(name))
    if (range.from !== null) where.push(`${keys[0]} >= ${bind(castValue(range.from as Value, plan.keyColumns[0]))}`)
    if (range.to !== null) where.push(`${keys[0]} < ${bind(castValue(range.to as Value, plan.keyColumns[0]))}`)
    if (after !== null && keys.length > 0) {
      const values = after.map((value, i) => bind(keyFromJson(value, plan.keyColumns[i])))
      where.push(keys.length === 1 ? `${keys[0]} > ${values[0]}` : `(${keys.join(', ')}) > (${values.join(', ')})`)
    }
    const order = keys.length > 0 ? ` ORDER BY ${keys.join(', ')}` : ''
    return { sql: `${plan.select}${whereClause(where)}${order}`, params }
  }

  private snapshot(): TablePosition {
    const state = this.state!
    const position: TablePosition = {
      key: state.key,
      ranges: state.ranges.map((range) => ({ ...range })),
      rows: state.rows,
    }
    return state.incremental === undefined ? position : { ...position, incremental: state.incremental }
  }

  private async connect(): Promise<SqlConnection> {
    const connection = await this.driver.connect(this.settings)
    if (this.stopping.signal.aborted) {
      await connection.close()
      throw new FatalError('sql.closed', 'the input was closed while connecting')
    }
    this.connections.add(connection)
    return connection
  }

  private label(): string {
    return this.plan?.table !== undefined ? tableLabel(this.plan.table) : 'the query'
  }
}

/** A key value in the position: JSON, with bytes as `{"base64": ...}` (base64 text would read back as text). */
function keyToJson(value: Value): JsonValue {
  return value instanceof Uint8Array ? { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } : toJsonValue(value)
}

function keyFromJson(value: JsonValue, column: Column): Value {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.base64 === 'string') return Buffer.from(value.base64, 'base64')
  return castValue(value as Value, column)
}

function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`
}

/** A bounded queue between the range readers and read(): a reader waits while it is full (invariant 2). */
class AsyncQueue<T> {
  private readonly items: T[] = []
  private readonly takers: ((item: T | undefined) => void)[] = []
  private readonly givers: (() => void)[] = []
  private closed = false

  constructor(private readonly capacity: number) {}

  /** Resolves false when the queue was closed (the input is closing). */
  async push(item: T): Promise<boolean> {
    while (!this.closed && this.items.length >= this.capacity && this.takers.length === 0) await new Promise<void>((resolve) => this.givers.push(resolve))
    if (this.closed) return false
    const taker = this.takers.shift()
    if (taker !== undefined) taker(item)
    else this.items.push(item)
    return true
  }

  pop(signal: AbortSignal): Promise<T | undefined> {
    const item = this.items.shift()
    if (item !== undefined) {
      this.givers.shift()?.()
      return Promise.resolve(item)
    }
    if (this.closed || signal.aborted) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const onAbort = (): void => {
        const at = this.takers.indexOf(take)
        if (at >= 0) this.takers.splice(at, 1)
        resolve(undefined)
      }
      const take = (value: T | undefined): void => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      }
      this.takers.push(take)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  close(): void {
    this.closed = true
    for (const taker of this.takers.splice(0)) taker(undefined)
    for (const giver of this.givers.splice(0)) giver()
  }
}
