/**
 * The buses of one source (seed 000 §3): a source used by several pipes is read once and fanned out,
 * with backpressure, release of what everyone has taken, and bus splitting. See README.md.
 *
 * Who calls what: the agent makes one group per source and closes it when the source goes away;
 * each pipe subscribes once and calls `next` in a loop (never two calls at once), `ack` after each of
 * its checkpoints and `close` when it stops. Metrics and layout may be read at any time. A group
 * runs a timer (rate sampling) until `close()`.
 */
import type { Position } from '../core/batch.js'
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/backoff.js'
import { silentLogger, type Logger } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import { BUS_LAYOUT_VERSION, type BusLayout, type BusLayoutBus, type BusLayoutSubscriber } from './bus-layout.js'
import type { BusEvent, BusSource } from './bus-source.js'
import { BusSubscription, type SubscriptionHooks } from './bus-subscription.js'
import { BusCursor, EventBus, type BusState, type EventBusSettings } from './event-bus.js'
import { positionsEqual } from './positions-equal.js'

export const DEFAULT_BUS_CAPACITY = 1024
/** Rate samples per rate window: the window moves by a tenth of itself. */
const RATE_SAMPLES = 10
/** Default split threshold, as a share of the capacity. */
export const DEFAULT_SPLIT_RATIO = 0.8

export interface EventBusGroupOptions {
  /** Names the group in logs and metrics: the source's id. */
  readonly name: string
  /**
   * Events a bus buffers before its reader waits for the slowest subscriber (invariant 2). An event
   * is the source's unit (a transaction, a batch): size this by what one weighs. Default 1024.
   */
  readonly capacity?: number
  /**
   * A bus whose reader waits for its slowest subscriber splits when its fastest subscriber is more
   * than this many events ahead of the slowest. Default 80% of `capacity`; `Infinity`: never split.
   */
  readonly splitThreshold?: number
  /** Retries of a reader's TransientErrors. Default: core/backoff.ts DEFAULT_RETRY_POLICY. */
  readonly retry?: RetryPolicy
  readonly logger?: Logger
  /** Monotonic milliseconds for rates. Default `performance.now`. */
  readonly clock?: () => number
  /** Window of the rates in metrics. Default 10 s. The group samples counters ten times per window. */
  readonly rateWindowMs?: number
}

export interface SubscribeOptions {
  /**
   * Start after this position: the subscriber's own checkpoint. Absent: where the source starts
   * without a position (the subscriber joins a bus that started so and has released nothing yet).
   */
  readonly after?: Position
}

export interface EventBusGroupMetrics {
  readonly name: string
  /** Splits since the group was made. */
  readonly splits: number
  readonly buses: readonly BusMetrics[]
  readonly subscribers: readonly BusSubscriberMetrics[]
}

export interface BusMetrics {
  readonly id: string
  readonly state: BusState
  readonly subscribers: readonly string[]
  readonly bufferedEvents: number
  readonly capacity: number
  /** bufferedEvents / capacity; above 1 by less than one reader result at most. */
  readonly fillRatio: number
  /** Position after the last event read. */
  readonly readerPosition: Position | undefined
  readonly eventsRead: number
  /** Events read per second over the rate window. */
  readonly eventsPerSecond: number
  /** Times subscribers left this bus for a new one. */
  readonly splits: number
  /** The reader waits for the slowest subscriber: the buffer is full. */
  readonly isHeldBack: boolean
}

export interface BusSubscriberMetrics {
  readonly id: string
  readonly bus: string
  /** active; pending: waiting for its position to be read again (a rebuilt group); failed. */
  readonly state: 'active' | 'pending' | 'failed'
  /** Position after the last event taken. */
  readonly position: Position | undefined
  readonly acknowledgedPosition: Position | undefined
  /** Events the bus has read that the subscriber has not taken; null unless active. */
  readonly lag: number | null
  readonly eventsTaken: number
  readonly eventsPerSecond: number
}

/** A subscriber of a layout that has not subscribed again yet. */
interface Reservation<T extends BusEvent> {
  readonly bus: EventBus<T>
  readonly position: Position | undefined
  readonly lead: number
}

export class EventBusGroup<T extends BusEvent> {
  readonly name: string
  readonly capacity: number
  readonly splitThreshold: number
  private readonly settings: EventBusSettings<T>
  private readonly rateWindowMs: number
  private readonly clock: () => number
  private readonly buses: EventBus<T>[] = []
  private readonly subscriptions = new Map<string, BusSubscription<T>>()
  private readonly cursors = new Map<string, BusCursor<T>>()
  private readonly reservations = new Map<string, Reservation<T>>()
  private readonly hooks: SubscriptionHooks<T>
  /** Samples the counters of every bus and subscriber for their rates (nothing is timed per event). */
  private readonly rateSampler: ReturnType<typeof setInterval>
  private lastBusNumber = 0
  private splitCount = 0
  private isClosed = false

  /** Throws ConfigError `bus.capacity_invalid` or `bus.split_threshold_invalid`. */
  constructor(
    private readonly source: BusSource<T>,
    options: EventBusGroupOptions,
  ) {
    this.name = options.name
    this.capacity = options.capacity ?? DEFAULT_BUS_CAPACITY
    if (!Number.isSafeInteger(this.capacity) || this.capacity < 1) {
      throw new ConfigError('bus.capacity_invalid', `bus capacity ${this.capacity} is not a whole number of events above 0`, { path: 'capacity' })
    }
    this.splitThreshold = options.splitThreshold ?? Math.max(1, Math.floor(this.capacity * DEFAULT_SPLIT_RATIO))
    if (this.splitThreshold !== Infinity && (!Number.isSafeInteger(this.splitThreshold) || this.splitThreshold < 1)) {
      throw new ConfigError('bus.split_threshold_invalid', `bus split threshold ${this.splitThreshold} is not a whole number of events above 0`, {
        path: 'split_threshold',
        hint: `use a number of events below the capacity (${this.capacity}), or Infinity to never split`,
      })
    }
    this.clock = options.clock ?? (() => performance.now())
    this.rateWindowMs = options.rateWindowMs ?? 10_000
    this.settings = {
      capacity: this.capacity,
      retry: options.retry ?? DEFAULT_RETRY_POLICY,
      logger: options.logger ?? silentLogger,
      clock: this.clock,
      rateWindowMs: this.rateWindowMs,
      onHeldBack: (bus) => this.splitWhileHeldBack(bus),
    }
    this.hooks = {
      starved: (bus) => this.splitWhileHeldBack(bus),
      close: (cursor) => this.unsubscribe(cursor),
    }
    this.rateSampler = setInterval(() => this.sampleRates(), this.rateWindowMs / RATE_SAMPLES)
    this.rateSampler.unref()
  }

  /**
   * A group shaped as `layout` says (from `layout()`, checked by `parseBusLayout`). Each bus of the
   * layout waits, without reading, until its subscribers subscribe again or `releaseReservations`
   * is called. A subscriber that subscribes again after the position the layout gives it (its
   * acknowledged position: the pipe's checkpoint) goes back on its bus: the bus reads from the least
   * advanced of those that came back, and the others join as the reader passes their position. A
   * subscriber that comes with another position (a checkpoint the layout did not see) is placed as
   * any new subscriber is.
   */
  static restore<T extends BusEvent>(source: BusSource<T>, layout: BusLayout, options: EventBusGroupOptions): EventBusGroup<T> {
    const group = new EventBusGroup(source, options)
    for (const entry of layout.buses) {
      const known = entry.subscribers.filter((subscriber) => subscriber.lead_events !== undefined)
      if (known.length === 0) continue
      const bus = group.addBus(entry.id)
      for (const subscriber of known) {
        group.reservations.set(subscriber.id, { bus, position: subscriber.position, lead: subscriber.lead_events as number })
      }
    }
    return group
  }

  /**
   * Subscribes `id` (unique in the group). It receives every event after `options.after`, in order,
   * once: on the bus of its reservation (a restored group), on a bus that still holds the event at
   * `after` (or has released exactly up to it), or else on a new bus with its own reader.
   */
  subscribe(id: string, options: SubscribeOptions = {}): BusSubscription<T> {
    if (this.isClosed) throw new Error(`event bus group ${this.name} is closed`)
    if (this.cursors.has(id)) throw new Error(`subscriber "${id}" is already subscribed to event bus group ${this.name}`)
    const after = options.after
    const cursor = new BusCursor<T>(id, after, this.clock(), this.rateWindowMs)
    const subscription = new BusSubscription(cursor, this.hooks)
    const reservation = this.reservations.get(id)
    if (reservation) this.reservations.delete(id)
    if (reservation && positionsEqual(after, reservation.position)) {
      reservation.bus.attachPending(cursor, after, reservation.lead)
    } else {
      this.place(cursor, after)
    }
    this.cursors.set(id, cursor)
    this.subscriptions.set(id, subscription)
    if (reservation) this.startIfComplete(reservation.bus)
    return subscription
  }

  /**
   * A restored group: subscribers of the layout that have not subscribed again lose their place, and
   * the buses still waiting for them start. Call it once every pipe that will come back has subscribed.
   */
  releaseReservations(): void {
    const buses = new Set<EventBus<T>>()
    for (const reservation of this.reservations.values()) buses.add(reservation.bus)
    this.reservations.clear()
    for (const bus of buses) this.startIfComplete(bus)
  }

  /** The buses and their subscribers, as the agent saves them (see bus-layout.ts). */
  layout(): BusLayout {
    const buses: BusLayoutBus[] = []
    for (const bus of this.buses) {
      if (bus.state === 'failed' || bus.state === 'closed') continue
      const entries: { subscriber: BusLayoutSubscriber; seq: number | undefined }[] = []
      for (const cursor of bus.cursors) {
        entries.push({
          seq: cursor.acknowledgedSeq,
          subscriber: {
            id: cursor.id,
            ...(cursor.acknowledgedPosition !== undefined && { position: cursor.acknowledgedPosition }),
            ...(cursor.position !== undefined && { taken_position: cursor.position }),
          },
        })
      }
      for (const [id, reservation] of this.reservations) {
        if (reservation.bus !== bus) continue
        entries.push({ seq: reservation.lead, subscriber: { id, ...(reservation.position !== undefined && { position: reservation.position }) } })
      }
      if (entries.length === 0) continue
      let least = Infinity
      for (const entry of entries) if (entry.seq !== undefined && entry.seq < least) least = entry.seq
      entries.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity))
      buses.push({
        id: bus.id,
        subscribers: entries.map(({ subscriber, seq }) => (seq === undefined ? subscriber : { ...subscriber, lead_events: seq - least })),
      })
    }
    return { version: BUS_LAYOUT_VERSION, buses }
  }

  metrics(): EventBusGroupMetrics {
    const nowMs = this.clock()
    const buses = this.buses.map(
      (bus): BusMetrics => ({
        id: bus.id,
        state: bus.state,
        subscribers: bus.cursors.map((cursor) => cursor.id),
        bufferedEvents: bus.bufferedEvents,
        capacity: bus.capacity,
        fillRatio: bus.bufferedEvents / bus.capacity,
        readerPosition: bus.readPosition,
        eventsRead: bus.eventsRead,
        eventsPerSecond: bus.rate.perSecond(bus.eventsRead, nowMs),
        splits: bus.splits,
        isHeldBack: bus.isWaitingForSpace,
      }),
    )
    const subscribers = [...this.cursors.values()].map((cursor): BusSubscriberMetrics => {
      const state = cursor.failure ? 'failed' : cursor.isPending ? 'pending' : 'active'
      return {
        id: cursor.id,
        bus: cursor.bus.id,
        state,
        position: cursor.position,
        acknowledgedPosition: cursor.acknowledgedPosition,
        lag: state === 'active' ? cursor.bus.head - cursor.next : null,
        eventsTaken: cursor.eventsTaken,
        eventsPerSecond: cursor.rate.perSecond(cursor.eventsTaken, nowMs),
      }
    })
    return { name: this.name, splits: this.splitCount, buses, subscribers }
  }

  /** Closes every bus and reader and stops the rate sampler; pending and later `next` calls resolve null. */
  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    clearInterval(this.rateSampler)
    for (const subscription of this.subscriptions.values()) subscription.markClosed()
    this.reservations.clear()
    await Promise.all(this.buses.splice(0).map((bus) => bus.close()))
  }

  private sampleRates(): void {
    const nowMs = this.clock()
    for (const bus of this.buses) bus.rate.sample(bus.eventsRead, nowMs)
    for (const cursor of this.cursors.values()) cursor.rate.sample(cursor.eventsTaken, nowMs)
  }

  /** A new subscriber on a bus that can give it every event after `after`, or on a new bus. */
  private place(cursor: BusCursor<T>, after: Position | undefined): void {
    for (const bus of this.buses) {
      const seq = bus.placeAt(after)
      if (seq < 0) continue
      bus.attach(cursor, seq)
      cursor.acknowledgedSeq = seq
      return
    }
    const bus = this.addBus()
    bus.attach(cursor, 0)
    cursor.acknowledgedSeq = 0
    bus.start(after)
  }

  /** Starts a restored bus once no reservation waits for it: from its least advanced subscriber. */
  private startIfComplete(bus: EventBus<T>): void {
    if (bus.state !== 'idle') return
    for (const reservation of this.reservations.values()) if (reservation.bus === bus) return
    if (bus.cursors.length === 0) {
      this.removeBus(bus)
      void bus.close()
      return
    }
    let first = bus.cursors[0]
    for (const cursor of bus.cursors) if (cursor.matchBy < first.matchBy) first = cursor
    const start = first.target
    const startLead = first.matchBy
    for (const cursor of bus.cursors) {
      if (positionsEqual(cursor.target, start)) {
        bus.activateAtStart(cursor)
      } else {
        cursor.matchBy -= startLead
        cursor.acknowledgedSeq = cursor.matchBy
      }
    }
    bus.start(start)
  }

  /**
   * Splits `bus` while its reader waits for the slowest subscriber and the fastest is more than
   * `splitThreshold` events ahead. Called when the reader fills the buffer and when a subscriber
   * finds nothing to take; cheap when there is nothing to do.
   */
  private splitWhileHeldBack(bus: EventBus<T>): void {
    while (bus.state === 'reading' && bus.isWaitingForSpace) {
      let slowest = Infinity
      let fastest = -Infinity
      let active = 0
      for (const cursor of bus.cursors) {
        if (cursor.isPending) continue
        active++
        if (cursor.next < slowest) slowest = cursor.next
        if (cursor.next > fastest) fastest = cursor.next
      }
      const gap = fastest - slowest
      if (active < 2 || !(gap > this.splitThreshold)) return
      this.split(bus, slowest + gap / 2)
    }
  }

  /**
   * Moves the subscribers closer to the fastest than to the slowest (next event above `midpoint`)
   * to a new bus. The new bus takes over the buffered events from the slowest mover's on, with their
   * sequence numbers, and its reader starts after the last event the old reader read: each mover
   * continues exactly where it was, and the slow ones stay with the old reader.
   */
  private split(bus: EventBus<T>, midpoint: number): void {
    const movers = bus.cursors.filter((cursor) => !cursor.isPending && cursor.next > midpoint)
    let from = movers[0]
    for (const cursor of movers) if (cursor.next < from.next) from = cursor
    const next = this.addBus(undefined, from.next)
    next.adopt(bus, from.next, from.position)
    for (const cursor of movers) {
      bus.detach(cursor)
      next.attach(cursor, cursor.next)
    }
    bus.splits++
    this.splitCount++
    this.settings.logger.info('event bus: split, fast subscribers continue on a new bus', {
      source: this.name,
      from_bus: bus.id,
      to_bus: next.id,
      moved: movers.map((cursor) => cursor.id),
      stayed: bus.cursors.map((cursor) => cursor.id),
    })
    next.start(bus.readPosition)
    // Movers waiting on the old bus go on with the new one.
    for (const cursor of movers) cursor.wake()
  }

  private async unsubscribe(cursor: BusCursor<T>): Promise<void> {
    this.cursors.delete(cursor.id)
    this.subscriptions.delete(cursor.id)
    const bus = cursor.bus
    bus.detach(cursor)
    if (bus.state === 'idle') {
      this.startIfComplete(bus)
      return
    }
    if (bus.cursors.length > 0 || !this.buses.includes(bus)) return
    this.removeBus(bus)
    await bus.close()
  }

  /** A bus in the idle state, in the group; `id` from a layout, or the next `bus-N`. */
  private addBus(id?: string, firstSeq = 0): EventBus<T> {
    const number = id === undefined ? undefined : /^bus-(\d+)$/.exec(id)?.[1]
    if (number !== undefined) this.lastBusNumber = Math.max(this.lastBusNumber, Number(number))
    const bus = new EventBus<T>(id ?? `bus-${++this.lastBusNumber}`, this.source, this.settings, firstSeq)
    this.buses.push(bus)
    return bus
  }

  private removeBus(bus: EventBus<T>): void {
    const index = this.buses.indexOf(bus)
    if (index >= 0) this.buses.splice(index, 1)
  }
}
