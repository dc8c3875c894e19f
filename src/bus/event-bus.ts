/**
 * One bus: a reader over a source, a bounded buffer of the events it read, and the cursors of the
 * subscribers that take them. The group (event-bus-group.ts) decides which subscriber goes on which
 * bus and when a bus splits; this file keeps the buffer, the backpressure and the release of events.
 *
 * Sequence numbers: every event read gets the next number (`head` is the number the next event will
 * get). A bus created by a split keeps the numbers of the bus it came from, so that the cursors it
 * takes over, and their acknowledgements, stay valid. The buffer holds events `tail` to `head - 1`,
 * where `tail` is the slowest active cursor: what every subscriber has taken is released at once.
 *
 * Everything here runs on the event loop; the only concurrency is between the reader loop (`run`)
 * and subscribers' `take`, which meet only through the fields below. A waiting subscriber is woken
 * synchronously (`BusCursor.wake`) when events arrive, and takes them at once.
 */
import type { Position } from '../core/batch.js'
import { backoffDelayMs, sleep, type RetryPolicy } from '../core/backoff.js'
import type { Logger } from '../core/component.js'
import { errorMessage, FatalError, isTransient } from '../core/errors.js'
import type { BusEvent, BusReader, BusSource } from './bus-source.js'
import { positionsEqual } from './positions-equal.js'
import { RateMeter } from './rate-meter.js'

/**
 * idle: built from a layout, waiting for its subscribers to come back; reading; ended: a bounded
 * source gave its last event; failed: the reader failed for good; closed: no subscriber left.
 */
export type BusState = 'idle' | 'reading' | 'ended' | 'failed' | 'closed'

export interface EventBusSettings<T extends BusEvent> {
  /** Events the buffer holds before the reader waits (invariant 2). */
  readonly capacity: number
  readonly retry: RetryPolicy
  readonly logger: Logger
  /** Milliseconds, monotonic: when rate meters start. Not read on the hot path. */
  readonly clock: () => number
  readonly rateWindowMs: number
  /** Called, synchronously, each time the reader stops because the buffer is full: the group may split the bus. */
  readonly onHeldBack: (bus: EventBus<T>) => void
}

/**
 * Taken positions kept per subscriber until acknowledged, to find the sequence number of an
 * acknowledged position. One entry per `take`; beyond this many the oldest are forgotten (invariant 2)
 * and acknowledging one of them records the position without its place (`acknowledgedSeq` unknown).
 * A power of two.
 */
const MAX_UNACKNOWLEDGED_TAKES = 16_384

/** A subscriber's place on a bus. Moves to another bus when a split takes the subscriber along. */
export class BusCursor<T extends BusEvent> {
  /** Set by `EventBus.attach`/`attachPending` before the cursor is used. */
  bus!: EventBus<T>
  /** Sequence number of the next event to take. Meaningless while pending. */
  next = 0
  /**
   * Waiting for the event whose position is `target` to be read, then starts after it (a bus rebuilt
   * from a layout: a subscriber ahead of the slowest joins where it was). Holds back no event.
   */
  isPending = false
  target: Position | undefined
  /** A pending cursor's target must have been read when `head` reaches this, or it never will. */
  matchBy = 0
  /** Position after the last event taken, or where the subscriber started. */
  position: Position | undefined
  /** Position the subscriber acknowledged as durable (its pipe's checkpoint), or where it started. */
  acknowledgedPosition: Position | undefined
  /** Sequence number after the acknowledged position; undefined when it could not be placed. */
  acknowledgedSeq: number | undefined
  eventsTaken = 0
  readonly rate: RateMeter
  failure: { readonly error: unknown } | undefined
  /** Set while the subscriber waits for events; called once by `wake`. */
  waiter: (() => void) | undefined
  /** Ring of (sequence number after, position) per take not yet acknowledged: oldest at `takenFirst`. */
  private takenSeqs = new Float64Array(16)
  private takenPositions = new Array<Position | undefined>(16)
  private takenFirst = 0
  private takenCount = 0

  constructor(
    readonly id: string,
    after: Position | undefined,
    nowMs: number,
    rateWindowMs: number,
  ) {
    this.position = after
    this.acknowledgedPosition = after
    this.rate = new RateMeter(nowMs, rateWindowMs)
  }

  /** Lets a waiting subscriber try again: events arrived, or the bus ended, failed, closed or moved it. */
  wake(): void {
    const waiter = this.waiter
    if (!waiter) return
    this.waiter = undefined
    waiter()
  }

  /** Remembers that taking up to `seqAfter` brought the subscriber to `position` (for `acknowledge`). */
  recordTaken(seqAfter: number, position: Position): void {
    let size = this.takenSeqs.length
    if (this.takenCount === size) {
      if (size < MAX_UNACKNOWLEDGED_TAKES) {
        this.growTaken()
        size = this.takenSeqs.length
      } else {
        this.takenPositions[this.takenFirst] = undefined
        this.takenFirst = (this.takenFirst + 1) & (size - 1)
        this.takenCount--
      }
    }
    const index = (this.takenFirst + this.takenCount) & (size - 1)
    this.takenSeqs[index] = seqAfter
    this.takenPositions[index] = position
    this.takenCount++
  }

  /**
   * The subscriber's pipe made everything up to `position` durable (invariant 1). Cumulative; the
   * position is one that `take` ended a result with. Only recorded, for the layout: it releases nothing.
   */
  acknowledge(position: Position): void {
    if (positionsEqual(position, this.acknowledgedPosition)) return
    const mask = this.takenSeqs.length - 1
    for (let k = 0; k < this.takenCount; k++) {
      const index = (this.takenFirst + k) & mask
      if (!positionsEqual(this.takenPositions[index], position)) continue
      this.acknowledgedSeq = this.takenSeqs[index]
      this.acknowledgedPosition = position
      for (let j = 0; j <= k; j++) this.takenPositions[(this.takenFirst + j) & mask] = undefined
      this.takenFirst = (index + 1) & mask
      this.takenCount -= k + 1
      return
    }
    this.acknowledgedPosition = position
    this.acknowledgedSeq = undefined
  }

  private growTaken(): void {
    const size = this.takenSeqs.length
    const seqs = new Float64Array(size * 2)
    const positions = new Array<Position | undefined>(size * 2)
    for (let k = 0; k < this.takenCount; k++) {
      seqs[k] = this.takenSeqs[(this.takenFirst + k) & (size - 1)]
      positions[k] = this.takenPositions[(this.takenFirst + k) & (size - 1)]
    }
    this.takenSeqs = seqs
    this.takenPositions = positions
    this.takenFirst = 0
  }
}

export class EventBus<T extends BusEvent> {
  state: BusState = 'idle'
  /** Active and pending cursors, in the order they came. */
  readonly cursors: BusCursor<T>[] = []
  /** Sequence number the next event read will get. */
  head: number
  /** Sequence number of the oldest event kept: the slowest active cursor (or `head`). */
  tail: number
  /** Position after event `tail - 1`: where a subscriber that joins at `tail` has been. */
  tailPosition: Position | undefined
  /** Position after the last event read: where the reader reopens. */
  readPosition: Position | undefined
  /** The reader waits for the slowest subscriber: the buffer holds `capacity` events. */
  isWaitingForSpace = false
  eventsRead = 0
  /** Times subscribers left this bus for a new one. */
  splits = 0
  failure: { readonly error: unknown } | undefined
  readonly rate: RateMeter
  private ring: (T | undefined)[]
  private mask: number
  private activeCount = 0
  private pendingCount = 0
  private spaceWaiter: (() => void) | undefined
  private readonly abort = new AbortController()
  private reader: BusReader<T> | undefined
  private running: Promise<void> | undefined

  /** `firstSeq`: the sequence number of the first event (a split bus continues the numbers of its origin). */
  constructor(
    readonly id: string,
    private readonly source: BusSource<T>,
    private readonly settings: EventBusSettings<T>,
    firstSeq = 0,
  ) {
    this.head = firstSeq
    this.tail = firstSeq
    const size = ringSizeFor(settings.capacity)
    this.ring = new Array<T | undefined>(size)
    this.mask = size - 1
    this.rate = new RateMeter(settings.clock(), settings.rateWindowMs)
  }

  get capacity(): number {
    return this.settings.capacity
  }

  get bufferedEvents(): number {
    return this.head - this.tail
  }

  /** Starts reading after `after` (also: where a bus that has released nothing starts). */
  start(after: Position | undefined): void {
    if (this.state !== 'idle') throw new Error(`bus ${this.id} started twice`)
    if (this.head === this.tail) this.tailPosition = after
    this.readPosition = after
    this.state = 'reading'
    this.running = this.run()
  }

  /**
   * Takes over the events a split leaves to this new bus: those from `firstSeq` (the slowest mover's
   * next event) to `origin.head`, with the numbers they had. `firstPosition` is the position after
   * event `firstSeq - 1`. The references are copied, not the events: until the slow bus releases
   * them, both buses hold the same objects.
   */
  adopt(origin: EventBus<T>, firstSeq: number, firstPosition: Position | undefined): void {
    if (this.state !== 'idle' || this.head !== this.tail) throw new Error(`bus ${this.id} adopts events after it started`)
    this.head = this.tail = firstSeq
    this.reserve(origin.head - firstSeq)
    for (let seq = firstSeq; seq < origin.head; seq++) this.ring[seq & this.mask] = origin.ring[seq & origin.mask]
    this.head = origin.head
    this.tailPosition = firstPosition
  }

  /** Adds a cursor that takes next the event numbered `seq` (between `tail` and `head`). */
  attach(cursor: BusCursor<T>, seq: number): void {
    if (seq < this.tail || seq > this.head) throw new Error(`cursor ${cursor.id} placed at ${seq} outside ${this.tail}..${this.head} of bus ${this.id}`)
    cursor.bus = this
    cursor.next = seq
    cursor.isPending = false
    this.cursors.push(cursor)
    this.activeCount++
  }

  /** Adds a cursor that waits for the event at `target` (see `BusCursor.isPending`). */
  attachPending(cursor: BusCursor<T>, target: Position | undefined, matchBy: number): void {
    cursor.bus = this
    cursor.isPending = true
    cursor.target = target
    cursor.matchBy = matchBy
    cursor.acknowledgedSeq = matchBy
    this.cursors.push(cursor)
    this.pendingCount++
  }

  /** Makes a pending cursor of an idle bus active at the start (its target is where the bus starts). */
  activateAtStart(cursor: BusCursor<T>): void {
    if (!cursor.isPending) return
    cursor.isPending = false
    cursor.next = this.tail
    cursor.acknowledgedSeq = this.tail
    this.pendingCount--
    this.activeCount++
  }

  /** Removes a cursor; what only it held back is released. */
  detach(cursor: BusCursor<T>): void {
    const index = this.cursors.indexOf(cursor)
    if (index < 0) return
    this.cursors.splice(index, 1)
    if (cursor.isPending) this.pendingCount--
    else this.activeCount--
    if (this.state !== 'idle') this.advanceTail()
  }

  /**
   * Where a subscriber that has been up to `position` can join: the sequence number of the next
   * event it needs, or -1 when this bus cannot give it every event after `position`.
   */
  placeAt(position: Position | undefined): number {
    if (this.state === 'idle' || this.state === 'failed' || this.state === 'closed') return -1
    if (positionsEqual(position, this.tailPosition)) return this.tail
    for (let seq = this.tail; seq < this.head; seq++) {
      if (positionsEqual((this.ring[seq & this.mask] as T).position, position)) return seq + 1
    }
    return -1
  }

  /**
   * Up to `maxEvents` events for `cursor`, which moves past them (they count as taken); undefined
   * when there is none yet (the subscriber waits to be woken); null once a bounded source is exhausted.
   * Throws the bus's or the cursor's failure. Allocates the returned array only.
   */
  take(cursor: BusCursor<T>, maxEvents: number): T[] | null | undefined {
    if (cursor.failure) throw cursor.failure.error
    if (this.failure) throw this.failure.error
    if (cursor.isPending) return undefined
    const start = cursor.next
    const available = this.head - start
    if (available === 0) return this.state === 'ended' ? null : undefined
    const count = available < maxEvents ? available : maxEvents
    const events = new Array<T>(count)
    const ring = this.ring
    const mask = this.mask
    for (let i = 0; i < count; i++) events[i] = ring[(start + i) & mask] as T
    const end = start + count
    cursor.next = end
    const position = events[count - 1].position
    cursor.position = position
    cursor.eventsTaken += count
    cursor.recordTaken(end, position)
    // Only the slowest cursor holds the tail: the others need not look at their peers.
    if (start === this.tail) this.advanceTail()
    return events
  }

  /** Stops the reader and wakes every waiting subscriber; resolves once the reader is closed. */
  async close(): Promise<void> {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.abort.abort()
    this.wakeAll()
    await this.closeReader()
    await this.running
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal
    let attempt = 0
    while (this.state === 'reading') {
      // Invariant 2: the reader reads nothing more while the slowest subscriber is `capacity` behind.
      if (this.head - this.tail >= this.settings.capacity) {
        await this.waitForSpace()
        continue
      }
      let events: readonly T[] | null
      try {
        if (!this.reader) {
          const reader = await this.source.openReader(this.readPosition, signal)
          if (this.state !== 'reading') {
            await closeQuietly(reader, this.settings.logger, this.id)
            return
          }
          this.reader = reader
        }
        events = await this.reader.next(signal)
        attempt = 0
      } catch (error) {
        if (this.state !== 'reading') return
        if (!isTransient(error) || attempt >= this.settings.retry.maxRetries) {
          await this.fail(error)
          return
        }
        attempt++
        const delayMs = backoffDelayMs(this.settings.retry, attempt)
        this.settings.logger.warn('event bus: reading the source failed, reopening it', {
          bus: this.id,
          attempt,
          delay_ms: delayMs,
          error: errorMessage(error),
        })
        await this.closeReader()
        await sleep(delayMs, signal)
        continue
      }
      if (this.state !== 'reading') return
      if (events === null) {
        await this.end()
        return
      }
      this.push(events)
    }
  }

  private async waitForSpace(): Promise<void> {
    this.isWaitingForSpace = true
    this.settings.onHeldBack(this)
    while (this.state === 'reading' && this.head - this.tail >= this.settings.capacity) {
      await new Promise<void>((resolve) => (this.spaceWaiter = resolve))
    }
    this.isWaitingForSpace = false
  }

  private push(events: readonly T[]): void {
    const count = events.length
    if (count === 0) return
    // One reader result is admitted whole, so the buffer may exceed `capacity` by less than one result.
    this.reserve(this.head - this.tail + count)
    const ring = this.ring
    const mask = this.mask
    const first = this.head
    for (let i = 0; i < count; i++) ring[(first + i) & mask] = events[i]
    this.head = first + count
    this.readPosition = events[count - 1].position
    this.eventsRead += count
    if (this.pendingCount > 0) {
      this.matchPending(events, first)
      // A cursor that matched starts past the tail: the events before it may be nobody's.
      this.advanceTail()
    } else if (this.activeCount === 0) {
      this.advanceTail()
    }
    this.wakeCursors()
  }

  /** Starts the pending cursors whose target is among `events` (numbered from `first`). */
  private matchPending(events: readonly T[], first: number): void {
    for (const cursor of this.cursors.slice()) {
      if (!cursor.isPending) continue
      for (let i = 0; i < events.length; i++) {
        if (!positionsEqual(events[i].position, cursor.target)) continue
        cursor.isPending = false
        cursor.next = first + i + 1
        cursor.acknowledgedSeq = cursor.next
        this.pendingCount--
        this.activeCount++
        break
      }
      if (cursor.isPending && this.head >= cursor.matchBy) this.failCursor(cursor, positionNotFound(cursor.id, cursor.target, this.id))
    }
  }

  /** Releases what every active cursor has taken (GC): the buffer no longer references it. */
  private advanceTail(): void {
    let slowest = this.head
    for (const cursor of this.cursors) if (!cursor.isPending && cursor.next < slowest) slowest = cursor.next
    if (slowest <= this.tail) return
    const ring = this.ring
    const mask = this.mask
    this.tailPosition = (ring[(slowest - 1) & mask] as T).position
    for (let seq = this.tail; seq < slowest; seq++) ring[seq & mask] = undefined
    this.tail = slowest
    if (this.spaceWaiter && this.head - this.tail < this.settings.capacity) {
      const waiter = this.spaceWaiter
      this.spaceWaiter = undefined
      waiter()
    }
  }

  /** Grows the ring to hold `events` (a power of two, so that a sequence number maps with a mask). */
  private reserve(events: number): void {
    if (events <= this.ring.length) return
    const size = ringSizeFor(events)
    const ring = new Array<T | undefined>(size)
    const mask = size - 1
    for (let seq = this.tail; seq < this.head; seq++) ring[seq & mask] = this.ring[seq & this.mask]
    this.ring = ring
    this.mask = mask
  }

  private async end(): Promise<void> {
    this.state = 'ended'
    for (const cursor of this.cursors.slice()) {
      if (cursor.isPending) this.failCursor(cursor, positionNotFound(cursor.id, cursor.target, this.id))
    }
    this.wakeAll()
    await this.closeReader()
  }

  /** Fails every subscription of the bus with `error` (each one's next() rejects with it). */
  private async fail(error: unknown): Promise<void> {
    this.state = 'failed'
    this.failure = { error }
    this.wakeAll()
    await this.closeReader()
  }

  private failCursor(cursor: BusCursor<T>, error: unknown): void {
    cursor.failure = { error }
    this.detach(cursor)
    cursor.wake()
  }

  private wakeCursors(): void {
    for (const cursor of this.cursors) cursor.wake()
  }

  private wakeAll(): void {
    this.wakeCursors()
    const waiter = this.spaceWaiter
    this.spaceWaiter = undefined
    waiter?.()
  }

  private async closeReader(): Promise<void> {
    const reader = this.reader
    this.reader = undefined
    if (reader) await closeQuietly(reader, this.settings.logger, this.id)
  }
}

/** The smallest power of two that holds `events` (at least 16). */
function ringSizeFor(events: number): number {
  let size = 16
  while (size < events) size *= 2
  return size
}

/** Closes a reader that is no longer needed; a failure to close is logged, the bus has moved on. */
async function closeQuietly(reader: BusReader<BusEvent>, logger: Logger, busId: string): Promise<void> {
  try {
    await reader.close()
  } catch (error) {
    logger.warn('event bus: closing a source reader failed', { bus: busId, error: errorMessage(error) })
  }
}

function positionNotFound(subscriberId: string, target: Position | undefined, busId: string): FatalError {
  return new FatalError(
    'bus.position_not_found',
    `subscriber "${subscriberId}" was at position ${JSON.stringify(target)}, which bus ${busId} did not read where the layout said`,
    { hint: 'the source did not give the same events again after a restart; the subscriber resumes on its own bus when it subscribes again' },
  )
}
