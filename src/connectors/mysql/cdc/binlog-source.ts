/**
 * The binlog stream of the `mysql_cdc` input, on @vlasky/zongji: connects (as a replica with
 * `server_id`), follows transactions and their GTIDs, turns row events of the captured tables into
 * change rows and pushes them, with the transaction boundaries, into the ChangeQueue.
 *
 * Transactions: a MariaDB GTID event (or MySQL's BEGIN) opens one; an XID, a COMMIT or ROLLBACK
 * statement, or XA PREPARE ends it; a statement outside a transaction (DDL) is one on its own. Each
 * end is a boundary (binlog-position.ts): file, offset after the commit event, and the GTID state,
 * kept here from the GTID events (a MariaDB position or a MySQL set, through zongji's own classes).
 * Changes are counted within their transaction, so that a position inside one (`skip`) is replayed
 * exactly: on a (re)start, the first `skip` changes of the first transaction are dropped.
 *
 * Schemas: the first table map event of a table describes it from information_schema (zongji asks
 * through `_fetchTableInfo`, overridden here, so that it decodes with the same description); a DDL
 * statement forgets every description, so the next change of a table describes it again and its
 * change events get the new columns.
 *
 * Connection loss (the server restarting, the replication thread killed): the stream reconnects after
 * a backoff (`settings.retry`) from the point after the last change it queued, so nothing queued is
 * read twice and nothing is skipped; after `max_retries` failed reconnections in a row the reader gets
 * `mysql_cdc.connection_lost` (the engine's retry calls read() again, which starts anew). A position
 * the server no longer has (purged binlog, a GTID it never had) is `mysql_cdc.position_lost`.
 *
 * Backpressure: when the queue is full the binlog connection is paused (mysql2 keeps the packets it
 * already has and stops reading the socket, so the server's send blocks), and resumed when the reader
 * has taken half of it.
 */
import ZongJi, { GtidSet, MariadbGtidPosition, type AnyBinlogEvent, type QueryEvent, type TableMapEvent, type UpdateRowsEvent } from '@vlasky/zongji'
import type { RejectedRecord } from '../../../core/batch.js'
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../../core/backoff.js'
import { changeEventRow, type ChangeOperation } from '../../../core/change-event.js'
import type { Logger } from '../../../core/component.js'
import { ConfigError, FatalError, FustorError, TransientError, errorMessage, isTransient } from '../../../core/errors.js'
import type { Row, Value } from '../../../core/schema.js'
import type { ConnectionSettings } from '../../../sql/driver.js'
import { queryError } from '../mysql-errors.js'
import { BinlogControl, binlogDisabled, connectionOptions, type ServerFacts } from './binlog-control.js'
import { BINLOG_POSITIONS, boundaryOf, changePosition, gtidFlavour, isStartable, positionLabel, withSkip, type BinlogPosition } from './binlog-position.js'
import { CapturedTable, type ZeroDates } from './captured-table.js'
import { ChangeQueue } from '../../../sql/change-queue.js'
import type { TableFilter } from './table-filter.js'

/** Where a fresh run starts (`start` of the config). */
export type StartSpec = 'latest' | 'earliest' | { readonly gtid: string } | { readonly file: string; readonly position: number }

export interface BinlogSourceOptions {
  readonly settings: ConnectionSettings
  readonly serverId: number
  readonly filter: TableFilter
  readonly zeroDates: ZeroDates
  /** The checkpoint's position (`fustor run --resume`), else where `start` says. */
  readonly resumeFrom: BinlogPosition | undefined
  readonly start: StartSpec
  /** Changes the queue holds before the connection pauses. */
  readonly queueCapacity: number
  readonly retry: RetryPolicy | undefined
  readonly logger: Logger
}

/** The events the stream needs; zongji parses no others (format, heartbeats, annotations...). */
const EVENTS = ['rotate', 'mariadbgtidlist', 'previousgtids', 'mariadbgtid', 'gtid', 'anonymousgtid', 'query', 'xid', 'xaprepare', 'tablemap', 'writerows', 'updaterows', 'deleterows']

/** The statements that open, end or sit inside a transaction; any other statement outside one is DDL. */
const BEGIN = /^(BEGIN|START TRANSACTION|XA (START|BEGIN))\b/i
const END = /^(COMMIT|ROLLBACK|XA (COMMIT|ROLLBACK))\b/i
const ROW_STATEMENT = /^(INSERT|UPDATE|DELETE|REPLACE|LOAD)\b/i

type GtidTracker = MariadbGtidPosition | GtidSet
type PendingGtid = { domainId: number; serverId: number; seqNo: number | string } | string

interface TableMapEntryLike {
  readonly parentSchema: string
  readonly tableName: string
}

/** zongji with the two hooks the stream needs: its table filter and its table descriptions are ours. */
class CaptureClient extends ZongJi {
  isFetching = false
  includes: (database: string, table: string) => boolean = () => true
  describe: (database: string, table: string) => Promise<CapturedTable> = () => Promise.reject(new Error('no describe hook'))

  /** zongji skips the table map (and so the rows) of tables this says no to. */
  _skipSchema(database: string, table: string): boolean {
    return !this.includes(database, table)
  }

  /** zongji's metadata lookup (connection paused meanwhile), answered from our description. */
  _fetchTableInfo(event: { tableId: number; schemaName: string; tableName: string }, next: () => void): void {
    this.isFetching = true
    this.describe(event.schemaName, event.tableName).then(
      (table) => {
        this.isFetching = false
        if (this.stopped) return
        this.tableMap[event.tableId] = { columnSchemas: [...table.zongjiColumns] as never, parentSchema: event.schemaName, tableName: event.tableName }
        next()
      },
      (error: unknown) => {
        this.isFetching = false
        if (!this.stopped) this.emit('error', error as Error)
      },
    )
  }
}

export class BinlogSource {
  readonly queue: ChangeQueue<BinlogPosition>
  private client: CaptureClient | undefined
  private restartTimer: NodeJS.Timeout | undefined
  private failedAttempts = 0
  private failure: unknown
  private isClosed = false
  private isRestarting = false
  private readonly tables = new Map<string, CapturedTable>()
  private readonly describing = new Map<string, Promise<CapturedTable>>()
  private readonly retry: RetryPolicy

  // Stream state, reset at every (re)start.
  private file: string | undefined
  /** The last boundary seen: the start of the open transaction, if one is open. */
  private boundary: BinlogPosition
  private isInTransaction = false
  /** Captured changes of the open transaction so far (dropped ones included). */
  private transactionIndex = 0
  /** Changes of the first transaction to drop (delivered before the restart). */
  private skipRemaining = 0
  private gtids: GtidTracker | undefined
  private pendingGtid: PendingGtid | undefined
  private isSeedingGtids = false
  private isPausedForSchema = false
  private lastTimestamp = -1
  private lastCommitTime = ''

  private constructor(
    private control: BinlogControl,
    private readonly facts: ServerFacts,
    start: BinlogPosition,
    private readonly options: BinlogSourceOptions,
  ) {
    this.boundary = start
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY
    this.queue = new ChangeQueue(boundaryOf(start), options.queueCapacity, BINLOG_POSITIONS)
    this.queue.onDrained = () => this.resumeReading()
  }

  /**
   * Connects, checks the server's binlog settings, finds where to start and starts streaming.
   * ConfigError for settings the user must fix, `mysql_cdc.position_lost` for a position the server
   * no longer has, TransientError when the server cannot be reached.
   */
  static async open(options: BinlogSourceOptions): Promise<BinlogSource> {
    const control = await BinlogControl.open(options.settings)
    try {
      const facts = await control.serverFacts()
      checkBinlogSettings(facts, control.where)
      const start = await startPosition(control, facts, options)
      const source = new BinlogSource(control, facts, start, options)
      options.logger.info(`mysql_cdc: reading the binlog of ${control.where} (${facts.version}) from ${positionLabel(start)}`)
      source.startStream(start)
      return source
    } catch (error) {
      await control.close()
      throw error
    }
  }

  /** The error that stopped the stream, once: a transient one is cleared, and the next call restarts. */
  takeFailure(): unknown {
    const failure = this.failure
    if (failure !== undefined && isTransient(failure)) {
      this.failure = undefined
      this.failedAttempts = 0
    }
    return failure
  }

  /** After a transient failure was taken: starts reading again from where the queue ends. */
  restartIfStopped(): void {
    if (this.isClosed || this.isRestarting || this.failure !== undefined || this.client !== undefined || this.restartTimer !== undefined) return
    void this.restart()
  }

  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    clearTimeout(this.restartTimer)
    this.queue.interrupt()
    await this.stopClient()
    await this.control.close()
  }

  // ------------------------------------------------------------------------------ streaming

  private startStream(from: BinlogPosition): void {
    this.file = from.file
    this.boundary = boundaryOf(from)
    this.skipRemaining = from.skip ?? 0
    this.isInTransaction = false
    this.transactionIndex = 0
    this.pendingGtid = undefined
    this.isPausedForSchema = false
    this.tables.clear()
    this.describing.clear()
    const hasGtids = this.facts.isMariaDB || this.facts.gtidMode === 'ON'
    this.gtids = hasGtids && from.gtid ? parseGtids(from.gtid) : undefined
    // From the start of a file, its first events (GTID list, Previous_gtids) tell the GTID state.
    this.isSeedingGtids = hasGtids && this.gtids === undefined && from.offset === 4

    const client = new CaptureClient(connectionOptions(this.options.settings))
    client.includes = (database, table) => this.options.filter.includes(database, table)
    client.describe = (database, table) => this.describe(database, table)
    client.on('binlog', (event: AnyBinlogEvent) => {
      if (client !== this.client) return
      try {
        this.onEvent(client, event)
      } catch (error) {
        this.onStreamError(client, error)
      }
    })
    client.on('error', (error: Error) => this.onStreamError(client, error))
    this.client = client
    const useGtid = from.gtid !== undefined && from.gtid !== '' && hasGtids
    client.start({
      serverId: this.options.serverId,
      includeEvents: EVENTS,
      ...(useGtid ? { gtidSet: from.gtid } : { filename: from.file, position: from.offset }),
    })
  }

  private onEvent(client: CaptureClient, event: AnyBinlogEvent): void {
    const name = event.getEventName()
    if (this.isInTransaction && (name === 'mariadbgtid' || name === 'gtid' || name === 'anonymousgtid')) {
      // A transaction starts while one is open: the open one ended without a commit event we saw
      // (as zongji assumes too). Its end is where this event starts: zongji's `size` leaves out the
      // 19-byte header and, with checksums, the 4-byte trailer.
      this.endTransaction(event.nextPosition - event.size - (client.useChecksum ? 23 : 19))
    }
    switch (name) {
      case 'rotate':
        this.file = (event as Extract<AnyBinlogEvent, { binlogName: string; position: number }>).binlogName
        break
      case 'mariadbgtidlist':
        if (this.isSeedingGtids) this.gtids = MariadbGtidPosition.fromGtidList((event as Extract<AnyBinlogEvent, { gtids: unknown[] }>).gtids as never)
        this.isSeedingGtids = false
        break
      case 'previousgtids':
        if (this.isSeedingGtids) this.gtids = GtidSet.parse((event as Extract<AnyBinlogEvent, { gtidSet: string }>).gtidSet.replace(/\s/g, ''))
        this.isSeedingGtids = false
        break
      case 'mariadbgtid': {
        const gtid = event as Extract<AnyBinlogEvent, { domainId: number; standalone: boolean }>
        this.pendingGtid = { domainId: gtid.domainId, serverId: gtid.serverId, seqNo: gtid.seqNo }
        this.isInTransaction = !gtid.standalone
        break
      }
      case 'gtid':
        this.pendingGtid = (event as Extract<AnyBinlogEvent, { sid: string }>).gtid
        break
      case 'anonymousgtid':
        this.pendingGtid = undefined
        break
      case 'query':
        this.onQuery(event as QueryEvent)
        break
      case 'xid':
      case 'xaprepare':
        this.endTransaction(event.nextPosition)
        break
      case 'tablemap':
        this.onTableMap(client, event as TableMapEvent)
        break
      case 'writerows':
      case 'updaterows':
      case 'deleterows':
        this.onRows(client, event as Extract<AnyBinlogEvent, { rows: unknown[]; tableId: number }>)
        break
    }
  }

  private onQuery(event: QueryEvent): void {
    const statement = event.query.trim()
    if (BEGIN.test(statement)) {
      this.isInTransaction = true
      return
    }
    if (END.test(statement)) {
      this.endTransaction(event.nextPosition)
      return
    }
    if (this.isInTransaction) {
      if (ROW_STATEMENT.test(statement)) {
        // binlog_format is per session: a client that set STATEMENT writes changes no row event shows.
        this.options.logger.warn(`mysql_cdc: a change was logged as a statement, not as rows, and is not captured (a session with binlog_format other than ROW): ${statement.slice(0, 200)}`)
      }
      return
    }
    // A statement that commits on its own (DDL): the tables' columns may have changed.
    this.forgetTables()
    this.endTransaction(event.nextPosition)
  }

  private endTransaction(offset: number): void {
    // Progress: reconnection failures start counting anew (a rotate alone does not show a working stream).
    this.failedAttempts = 0
    if (this.pendingGtid !== undefined && this.gtids !== undefined) this.gtids.add(this.pendingGtid as never)
    this.pendingGtid = undefined
    const gtid = this.gtids?.toString()
    this.boundary = gtid === undefined || gtid === '' ? { file: this.file, offset } : { file: this.file, offset, gtid }
    this.isInTransaction = false
    this.transactionIndex = 0
    this.skipRemaining = 0
    this.queue.push({ kind: 'boundary', position: this.boundary })
  }

  /** Under binlog_row_metadata=FULL zongji describes tables from the event itself, without asking: we must. */
  private onTableMap(client: CaptureClient, event: TableMapEvent): void {
    const name = `${event.schemaName}.${event.tableName}`
    if (this.tables.has(name)) return
    this.isPausedForSchema = true
    client.connection?.pause()
    this.describe(event.schemaName, event.tableName).then(
      () => {
        this.isPausedForSchema = false
        if (client === this.client && !this.queue.isFull) client.connection?.resume()
      },
      (error: unknown) => this.onStreamError(client, error),
    )
  }

  private onRows(client: CaptureClient, event: Extract<AnyBinlogEvent, { rows: unknown[]; tableId: number }>): void {
    const entry = event.tableMap[event.tableId] as TableMapEntryLike | undefined
    const table = entry && this.tables.get(`${entry.parentSchema}.${entry.tableName}`)
    if (table === undefined) throw new FatalError('mysql_cdc.stream_failed', `a row event of table id ${event.tableId} came before its table was described`)
    this.isInTransaction = true
    const commitTime = this.commitTime(event.timestamp)
    this.failedAttempts = 0
    const name = event.getEventName()
    if (name === 'updaterows') {
      for (const { before, after } of (event as UpdateRowsEvent).rows) this.update(table, before, after, commitTime)
    } else {
      const operation: ChangeOperation = name === 'writerows' ? 'insert' : 'delete'
      for (const image of event.rows as Record<string, unknown>[]) {
        this.change(table, operation, operation === 'delete' ? image : undefined, operation === 'insert' ? image : undefined, commitTime)
      }
    }
    if (this.queue.isFull) client.connection?.pause()
  }

  /** An update; one that changes the primary key is a delete and an insert, so that keyed outputs apply it. */
  private update(table: CapturedTable, before: Record<string, unknown>, after: Record<string, unknown>, commitTime: string): void {
    let beforeRow: Row
    let afterRow: Row
    try {
      beforeRow = table.convert(before)
      afterRow = table.convert(after)
    } catch (error) {
      this.reject(table, after, error)
      return
    }
    const oldKey = table.keyOf(beforeRow)
    const newKey = table.keyOf(afterRow)
    if (oldKey !== null && newKey !== null && !sameValues(oldKey, newKey)) {
      this.push(table, 'delete', beforeRow, null, oldKey, commitTime)
      this.push(table, 'insert', null, afterRow, newKey, commitTime)
    } else {
      this.push(table, 'update', beforeRow, afterRow, newKey, commitTime)
    }
  }

  private change(table: CapturedTable, operation: ChangeOperation, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, commitTime: string): void {
    let row: Row
    try {
      row = table.convert((before ?? after)!)
    } catch (error) {
      this.reject(table, (before ?? after)!, error)
      return
    }
    this.push(table, operation, before ? row : null, after ? row : null, table.keyOf(row), commitTime)
  }

  private push(table: CapturedTable, operation: ChangeOperation, before: Row | null, after: Row | null, key: Row | null, commitTime: string): void {
    const index = this.transactionIndex++
    if (index < this.skipRemaining) return
    const position = changePosition(this.boundary, index + 1)
    const row = changeEventRow({ operation, before, after, key, source: table.source, schema: table.schema, position, commitTime })
    this.queue.push({ kind: 'change', schema: table.changeSchema, row, transactionStart: this.boundary, index })
  }

  /** A row with a value that has no Fustor value: to the dead-letter output, counted as a change. */
  private reject(table: CapturedTable, image: Record<string, unknown>, error: unknown): void {
    const index = this.transactionIndex++
    if (index < this.skipRemaining) return
    const record: RejectedRecord = {
      record: JSON.parse(JSON.stringify(table.rawRecord(image), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))) as never,
      error,
      location: `${table.name} at ${positionLabel(withSkip(this.boundary, index + 1))}`,
    }
    this.queue.push({ kind: 'change', schema: table.changeSchema, rejected: record, transactionStart: this.boundary, index })
  }

  private commitTime(timestampMs: number): string {
    if (timestampMs !== this.lastTimestamp) {
      this.lastTimestamp = timestampMs
      this.lastCommitTime = new Date(timestampMs).toISOString().replace('.000Z', 'Z')
    }
    return this.lastCommitTime
  }

  // ------------------------------------------------------------------------------ schemas

  private describe(database: string, table: string): Promise<CapturedTable> {
    const name = `${database}.${table}`
    const known = this.tables.get(name)
    if (known !== undefined) return Promise.resolve(known)
    let pending = this.describing.get(name)
    if (pending === undefined) {
      pending = this.control.describe(database, table).then((description) => {
        this.describing.delete(name)
        if (description === undefined) {
          throw new FatalError('mysql_cdc.table_not_found', `the binlog has changes of ${name}, which no longer exists, so its columns are unknown`, {
            hint: 'exclude the table (exclude_tables), or start after the point where it was dropped',
          })
        }
        const captured = new CapturedTable(description, this.options.zeroDates)
        this.tables.set(name, captured)
        return captured
      })
      pending.catch(() => this.describing.delete(name))
      this.describing.set(name, pending)
    }
    return pending
  }

  private forgetTables(): void {
    this.tables.clear()
    // zongji keeps its own descriptions by table id; a DDL that keeps the id must not leave them stale.
    const client = this.client
    if (client !== undefined) for (const id of Object.keys(client.tableMap)) delete client.tableMap[Number(id)]
  }

  // ------------------------------------------------------------------------------ flow and failures

  private resumeReading(): void {
    const client = this.client
    if (client === undefined || client.isFetching || this.isPausedForSchema) return
    client.connection?.resume()
  }

  private onStreamError(client: CaptureClient, error: unknown): void {
    if (client !== this.client || this.isClosed) return
    void this.stopClient()
    this.failed(error)
  }

  /** The stream stopped: reconnect after a backoff, or give the failure to the reader. */
  private failed(error: unknown): void {
    const failure = streamError(error, this.control.where)
    if (!isTransient(failure)) {
      this.failure = failure
      this.queue.interrupt()
      return
    }
    this.failedAttempts++
    if (this.failedAttempts > this.retry.maxRetries) {
      this.failure = new TransientError('mysql_cdc.connection_lost', `the binlog connection to ${this.control.where} keeps failing: ${errorMessage(failure)}`, { cause: failure })
      this.queue.interrupt()
      return
    }
    const delayMs = backoffDelayMs(this.retry, this.failedAttempts)
    this.options.logger.warn(`mysql_cdc: ${errorMessage(failure)}; reconnecting in ${delayMs}ms (attempt ${this.failedAttempts}/${this.retry.maxRetries})`)
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      void this.restart()
    }, delayMs)
  }

  /** Starts anew after the last change queued: the open transaction's boundary, its queued changes skipped. */
  private async restart(): Promise<void> {
    if (this.isClosed) return
    const from = withSkip(this.boundary, Math.max(this.skipRemaining, this.transactionIndex))
    this.isRestarting = true
    try {
      // The server may have restarted: the control connection is likely gone too.
      await this.control.close()
      this.control = await BinlogControl.open(this.options.settings)
    } catch (error) {
      this.failed(error)
      return
    } finally {
      this.isRestarting = false
    }
    if (this.isClosed) return
    this.options.logger.info(`mysql_cdc: reconnected to ${this.control.where}, reading from ${positionLabel(from)}`)
    this.startStream(from)
  }

  private async stopClient(): Promise<void> {
    const client = this.client
    this.client = undefined
    if (client === undefined || client.stopped) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000)
      client.once('stopped', () => {
        clearTimeout(timer)
        resolve()
      })
      client.stop()
    })
  }
}

function checkBinlogSettings(facts: ServerFacts, where: string): void {
  if (!facts.logBin) throw binlogDisabled(where)
  if (facts.binlogFormat !== 'ROW') {
    throw new ConfigError('mysql_cdc.binlog_format', `the server at ${where} logs changes as ${facts.binlogFormat}, not as rows (binlog_format=ROW), so changes could be missed`, {
      hint: 'SET GLOBAL binlog_format = ROW, and set it in the server config',
    })
  }
  if (facts.binlogRowImage !== 'FULL') {
    throw new ConfigError('mysql_cdc.binlog_row_image', `the server at ${where} logs ${facts.binlogRowImage} row images, which leave columns out of the before and after images`, {
      hint: 'SET GLOBAL binlog_row_image = FULL, and set it in the server config',
    })
  }
}

/** Where a run starts: the checkpoint's position, else `start`, checked against the server. */
async function startPosition(control: BinlogControl, facts: ServerFacts, options: BinlogSourceOptions): Promise<BinlogPosition> {
  const { resumeFrom, start } = options
  const isMariaDB = facts.isMariaDB
  const hasGtids = isMariaDB || facts.gtidMode === 'ON'
  if (resumeFrom !== undefined) {
    if (resumeFrom.gtid !== undefined && hasGtids && gtidFlavour(resumeFrom.gtid) !== (isMariaDB ? 'mariadb' : 'mysql')) {
      throw new FatalError('mysql_cdc.position_invalid', `the checkpoint's GTID ${resumeFrom.gtid} is not a ${isMariaDB ? 'MariaDB' : 'MySQL'} GTID, but the server at ${control.where} is ${isMariaDB ? 'MariaDB' : 'MySQL'}`, {
        hint: 'resume against the server the checkpoint was taken from, or start without --resume',
      })
    }
    if (!(resumeFrom.gtid !== undefined && hasGtids)) await checkFileExists(control, resumeFrom)
    return resumeFrom
  }
  if (start === 'latest') return control.currentPosition(facts)
  if (start === 'earliest') {
    const logs = await control.binaryLogs()
    if (logs.length === 0) throw binlogDisabled(control.where)
    const file = logs[0].name
    const gtid = isMariaDB ? await control.gtidAt(file, 4) : undefined
    return gtid === undefined ? { file, offset: 4 } : { file, offset: 4, gtid }
  }
  if ('gtid' in start) {
    const flavour = gtidFlavour(start.gtid)
    if (!hasGtids || flavour !== (isMariaDB ? 'mariadb' : 'mysql')) {
      throw new ConfigError(
        'mysql_cdc.start_invalid',
        `start.gtid ${JSON.stringify(start.gtid)} is not a ${isMariaDB ? 'MariaDB GTID position (domain-server-sequence, e.g. 0-1-1234)' : 'MySQL GTID set (uuid:1-27)'}${hasGtids ? '' : ', and the server has gtid_mode OFF'}`,
        { path: 'start.gtid' },
      )
    }
    return { gtid: start.gtid }
  }
  const position: BinlogPosition = { file: start.file, offset: start.position }
  await checkFileExists(control, position)
  const gtid = isMariaDB ? await control.gtidAt(start.file, start.position).catch(() => undefined) : undefined
  return gtid === undefined ? position : { ...position, gtid }
}

async function checkFileExists(control: BinlogControl, position: BinlogPosition): Promise<void> {
  if (!isStartable(position) || position.file === undefined) return
  const logs = await control.binaryLogs()
  const log = logs.find((l) => l.name === position.file)
  if (log === undefined || (position.offset ?? 0) > log.size) {
    throw positionLost(
      `${positionLabel(position)} is no longer in the binlog of ${control.where} (its files are ${logs.length > 0 ? `${logs[0].name} to ${logs[logs.length - 1].name}` : 'none'})`,
    )
  }
}

export function positionLost(message: string, cause?: unknown): FatalError {
  return new FatalError('mysql_cdc.position_lost', message, {
    cause,
    hint: 'the binlog was purged past the stored position (or it is from another server): take a new snapshot, then start from `latest`',
  })
}

/** A stream error as Fustor's: position lost, connection lost (transient), or what mysql-errors.ts says. */
export function streamError(error: unknown, where: string): unknown {
  if (error instanceof FustorError) return error
  const errno = (error as { errno?: number } | null)?.errno
  if (errno === 1236) return positionLost(`the server at ${where} cannot send the binlog from the stored position: ${errorMessage(error)}`, error)
  const code = (error as { code?: unknown } | null)?.code
  if (errno !== undefined || typeof code === 'string') return queryError(error, `reading the binlog of ${where}`)
  return new FatalError('mysql_cdc.stream_failed', `reading the binlog of ${where}: ${errorMessage(error)}`, { cause: error })
}

function parseGtids(text: string): GtidTracker {
  return text.includes(':') ? GtidSet.parse(text) : MariadbGtidPosition.parse(text)
}

function sameValues(a: Row, b: Row): boolean {
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false
  return true
}

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  return a === b
}
