/**
 * A subscriber's handle on its group's buses (EventBusGroup.subscribe gives it). The subscriber does
 * not see which bus it is on: a split moves it between two calls of `next`, without losing or
 * repeating an event.
 */
import type { Position } from '../core/batch.js'
import type { BusEvent } from './bus-source.js'
import type { BusCursor, EventBus } from './event-bus.js'

/** What the group does for a subscription. */
export interface SubscriptionHooks<T extends BusEvent> {
  /** The subscriber found nothing to take on `bus`: the group may split it. */
  starved(bus: EventBus<T>): void
  /** Leaves the group (a bus left without subscribers stops its reader). */
  close(cursor: BusCursor<T>): Promise<void>
}

export class BusSubscription<T extends BusEvent> {
  private isClosed = false
  private isTaking = false
  /** The waiting `next` call, if any: its promise's functions, its limit and its signal. */
  private resolveWait: ((events: T[] | null) => void) | undefined
  private rejectWait: ((error: unknown) => void) | undefined
  private waitMaxEvents = 0
  private waitSignal: AbortSignal | undefined
  /** Bound once: runs when the call starts waiting and each time the bus wakes the cursor. */
  private readonly attempt = (): void => this.tryToTake()
  private readonly onAbort = (): void => this.settle(null)

  constructor(
    private readonly cursor: BusCursor<T>,
    private readonly hooks: SubscriptionHooks<T>,
  ) {}

  get id(): string {
    return this.cursor.id
  }

  /** The bus the subscriber is on now (it changes when a split moves the subscriber). */
  get busId(): string {
    return this.cursor.bus.id
  }

  /** Position after the last event taken, or where the subscription started. */
  get position(): Position | undefined {
    return this.cursor.position
  }

  /**
   * Up to `maxEvents` events, in source order, each exactly once: waits until at least one is there,
   * then returns what is buffered without waiting for more, so a flood comes in full arrays and a
   * trickle at once. The events count as taken when this resolves: the bus releases an event once
   * every subscriber has taken it, and never gives it again (see `ack` for durability).
   *
   * Resolves null at the end of a bounded source, once the subscription is closed, or soon after
   * `signal` aborts. Rejects with the bus's error when its reader failed for good (TransientErrors
   * are retried first), or with a FatalError `bus.position_not_found`. Not to be called again
   * before the previous call settled.
   *
   * Not an async function on purpose: when events are buffered it returns at once, and a waiting
   * call is completed by the bus itself when the reader pushes (one promise per call, no loop).
   */
  next(maxEvents: number, signal?: AbortSignal): Promise<T[] | null> {
    if (!(maxEvents >= 1)) return Promise.reject(new Error(`next(${maxEvents}): maxEvents must be at least 1`))
    if (this.isTaking) return Promise.reject(new Error(`subscription "${this.id}": next() called before the previous call settled`))
    if (this.isClosed || signal?.aborted) return Promise.resolve(null)
    try {
      const events = this.cursor.bus.take(this.cursor, maxEvents)
      if (events !== undefined) return Promise.resolve(events)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.waitFor(maxEvents, signal)
  }

  /** Waits on the cursor until the bus has events for it, or ends, fails, closes, or the call is aborted. */
  private waitFor(maxEvents: number, signal: AbortSignal | undefined): Promise<T[] | null> {
    this.isTaking = true
    return new Promise<T[] | null>((resolve, reject) => {
      this.resolveWait = resolve
      this.rejectWait = reject
      this.waitMaxEvents = maxEvents
      this.waitSignal = signal
      signal?.addEventListener('abort', this.onAbort, { once: true })
      this.tryToTake()
    })
  }

  private tryToTake(): void {
    if (!this.resolveWait) return
    if (this.isClosed || this.waitSignal?.aborted) return this.settle(null)
    const cursor = this.cursor
    const bus = cursor.bus
    let events: T[] | null | undefined
    try {
      events = bus.take(cursor, this.waitMaxEvents)
    } catch (error) {
      return this.settle(null, error)
    }
    if (events !== undefined) return this.settle(events)
    this.hooks.starved(bus)
    // A split may just have moved the subscriber to a bus that has its next events.
    if (cursor.bus !== bus) return this.tryToTake()
    cursor.waiter = this.attempt
  }

  private settle(events: T[] | null, error?: unknown): void {
    const resolve = this.resolveWait
    const reject = this.rejectWait
    if (!resolve || !reject) return
    this.resolveWait = this.rejectWait = undefined
    this.waitSignal?.removeEventListener('abort', this.onAbort)
    this.waitSignal = undefined
    if (this.cursor.waiter === this.attempt) this.cursor.waiter = undefined
    this.isTaking = false
    if (error === undefined) resolve(events)
    else reject(error)
  }

  /**
   * Everything up to `position` (the position of the last event of a `next` result) is durable in
   * the subscriber's outputs and its checkpoint is saved (invariant 1). Cumulative, in order. The
   * bus does not wait for it to release events; the group's layout records it, so that a rebuilt
   * group resumes each subscriber from its acknowledged position, never from one merely taken.
   */
  ack(position: Position): void {
    this.cursor.acknowledge(position)
  }

  /** Unsubscribes. A pending `next` resolves null. Resolves once a bus left without subscribers has closed its reader. */
  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    this.cursor.wake()
    await this.hooks.close(this.cursor)
  }

  /** The group closed: no more events. */
  markClosed(): void {
    this.isClosed = true
    this.cursor.wake()
  }
}
