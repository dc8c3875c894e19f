/**
 * The replication stream of the `postgresql_cdc` input, on pg-logical-replication's
 * LogicalReplicationService and PgoutputPlugin (proto_version 1): `START_REPLICATION SLOT ... LOGICAL
 * <lsn>`, pgoutput's messages turned into change rows pushed, with transaction boundaries, into the
 * ChangeQueue.
 *
 * Acknowledgement (invariant 1): the library's automatic acknowledgements are off (it would confirm
 * every message as it arrives, and every 10 s the last LSN received). The only flush position this
 * stream reports is what `acknowledge` was given, which the input's `ack` passes once every output
 * has the records and the checkpoint is saved. Standby status updates are written here rather than
 * with the library's `acknowledge`, which reports `lsn + 1` (that would skip a transaction whose
 * commit record starts right at a confirmed commit's end): write = the last LSN received, flush =
 * apply = the acknowledged LSN (0, which the server ignores, before the first). They go out at every
 * acknowledgement, when a keepalive asks, and every 10 s, so wal_sender_timeout never ends a
 * connection whose reading is paused by backpressure.
 *
 * Heartbeats: a keepalive outside a transaction carries the WAL position the walsender has decoded
 * up to; every transaction committed before it has been sent already (messages keep their order on
 * the socket), so that position becomes a boundary: a batch without rows, a checkpoint, an `ack`,
 * and the slot's confirmed position follows WAL written by other databases or by tables not
 * captured. The optional `heartbeat` writes a logical message in the watched database every
 * interval, for servers where keepalives stay rare; it arrives like a keepalive, as a boundary.
 *
 * Schemas: a relation message (sent before a table's first change in a session, and after its
 * columns change) describes the table with the `postgresql` input's own describeTable; messages that
 * arrive meanwhile wait in order and the socket is paused.
 *
 * Connection loss (a terminated walsender, a server restart): reconnect after a backoff
 * (`settings.retry`) from the last boundary queued, dropping the changes of the open transaction
 * already queued; after `max_retries` failures in a row the reader gets
 * `postgresql_cdc.connection_lost`. A slot that is gone is `postgresql_cdc.position_lost`.
 */
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication'
import type { RejectedRecord } from '../../../core/batch.js'
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../../core/backoff.js'
import { changeEventRow, type ChangeOperation } from '../../../core/change-event.js'
import type { Logger } from '../../../core/component.js'
import { FatalError, TransientError, errorMessage, isTransient } from '../../../core/errors.js'
import type { Row, Value } from '../../../core/schema.js'
import { epochMicrosToTimestamptz } from '../../../core/temporal.js'
import type { ConnectionSettings } from '../../../sql/driver.js'
import { clientConfig } from '../client-config.js'
import type { ErrorPlace } from '../postgresql-errors.js'
import { CapturedTable, type RelationMessage, type Tuple } from './captured-table.js'
import { ChangeQueue } from '../../../sql/change-queue.js'
import { ReplicationControl } from './replication-control.js'
import { streamError } from './replication-errors.js'
import { REPLICATION_POSITIONS, lsnText, lsnValue, normalLsn, positionJson, positionLabel, type ReplicationPosition } from './replication-position.js'
import type { TableFilter } from './table-filter.js'

export interface ReplicationStreamOptions {
  readonly settings: ConnectionSettings
  readonly slot: string
  readonly publication: string
  readonly createSlot: boolean
  readonly createPublication: boolean
  readonly filter: TableFilter
  /** The checkpoint's position (`fustor run --resume`); else the slot's confirmed position. */
  readonly resumeFrom: ReplicationPosition | undefined
  readonly queueCapacity: number
  readonly retry: RetryPolicy | undefined
  /** Interval of heartbeat messages; undefined: keepalives only. */
  readonly heartbeatMs: number | undefined
  readonly logger: Logger
}

type Message =
  | RelationMessage
  | { tag: 'begin'; commitTime: bigint }
  | { tag: 'commit'; commitEndLsn: string | null }
  | { tag: 'insert'; relation: RelationMessage; new: Tuple }
  | { tag: 'update'; relation: RelationMessage; key: Tuple | null; old: Tuple | null; new: Tuple }
  | { tag: 'delete'; relation: RelationMessage; key: Tuple | null; old: Tuple | null }
  | { tag: 'truncate'; relations: RelationMessage[] }
  | { tag: 'message'; transactional: boolean; messageLsn: string | null }
  | { tag: 'origin' | 'type' }

/** What arrives, in order: a pgoutput message, or a keepalive's WAL position. */
type Arrival = { readonly message: Message } | { readonly keepaliveLsn: bigint }

/** pg's connection inside the service: what status updates and backpressure need. */
interface WireConnection {
  sendCopyFromChunk(chunk: Buffer): void
  readonly stream: { pause(): void; resume(): void }
}

const STATUS_INTERVAL_MS = 10_000
/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n
const rawText = (text: string): string => text

export class ReplicationStream {
  readonly queue: ChangeQueue<ReplicationPosition>
  private service: LogicalReplicationService | undefined
  private connection: WireConnection | undefined
  private statusTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private restartTimer: NodeJS.Timeout | undefined
  private failedAttempts = 0
  private failure: unknown
  private isClosed = false
  private isRestarting = false
  private readonly retry: RetryPolicy
  private readonly place: ErrorPlace
  /** Captured tables by relation OID (undefined: not captured), with the relation signature they were made for. */
  private readonly tables = new Map<number, { signature: string; table: CapturedTable | undefined }>()

  /** The highest LSN received (status updates' write position). */
  private receivedLsn = 0n
  /** The highest LSN acknowledged (status updates' flush position). */
  private ackedLsn = 0n

  // Stream state, reset at every (re)start.
  private boundary: ReplicationPosition
  private boundaryValue: bigint
  private isInTransaction = false
  private transactionIndex = 0
  private skipRemaining = 0
  private commitTime = ''
  private waiting: Arrival[] = []
  private isDescribing = false

  private constructor(
    private control: ReplicationControl,
    start: ReplicationPosition,
    private readonly options: ReplicationStreamOptions,
  ) {
    this.boundary = { lsn: start.lsn }
    this.boundaryValue = lsnValue(start.lsn)!
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY
    this.place = { server: `${options.settings.host}:${options.settings.port}`, database: options.settings.database, user: options.settings.username }
    this.queue = new ChangeQueue({ lsn: start.lsn }, options.queueCapacity, REPLICATION_POSITIONS)
    this.queue.onDrained = () => this.resumeReading()
  }

  /**
   * Connects, checks wal_level, makes sure of the publication and the slot, and starts streaming.
   * ConfigError for what the user must fix, `postgresql_cdc.position_lost` when the slot cannot give
   * the changes after the checkpoint, TransientError when the server cannot be reached.
   */
  static async open(options: ReplicationStreamOptions): Promise<ReplicationStream> {
    const control = await ReplicationControl.open(options.settings)
    try {
      await control.checkWalLevel()
      await control.ensurePublication(options.publication, options.filter, options.createPublication, options.logger)
      const slot = await control.ensureSlot(options.slot, options.settings.database, options.createSlot, options.resumeFrom !== undefined, options.logger)
      const start = startPosition(slot.confirmedLsn, options)
      const stream = new ReplicationStream(control, start, options)
      options.logger.info(`postgresql_cdc: reading slot "${options.slot}" (publication "${options.publication}") of ${control.where} from ${positionLabel(start)}`)
      stream.startStream(start)
      return stream
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

  restartIfStopped(): void {
    if (this.isClosed || this.isRestarting || this.failure !== undefined || this.service !== undefined || this.restartTimer !== undefined) return
    void this.restart()
  }

  /** Confirms `lsn` to the server (invariant 1: called only from the input's `ack`). */
  acknowledge(lsn: string): void {
    const value = lsnValue(lsn)
    if (value === undefined || value <= this.ackedLsn) return
    this.ackedLsn = value
    this.sendStatus()
  }

  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    clearTimeout(this.restartTimer)
    clearInterval(this.heartbeatTimer)
    this.queue.interrupt()
    await this.stopService()
    await this.control.close()
  }

  // ------------------------------------------------------------------------------ streaming

  private startStream(from: ReplicationPosition): void {
    this.boundary = { lsn: from.lsn }
    this.boundaryValue = lsnValue(from.lsn)!
    this.skipRemaining = from.skip ?? 0
    this.isInTransaction = false
    this.transactionIndex = 0
    this.waiting = []
    this.isDescribing = false
    const service = new LogicalReplicationService(
      { ...clientConfig(this.options.settings) },
      // Off: the library would confirm what arrives, not what the outputs hold (invariant 1).
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    )
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.options.publication], messages: this.options.heartbeatMs !== undefined })
    service.on('start', () => {
      if (service !== this.service) return
      this.connection = (service as unknown as { _connection: WireConnection | null })._connection ?? undefined
      this.sendStatus()
    })
    service.on('data', (lsn: string, message: Message) => {
      if (service !== this.service) return
      const value = lsnValue(lsn)
      if (value !== undefined && value > this.receivedLsn) this.receivedLsn = value
      // pgoutput sends every value as text; the library would parse it with pg's global parsers.
      if (message.tag === 'relation') for (const column of message.columns) column.parser = rawText
      this.arrive(service, { message })
    })
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      if (service !== this.service) return
      const value = lsnValue(lsn)
      if (value === undefined) return
      if (value > this.receivedLsn) this.receivedLsn = value
      if (shouldRespond) this.sendStatus()
      this.arrive(service, { keepaliveLsn: value })
    })
    service.on('error', (error: Error) => this.onStreamError(service, error))
    this.service = service
    service.subscribe(plugin, this.options.slot, from.lsn).then(
      // The server ended the stream (it shuts down): reconnect.
      () => this.onStreamError(service, new TransientError('postgresql_cdc.connection_lost', `the server at ${this.control.where} ended the replication stream`)),
      (error: unknown) => this.onStreamError(service, error),
    )
    clearInterval(this.statusTimer)
    this.statusTimer = setInterval(() => this.sendStatus(), STATUS_INTERVAL_MS)
    this.statusTimer.unref()
    if (this.options.heartbeatMs !== undefined && this.heartbeatTimer === undefined) {
      this.heartbeatTimer = setInterval(() => {
        this.control.emitHeartbeat().catch((error: unknown) => this.options.logger.warn(`postgresql_cdc: heartbeat message failed: ${errorMessage(error)}`))
      }, this.options.heartbeatMs)
      this.heartbeatTimer.unref()
    }
  }

  /** In arrival order; while a table is being described, later arrivals wait. */
  private arrive(service: LogicalReplicationService, arrival: Arrival): void {
    if (this.isDescribing || this.waiting.length > 0) {
      this.waiting.push(arrival)
      return
    }
    try {
      this.handle(service, arrival)
    } catch (error) {
      this.onStreamError(service, error)
    }
  }

  private handle(service: LogicalReplicationService, arrival: Arrival): void {
    if ('keepaliveLsn' in arrival) {
      if (!this.isInTransaction) this.advance(arrival.keepaliveLsn)
      return
    }
    const message = arrival.message
    switch (message.tag) {
      case 'relation':
        this.onRelation(service, message)
        break
      case 'begin':
        this.isInTransaction = true
        this.transactionIndex = 0
        // The library already moved it to the Unix epoch (microseconds).
        this.commitTime = epochMicrosToTimestamptz(Number(message.commitTime))
        break
      case 'commit':
        this.endTransaction(message.commitEndLsn)
        break
      case 'insert': {
        const table = this.captured(message.relation)
        if (table !== undefined) this.change(table, 'insert', null, message.new)
        break
      }
      case 'update': {
        const table = this.captured(message.relation)
        if (table !== undefined) this.update(table, message.key, message.old, message.new)
        break
      }
      case 'delete': {
        const table = this.captured(message.relation)
        if (table !== undefined) this.change(table, 'delete', message.old ?? message.key, null, message.old === null)
        break
      }
      case 'truncate':
        for (const relation of message.relations) {
          const table = this.captured(relation)
          if (table !== undefined) this.push(table, 'truncate', null, null, null)
        }
        break
      case 'message':
        if (!message.transactional && !this.isInTransaction && message.messageLsn !== null) this.advance(lsnValue(normalLsn(message.messageLsn))!)
        break
    }
    if (this.queue.isFull) this.connection?.stream.pause()
  }

  private captured(relation: RelationMessage): CapturedTable | undefined {
    const entry = this.tables.get(relation.relationOid)
    if (entry === undefined) throw new FatalError('postgresql_cdc.stream_failed', `a change of relation ${relation.relationOid} came before its relation message`)
    return entry.table
  }

  private onRelation(service: LogicalReplicationService, relation: RelationMessage): void {
    const signature = CapturedTable.signature(relation)
    const known = this.tables.get(relation.relationOid)
    if (known !== undefined && known.signature === signature) return
    if (!this.options.filter.includes(relation.schema, relation.name)) {
      this.tables.set(relation.relationOid, { signature, table: undefined })
      return
    }
    this.isDescribing = true
    this.connection?.stream.pause()
    this.control.describe(relation.schema, relation.name).then(
      (described) => {
        if (service !== this.service) return
        this.tables.set(relation.relationOid, { signature, table: new CapturedTable(relation, described) })
        this.isDescribing = false
        while (this.waiting.length > 0 && !this.isDescribing && service === this.service) {
          const next = this.waiting.shift()!
          try {
            this.handle(service, next)
          } catch (error) {
            this.onStreamError(service, error)
            return
          }
        }
        if (!this.isDescribing && !this.queue.isFull) this.connection?.stream.resume()
      },
      (error: unknown) => this.onStreamError(service, error),
    )
  }

  /** A WAL position with no transaction open: a boundary when it moves on. */
  private advance(lsn: bigint): void {
    if (lsn <= this.boundaryValue) return
    this.boundaryValue = lsn
    this.boundary = { lsn: lsnText(lsn) }
    this.queue.push({ kind: 'boundary', position: this.boundary })
  }

  private endTransaction(commitEndLsn: string | null): void {
    this.failedAttempts = 0
    this.isInTransaction = false
    this.transactionIndex = 0
    this.skipRemaining = 0
    if (commitEndLsn === null) return
    const value = lsnValue(normalLsn(commitEndLsn))!
    if (value <= this.boundaryValue) return
    this.boundaryValue = value
    this.boundary = { lsn: lsnText(value) }
    this.queue.push({ kind: 'boundary', position: this.boundary })
  }

  /**
   * An update. With REPLICA IDENTITY FULL the server sends the old row; with DEFAULT (or USING
   * INDEX) only the old key, and only when the key changed. One that changes the key is a delete and
   * an insert, so that keyed outputs apply it.
   */
  private update(table: CapturedTable, oldKey: Tuple | null, old: Tuple | null, after: Tuple): void {
    let beforeRow: Row | null
    let afterRow: Row
    try {
      afterRow = table.convert(after)
      beforeRow = old !== null ? table.convert(old) : oldKey !== null ? table.convert(oldKey, true) : null
    } catch (error) {
      this.reject(table, after, error)
      return
    }
    const newKey = table.keyOf(afterRow)
    const previousKey = beforeRow === null ? null : table.keyOf(beforeRow)
    if (previousKey !== null && newKey !== null && !sameValues(previousKey, newKey)) {
      this.push(table, 'delete', beforeRow, null, previousKey, old === null)
      this.push(table, 'insert', null, afterRow, newKey)
    } else {
      this.push(table, 'update', old === null ? null : beforeRow, afterRow, newKey)
    }
  }

  private change(table: CapturedTable, operation: ChangeOperation, before: Tuple | null, after: Tuple | null, isKeyOnly = false): void {
    const tuple = (before ?? after)!
    let row: Row
    try {
      row = table.convert(tuple, isKeyOnly)
    } catch (error) {
      this.reject(table, tuple, error)
      return
    }
    this.push(table, operation, before ? row : null, after ? row : null, table.keyOf(row), isKeyOnly)
  }

  /** `isKeyOnly`: the before image holds only the key (a delete under REPLICA IDENTITY DEFAULT): `__before` stays null. */
  private push(table: CapturedTable, operation: ChangeOperation, before: Row | null, after: Row | null, key: Row | null, isKeyOnly = false): void {
    const index = this.transactionIndex++
    if (index < this.skipRemaining) return
    const position = positionJson(this.boundary.lsn, index + 1)
    let row: Row
    if (isKeyOnly && before !== null) {
      row = changeEventRow({ operation, before: null, after: null, key, source: table.source, schema: table.schema, position, commitTime: this.commitTime })
      // The columns hold what is known of the deleted row: its key.
      for (let i = 0; i < before.length; i++) row[6 + i] = before[i]
    } else {
      row = changeEventRow({ operation, before, after, key, source: table.source, schema: table.schema, position, commitTime: this.commitTime })
    }
    this.queue.push({ kind: 'change', schema: table.changeSchema, row, transactionStart: this.boundary, index })
  }

  private reject(table: CapturedTable, tuple: Tuple, error: unknown): void {
    const index = this.transactionIndex++
    if (index < this.skipRemaining) return
    const record: RejectedRecord = {
      record: Object.fromEntries(Object.entries(tuple).map(([name, text]) => [name, text ?? null])),
      error,
      location: `${table.name} at ${positionLabel({ lsn: this.boundary.lsn, skip: index + 1 })}`,
    }
    this.queue.push({ kind: 'change', schema: table.changeSchema, rejected: record, transactionStart: this.boundary, index })
  }

  // ------------------------------------------------------------------------------ status, flow, failures

  /** A standby status update: write = received, flush = apply = acknowledged (invariant 1). */
  private sendStatus(): void {
    const connection = this.connection
    if (connection === undefined || this.service === undefined || this.service.isStop()) return
    const message = Buffer.alloc(34)
    message[0] = 0x72 // 'r'
    message.writeBigUInt64BE(this.receivedLsn > this.ackedLsn ? this.receivedLsn : this.ackedLsn, 1)
    message.writeBigUInt64BE(this.ackedLsn, 9)
    message.writeBigUInt64BE(this.ackedLsn, 17)
    message.writeBigUInt64BE(BigInt(Date.now()) * 1000n - POSTGRES_EPOCH_MICROS, 25)
    message[33] = 0
    connection.sendCopyFromChunk(message)
  }

  private resumeReading(): void {
    if (this.isDescribing) return
    this.connection?.stream.resume()
  }

  private onStreamError(service: LogicalReplicationService, error: unknown): void {
    if (service !== this.service || this.isClosed) return
    void this.stopService()
    this.failed(error)
  }

  private failed(error: unknown): void {
    const failure = streamError(error, this.place, this.options.slot)
    if (!isTransient(failure)) {
      this.failure = failure
      this.queue.interrupt()
      return
    }
    this.failedAttempts++
    if (this.failedAttempts > this.retry.maxRetries) {
      this.failure = new TransientError('postgresql_cdc.connection_lost', `the replication connection to ${this.control.where} keeps failing: ${errorMessage(failure)}`, { cause: failure })
      this.queue.interrupt()
      return
    }
    const delayMs = backoffDelayMs(this.retry, this.failedAttempts)
    this.options.logger.warn(`postgresql_cdc: ${errorMessage(failure)}; reconnecting in ${delayMs}ms (attempt ${this.failedAttempts}/${this.retry.maxRetries})`)
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      void this.restart()
    }, delayMs)
  }

  /** Starts anew after the last change queued: the open transaction's boundary, its queued changes skipped. */
  private async restart(): Promise<void> {
    if (this.isClosed) return
    const skip = Math.max(this.skipRemaining, this.isInTransaction ? this.transactionIndex : 0)
    const from: ReplicationPosition = skip > 0 ? { lsn: this.boundary.lsn, skip } : { lsn: this.boundary.lsn }
    this.isRestarting = true
    try {
      await this.control.close().catch(() => undefined)
      this.control = await ReplicationControl.open(this.options.settings)
    } catch (error) {
      this.failed(error)
      return
    } finally {
      this.isRestarting = false
    }
    if (this.isClosed) return
    this.options.logger.info(`postgresql_cdc: reconnected to ${this.control.where}, reading from ${positionLabel(from)}`)
    this.startStream(from)
  }

  private async stopService(): Promise<void> {
    const service = this.service
    this.service = undefined
    this.connection = undefined
    clearInterval(this.statusTimer)
    this.statusTimer = undefined
    if (service === undefined) return
    await service.destroy().catch(() => undefined)
  }
}

/**
 * The checkpoint's position, else the slot's confirmed one. A checkpoint behind the slot's confirmed
 * position means someone else consumed the changes between: `postgresql_cdc.position_lost`.
 */
function startPosition(confirmedLsn: string, options: ReplicationStreamOptions): ReplicationPosition {
  const resumeFrom = options.resumeFrom
  if (resumeFrom === undefined) return { lsn: confirmedLsn }
  if (lsnValue(resumeFrom.lsn)! < lsnValue(confirmedLsn)!) {
    throw new FatalError('postgresql_cdc.position_lost', `replication slot "${options.slot}" has confirmed ${confirmedLsn}, past the checkpoint's ${resumeFrom.lsn}: the changes between were consumed by another reader`, {
      hint: 'give each pipeline its own slot; take a new snapshot, then start without --resume',
    })
  }
  return resumeFrom
}

function sameValues(a: Row, b: Row): boolean {
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false
  return true
}

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  return a === b
}
