/**
 * What the CDC inputs (mysql_cdc, postgresql_cdc) share between their change stream (which pushes as
 * events arrive) and `read()` (which the engine calls when it wants a batch): change rows and
 * transaction boundaries in commit order, and the batching rules. Positions are the input's own
 * (`ChangePositions`): a binlog file and offset with GTIDs, an LSN.
 *
 * A batch holds the changes of one table, consecutive in the stream, up to `batchSize`; it ends
 * where the next change is of another table, when it is full, or `lingerMs` after its first change
 * was taken, so that a trickle is delivered within milliseconds and a flood in full batches. Its
 * position is the last boundary it went past when its last change is the last of its transaction
 * and the commit has arrived, else the start boundary of the open transaction with `skip` (the
 * changes of it delivered so far). Boundaries with no change of a captured table after them (other
 * tables' transactions, DDL, keepalives) move the position on by a batch with no rows, at most once a
 * second, so that a checkpoint (and a replication slot's confirmed position) follows the server.
 *
 * Bounded (invariant 2): the stream pauses its connection when `isFull`, and `onDrained` tells it
 * to resume when the reader has taken the queue down to half of that.
 */
import type { InputBatch, Position, RejectedRecord } from '../core/batch.js'
import { CHANGE_METADATA_COLUMNS } from '../core/change-event.js'
import type { Row, Schema } from '../core/schema.js'

/** How a CDC input's positions become JSON, and the position of the n-th change inside a transaction. */
export interface ChangePositions<P> {
  json(position: P): Position
  /** The position after `skip` changes of the transaction that starts at `start`. */
  inTransaction(start: P, skip: number): P
}

/** One change of a captured table: its flattened row, or the record that could not be converted. */
export interface ChangeItem<P> {
  readonly kind: 'change'
  /** The table's change-event schema (the same object for every change of the table's version). */
  readonly schema: Schema
  readonly row?: Row
  readonly rejected?: RejectedRecord
  /** Boundary before the change's transaction. */
  readonly transactionStart: P
  /** 0-based index of the change among the captured changes of its transaction. */
  readonly index: number
}

/** The end of a transaction (or of a DDL statement). */
export interface BoundaryItem<P> {
  readonly kind: 'boundary'
  readonly position: P
}

export type QueueItem<P> = ChangeItem<P> | BoundaryItem<P>

/** How often, at most, a batch without rows carries a new boundary. */
export const POSITION_ONLY_INTERVAL_MS = 1000

const EMPTY_SCHEMA: Schema = { columns: CHANGE_METADATA_COLUMNS }

export interface BatchOptions {
  readonly batchSize: number
  readonly lingerMs: number
}

export class ChangeQueue<P> {
  private items: QueueItem<P>[] = []
  private head = 0
  private changeCount = 0
  private wake: ((why: WakeReason) => void) | undefined
  /** The last boundary taken from the queue. */
  private lastBoundary: P
  /** The position of the last batch returned. */
  private delivered: P
  private deliveredAtMs = Date.now()
  /** Called when the queue went from full down to half: the stream may resume reading. */
  onDrained: (() => void) | undefined

  constructor(
    start: P,
    /** Change items at which the queue counts as full. */
    readonly capacity: number,
    private readonly positions: ChangePositions<P>,
  ) {
    this.lastBoundary = start
    this.delivered = start
  }

  get size(): number {
    return this.changeCount
  }

  get isFull(): boolean {
    return this.changeCount >= this.capacity
  }

  push(item: QueueItem<P>): void {
    this.items.push(item)
    if (item.kind === 'change') this.changeCount++
    this.notify('arrived')
  }

  /** Wakes a waiting `nextBatch` (a failure, a stop): it returns what it has, or undefined. */
  interrupt(): void {
    this.notify('interrupted')
  }

  private notify(why: WakeReason): void {
    const wake = this.wake
    this.wake = undefined
    wake?.(why)
  }

  /**
   * The next batch, or undefined when interrupted before one was ready (the caller checks why and
   * calls again). Never called concurrently with itself.
   */
  async nextBatch(options: BatchOptions): Promise<InputBatch | undefined> {
    // Boundaries at the head, until a change arrives.
    for (;;) {
      this.takeBoundaries()
      if (this.peek() !== undefined) break
      if (this.lastBoundary !== this.delivered) {
        const dueInMs = this.deliveredAtMs + POSITION_ONLY_INTERVAL_MS - Date.now()
        if (dueInMs <= 0) return this.batch(EMPTY_SCHEMA, [], [], this.lastBoundary)
        if ((await this.wait(dueInMs)) === 'interrupted') return undefined
      } else if ((await this.wait(undefined)) === 'interrupted') {
        return undefined
      }
    }
    const schema = (this.peek() as ChangeItem<P>).schema
    const rows: Row[] = []
    const rejected: RejectedRecord[] = []
    // The position after the last item taken: a boundary, or the last change (computed once, at the end).
    let boundary = this.lastBoundary
    let lastChange: ChangeItem<P> | undefined
    const deadline = Date.now() + options.lingerMs
    for (;;) {
      let isDone = false
      for (let item = this.peek(); item !== undefined; item = this.peek()) {
        if (item.kind === 'boundary') {
          boundary = item.position
          lastChange = undefined
          this.lastBoundary = item.position
          this.shift()
          continue
        }
        if (item.schema !== schema || rows.length + rejected.length >= options.batchSize) {
          isDone = true
          break
        }
        this.shift()
        if (item.row !== undefined) rows.push(item.row)
        if (item.rejected !== undefined) rejected.push(item.rejected)
        lastChange = item
      }
      if (isDone || rows.length + rejected.length >= options.batchSize) break
      const remainingMs = deadline - Date.now()
      if (remainingMs <= 0 || (await this.wait(remainingMs)) !== 'arrived') break
    }
    const position = lastChange === undefined ? boundary : this.positions.inTransaction(lastChange.transactionStart, lastChange.index + 1)
    return this.batch(schema, rows, rejected, position)
  }

  private batch(schema: Schema, rows: Row[], rejected: RejectedRecord[], position: P): InputBatch {
    this.delivered = position
    this.deliveredAtMs = Date.now()
    const json = this.positions.json(position)
    return rejected.length > 0 ? { schema, rows, rejected, position: json } : { schema, rows, position: json }
  }

  private takeBoundaries(): void {
    for (let item = this.peek(); item !== undefined && item.kind === 'boundary'; item = this.peek()) {
      this.lastBoundary = item.position
      this.shift()
    }
  }

  private peek(): QueueItem<P> | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  private shift(): void {
    const item = this.items[this.head++]
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    if (item.kind === 'change') {
      this.changeCount--
      if (this.changeCount === Math.floor(this.capacity / 2)) this.onDrained?.()
    }
  }

  /** Until an item arrives, the queue is interrupted, or `timeoutMs` passed. */
  private wait(timeoutMs: number | undefined): Promise<WakeReason> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => done('timeout'), timeoutMs)
      const done = (why: WakeReason): void => {
        if (timer !== undefined) clearTimeout(timer)
        if (this.wake === done) this.wake = undefined
        resolve(why)
      }
      this.wake = done
    })
  }
}

type WakeReason = 'arrived' | 'timeout' | 'interrupted'
