import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, test } from 'vitest'
import type { RetryPolicy } from '../core/backoff.js'
import type { Position } from '../core/batch.js'
import { FatalError, TransientError } from '../core/errors.js'
import { parseBusLayout } from './bus-layout.js'
import type { BusEvent, BusReader, BusSource } from './bus-source.js'
import type { BusSubscription } from './bus-subscription.js'
import { EventBusGroup, type EventBusGroupOptions } from './event-bus-group.js'

interface NumberedEvent extends BusEvent {
  /** The event's number in the source; its position is the same number ("after event n"). */
  readonly n: number
  readonly position: number
}

interface TestSourceOptions {
  /** Events in the source (Infinity: unbounded). */
  readonly count: number
  /** Events per reader result, by call number (from 0, over all readers). Default 1. */
  readonly chunk?: (call: number) => number
  /** An error to throw at a `next` call, by call number and the number of the next event. */
  readonly failAt?: (call: number, next: number) => unknown
  /** From this event on, `next` gives nothing until the reader is closed (a quiet source). */
  readonly stallAt?: number
}

/** A replayable in-memory source: event n has position n, a reader opened after p starts at p + 1. */
class TestSource implements BusSource<NumberedEvent> {
  /** The `after` of every openReader call. */
  readonly opens: (Position | undefined)[] = []
  openReaders = 0
  closes = 0
  private calls = 0

  constructor(private readonly options: TestSourceOptions) {}

  async openReader(after: Position | undefined): Promise<BusReader<NumberedEvent>> {
    this.opens.push(after)
    this.openReaders++
    let next = after === undefined ? 0 : (after as number) + 1
    let isClosed = false
    let wake: (() => void) | undefined
    return {
      next: async () => {
        if (isClosed) throw new Error('next() after close()')
        const call = this.calls++
        const failure = this.options.failAt?.(call, next)
        if (failure !== undefined) throw failure
        if (next >= (this.options.stallAt ?? Infinity)) {
          await new Promise<void>((resolve) => (wake = resolve))
          return []
        }
        if (next >= this.options.count) return null
        const size = Math.min(this.options.chunk?.(call) ?? 1, this.options.count - next)
        const events: NumberedEvent[] = []
        for (let i = 0; i < size; i++, next++) events.push({ n: next, position: next })
        return events
      },
      close: async () => {
        if (isClosed) return
        isClosed = true
        wake?.()
        this.openReaders--
        this.closes++
      },
    }
  }
}

const NO_WAIT_RETRY: RetryPolicy = { maxRetries: 3, initialDelayMs: 0, maxDelayMs: 0, multiplier: 2 }

function group(source: TestSource, options: Partial<EventBusGroupOptions> = {}): EventBusGroup<NumberedEvent> {
  return new EventBusGroup(source, { name: 'test', retry: NO_WAIT_RETRY, ...options })
}

/** One turn of the event loop: every reader and subscriber that can go on without I/O has. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn()
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** Takes events until the end of the source; waits `pause()` turns of the event loop after each call. */
async function drain(subscription: BusSubscription<NumberedEvent>, maxEvents: number, pause: () => number = () => 0, seen: number[] = []): Promise<number[]> {
  for (;;) {
    const events = await subscription.next(maxEvents)
    if (events === null) return seen
    for (const event of events) seen.push(event.n)
    for (let i = pause(); i > 0; i--) await turn()
  }
}

/** Takes exactly `count` events (the bus must hold them, or get them). */
async function take(subscription: BusSubscription<NumberedEvent>, count: number): Promise<number[]> {
  const seen: number[] = []
  while (seen.length < count) {
    const events = await subscription.next(count - seen.length)
    if (events === null) throw new Error('source ended')
    for (const event of events) seen.push(event.n)
  }
  return seen
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('fan-out', () => {
  test('every subscriber receives every event once, in order, from one reader', async () => {
    const source = new TestSource({ count: 1000, chunk: () => 7 })
    const buses = group(source, { capacity: 4096 })
    const subscriptions = ['a', 'b', 'c'].map((id) => buses.subscribe(id))
    const received = await Promise.all(subscriptions.map((subscription, i) => drain(subscription, 10 + i * 20)))
    for (const seen of received) expect(seen).toEqual(range(0, 1000))
    expect(source.opens).toEqual([undefined])
    expect(buses.metrics().buses).toHaveLength(1)
    await buses.close()
    expect(source.openReaders).toBe(0)
  })

  test('next returns what is buffered without waiting for maxEvents', async () => {
    const source = new TestSource({ count: 5, chunk: () => 5 })
    const buses = group(source)
    const subscription = buses.subscribe('a')
    expect((await subscription.next(100))?.map((event) => event.n)).toEqual([0, 1, 2, 3, 4])
    expect(await subscription.next(100)).toBeNull()
    await buses.close()
  })
})

describe('backpressure', () => {
  test('the reader waits while the slowest subscriber is capacity events behind, and resumes when it moves', async () => {
    const source = new TestSource({ count: Infinity })
    const buses = group(source, { capacity: 10 })
    const fast = buses.subscribe('fast')
    const slow = buses.subscribe('slow')
    await settle()
    expect(buses.metrics().buses[0]).toMatchObject({ eventsRead: 10, bufferedEvents: 10, fillRatio: 1, isHeldBack: true })
    expect(await take(fast, 10)).toEqual(range(0, 10))
    await settle()
    // The fast subscriber alone does not free anything: the slow one holds every event.
    expect(buses.metrics().buses[0]).toMatchObject({ eventsRead: 10, bufferedEvents: 10 })
    expect(await take(slow, 4)).toEqual(range(0, 4))
    await settle()
    expect(buses.metrics().buses[0]).toMatchObject({ eventsRead: 14, bufferedEvents: 10, isHeldBack: true })
    await buses.close()
  })

  test('memory stays bounded by capacity plus one reader result, whatever the source holds', async () => {
    const chunk = 7
    const source = new TestSource({ count: 20_000, chunk: () => chunk })
    const buses = group(source, { capacity: 32, splitThreshold: Infinity })
    const next = random(1)
    let mostBuffered = 0
    const sample = (): number => {
      mostBuffered = Math.max(mostBuffered, ...buses.metrics().buses.map((bus) => bus.bufferedEvents))
      return Math.floor(next() * 3)
    }
    const received = await Promise.all(['a', 'b', 'c'].map((id) => drain(buses.subscribe(id), 5, sample)))
    for (const seen of received) expect(seen).toEqual(range(0, 20_000))
    expect(mostBuffered).toBeGreaterThanOrEqual(32)
    expect(mostBuffered).toBeLessThanOrEqual(32 - 1 + chunk)
    await buses.close()
  })
})

describe('release of taken events (GC)', () => {
  test('an event is released once every subscriber has taken it, and no longer referenced', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const source = new TestSource({ count: 100, chunk: () => 10 })
    const buses = group(source, { capacity: 1000 })
    const a = buses.subscribe('a')
    const b = buses.subscribe('b')
    await settle()
    expect(buses.metrics().buses[0].bufferedEvents).toBe(100)

    // Returns weak references only, so that this test holds no event itself.
    const takeWeakly = async (subscription: BusSubscription<NumberedEvent>, count: number): Promise<WeakRef<NumberedEvent>[]> =>
      ((await subscription.next(count)) ?? []).map((event) => new WeakRef(event))
    const takenByA = await takeWeakly(a, 60)
    expect(buses.metrics().buses[0].bufferedEvents).toBe(100)
    await takeWeakly(b, 50)
    expect(buses.metrics().buses[0].bufferedEvents).toBe(50)
    expect(buses.metrics().subscribers.map((s) => [s.id, s.lag])).toEqual([
      ['a', 40],
      ['b', 50],
    ])

    await turn()
    gc()
    expect(takenByA.slice(0, 50).filter((ref) => ref.deref() !== undefined)).toEqual([])
    // Events 50..59: taken by a, not yet by b, so still on the bus.
    expect(takenByA.slice(50).every((ref) => ref.deref() !== undefined)).toBe(true)
    await buses.close()
  })
})

describe('split', () => {
  test('fast subscribers move to a new bus and finish while the slow one has not moved', async () => {
    const source = new TestSource({ count: 10_000, chunk: () => 16 })
    const buses = group(source, { capacity: 64 })
    const slow = buses.subscribe('slow')
    const fast = [buses.subscribe('fast-1'), buses.subscribe('fast-2')]
    const received = await Promise.all(fast.map((subscription) => drain(subscription, 50)))
    for (const seen of received) expect(seen).toEqual(range(0, 10_000))

    const metrics = buses.metrics()
    expect(metrics.splits).toBe(1)
    expect(metrics.buses.map((bus) => [bus.id, bus.subscribers, bus.splits])).toEqual([
      ['bus-1', ['slow'], 1],
      ['bus-2', ['fast-1', 'fast-2'], 0],
    ])
    // The slow bus's reader stopped where the buffer filled; the new one started right after it.
    expect(metrics.buses[0]).toMatchObject({ eventsRead: 64, isHeldBack: true })
    expect(source.opens).toEqual([undefined, 63])

    expect(await drain(slow, 7)).toEqual(range(0, 10_000))
    await buses.close()
    expect(source.openReaders).toBe(0)
  })

  test('no split below the threshold, nor with Infinity', async () => {
    for (const splitThreshold of [100, Infinity]) {
      const source = new TestSource({ count: 1000, chunk: () => 4 })
      const buses = group(source, { capacity: 64, splitThreshold })
      const slow = buses.subscribe('slow')
      const fast = drain(buses.subscribe('fast'), 50)
      await settle()
      expect(buses.metrics().buses).toHaveLength(1)
      const [slowSeen, fastSeen] = await Promise.all([drain(slow, 50), fast])
      expect(slowSeen).toEqual(range(0, 1000))
      expect(fastSeen).toEqual(range(0, 1000))
      expect(source.opens).toEqual([undefined])
      await buses.close()
    }
  })

  test('property: with random speeds, every subscriber receives every event exactly once, in order', async () => {
    const count = 10_000
    let splits = 0
    for (let seed = 1; seed <= 12; seed++) {
      const next = random(seed)
      const maxChunk = 1 + Math.floor(next() * 40)
      const capacity = 16 + Math.floor(next() * 100)
      // Readers also fail now and then: reopening must not lose or repeat anything either.
      const source = new TestSource({
        count,
        chunk: () => 1 + Math.floor(next() * maxChunk),
        failAt: () => (next() < 0.02 ? new TransientError('test.reset', 'connection reset') : undefined),
      })
      const buses = group(source, { capacity, splitThreshold: 1 + Math.floor(next() * capacity) })
      const subscribers = 2 + Math.floor(next() * 4)
      let mostBuffered = 0
      const runs = range(0, subscribers).map((i) => {
        const subscription = buses.subscribe(`s${i}`)
        const maxEvents = 1 + Math.floor(next() * 64)
        // Speeds differ by subscriber and drift: some phases fast, some slow.
        const slowness = next() * 6
        const pause = (): number => {
          for (const bus of buses.metrics().buses) mostBuffered = Math.max(mostBuffered, bus.bufferedEvents)
          return Math.floor(next() * slowness * (next() < 0.1 ? 10 : 1))
        }
        return drain(subscription, maxEvents, pause)
      })
      const received = await Promise.all(runs)
      for (const seen of received) expect(seen).toEqual(range(0, count))
      expect(mostBuffered).toBeLessThanOrEqual(capacity - 1 + maxChunk)
      const metrics = buses.metrics()
      splits += metrics.splits
      expect(source.opens.length).toBeGreaterThan(1 + metrics.splits)
      await buses.close()
      expect(source.openReaders).toBe(0)
    }
    expect(splits).toBeGreaterThan(0)
  })

  test('subscribers closer to the fastest move; those closer to the slowest stay', async () => {
    const source = new TestSource({ count: Infinity, chunk: () => 10 })
    const buses = group(source, { capacity: 100, splitThreshold: 50 })
    buses.subscribe('slow')
    const middle = buses.subscribe('middle')
    const nearFast = buses.subscribe('near-fast')
    const fast = buses.subscribe('fast')
    await settle()
    await take(middle, 30)
    await take(nearFast, 70)
    await take(fast, 100)
    // The fast one finds nothing while the reader waits: gap 100 > 50, midpoint 50.
    const waiting = fast.next(5)
    expect((await waiting)?.map((event) => event.n)).toEqual(range(100, 105))
    expect(buses.metrics().buses.map((bus) => bus.subscribers)).toEqual([
      ['slow', 'middle'],
      ['near-fast', 'fast'],
    ])
    expect(source.opens).toEqual([undefined, 99])
    // near-fast continues from the events the new bus took over.
    expect(await take(nearFast, 40)).toEqual(range(70, 110))
    expect(await take(middle, 5)).toEqual(range(30, 35))
    await buses.close()
  })
})

describe('subscribing at a position', () => {
  test('joins a bus that holds the position, or gets its own bus', async () => {
    const source = new TestSource({ count: 1000, chunk: () => 10 })
    const buses = group(source, { capacity: 100, splitThreshold: Infinity })
    const a = buses.subscribe('a')
    const b = buses.subscribe('b')
    await settle()
    expect(await take(a, 30)).toEqual(range(0, 30))

    const atBuffered = buses.subscribe('c', { after: 19 })
    const atStart = buses.subscribe('d')
    const elsewhere = buses.subscribe('e', { after: 500 })
    expect([atBuffered.busId, atStart.busId, elsewhere.busId]).toEqual(['bus-1', 'bus-1', 'bus-2'])
    expect(source.opens).toEqual([undefined, 500])

    const [aSeen, bSeen, cSeen, dSeen, eSeen] = await Promise.all([
      drain(a, 13, () => 0, range(0, 30)),
      drain(b, 17),
      drain(atBuffered, 19),
      drain(atStart, 23),
      drain(elsewhere, 29),
    ])
    expect(aSeen).toEqual(range(0, 1000))
    expect(bSeen).toEqual(range(0, 1000))
    expect(cSeen).toEqual(range(20, 1000))
    expect(dSeen).toEqual(range(0, 1000))
    expect(eSeen).toEqual(range(501, 1000))
    await buses.close()
  })

  test('a position the bus has released gets its own reader', async () => {
    const source = new TestSource({ count: 100, chunk: () => 10 })
    const buses = group(source)
    const a = buses.subscribe('a')
    await settle()
    await take(a, 50)
    const late = buses.subscribe('late', { after: 9 })
    expect(late.busId).toBe('bus-2')
    expect(await drain(late, 100)).toEqual(range(10, 100))
    await buses.close()
  })
})

describe('layout and restore', () => {
  /** Three subscribers that took and acknowledged different amounts; returns the group's layout as JSON text. */
  async function savedLayout(): Promise<string> {
    const source = new TestSource({ count: 1000, chunk: () => 10 })
    const buses = group(source, { capacity: 2000 })
    const a = buses.subscribe('a')
    const b = buses.subscribe('b')
    const c = buses.subscribe('c')
    await settle()
    await take(a, 100)
    a.ack(99)
    await take(b, 300)
    b.ack(299)
    await take(c, 200)
    await take(c, 300)
    c.ack(199)
    const text = JSON.stringify(buses.layout())
    await buses.close()
    return text
  }

  test('the layout lists each bus with its subscribers, slowest first, at their acknowledged positions', async () => {
    expect(JSON.parse(await savedLayout())).toEqual({
      version: 1,
      buses: [
        {
          id: 'bus-1',
          subscribers: [
            { id: 'a', position: 99, lead_events: 0, taken_position: 99 },
            { id: 'c', position: 199, lead_events: 100, taken_position: 499 },
            { id: 'b', position: 299, lead_events: 200, taken_position: 299 },
          ],
        },
      ],
    })
  })

  test('acknowledgements are placed among many unacknowledged takes; one too old to place has no lead', async () => {
    const source = new TestSource({ count: 20_000, chunk: () => 100 })
    const buses = group(source, { capacity: 30_000 })
    const recent = buses.subscribe('recent')
    const old = buses.subscribe('old')
    await settle()
    // One take per event: more than the 16,384 takes a subscriber remembers until acknowledged.
    for (let i = 0; i < 20_000; i++) {
      await recent.next(1)
      await old.next(1)
    }
    recent.ack(19_990)
    old.ack(10)
    const [bus] = buses.layout().buses
    expect(bus.subscribers).toEqual([
      { id: 'recent', position: 19_990, lead_events: 0, taken_position: 19_999 },
      { id: 'old', position: 10, taken_position: 19_999 },
    ])
    // Without a lead, "old" is not rejoined to the bus on restore: it gets one of its own.
    const again = new TestSource({ count: 20_000, chunk: () => 100 })
    const restored = EventBusGroup.restore(again, parseBusLayout(JSON.parse(JSON.stringify(buses.layout()))), { name: 'test' })
    await buses.close()
    const oldAgain = restored.subscribe('old', { after: 10 })
    const recentAgain = restored.subscribe('recent', { after: 19_990 })
    expect([oldAgain.busId, recentAgain.busId]).toEqual(['bus-2', 'bus-1'])
    expect(await drain(recentAgain, 100)).toEqual(range(19_991, 20_000))
    expect((await drain(oldAgain, 1000)).length).toBe(20_000 - 11)
    await restored.close()
  })

  test('a restored group reads once from the least advanced subscriber; each resumes after its acknowledged position', async () => {
    const layout = parseBusLayout(JSON.parse(await savedLayout()))
    const source = new TestSource({ count: 1000, chunk: () => 10 })
    const buses = EventBusGroup.restore(source, layout, { name: 'test', capacity: 2000 })
    const b = buses.subscribe('b', { after: 299 })
    const c = buses.subscribe('c', { after: 199 })
    await settle()
    // Nothing is read until every subscriber of the bus is back (or reservations are released).
    expect(source.opens).toEqual([])
    const a = buses.subscribe('a', { after: 99 })
    const [aSeen, bSeen, cSeen] = await Promise.all([drain(a, 50), drain(b, 50), drain(c, 50)])
    expect(aSeen).toEqual(range(100, 1000))
    expect(bSeen).toEqual(range(300, 1000))
    expect(cSeen).toEqual(range(200, 1000))
    expect(source.opens).toEqual([99])
    await buses.close()
  })

  test('a layout with split buses is rebuilt bus by bus', async () => {
    const source = new TestSource({ count: 2000, chunk: () => 10 })
    const buses = group(source, { capacity: 64 })
    const slow = buses.subscribe('slow')
    const fast = buses.subscribe('fast')
    await take(fast, 1000)
    fast.ack(999)
    await take(slow, 10)
    slow.ack(9)
    const layout = parseBusLayout(JSON.parse(JSON.stringify(buses.layout())))
    await buses.close()
    expect(layout.buses.map((bus) => [bus.id, bus.subscribers.map((s) => [s.id, s.position, s.lead_events])])).toEqual([
      ['bus-1', [['slow', 9, 0]]],
      ['bus-2', [['fast', 999, 0]]],
    ])

    const again = new TestSource({ count: 2000, chunk: () => 10 })
    const restored = EventBusGroup.restore(again, layout, { name: 'test', capacity: 64 })
    const fastAgain = restored.subscribe('fast', { after: 999 })
    const slowAgain = restored.subscribe('slow', { after: 9 })
    expect([slowAgain.busId, fastAgain.busId]).toEqual(['bus-1', 'bus-2'])
    const [slowSeen, fastSeen] = await Promise.all([drain(slowAgain, 30), drain(fastAgain, 30)])
    expect(slowSeen).toEqual(range(10, 2000))
    expect(fastSeen).toEqual(range(1000, 2000))
    expect(again.opens).toEqual([999, 9])
    // New buses are numbered after the restored ones.
    expect(restored.subscribe('late', { after: 5 }).busId).toBe('bus-3')
    await restored.close()
  })

  test('a subscriber with another position is placed anew; a missing one loses its place on release', async () => {
    const layout = parseBusLayout(JSON.parse(await savedLayout()))
    const source = new TestSource({ count: 1000, chunk: () => 10 })
    const buses = EventBusGroup.restore(source, layout, { name: 'test', capacity: 2000 })
    const b = buses.subscribe('b', { after: 250 })
    const c = buses.subscribe('c', { after: 199 })
    expect(b.busId).toBe('bus-2')
    buses.releaseReservations()
    expect(source.opens).toEqual([250, 199])
    const [bSeen, cSeen] = await Promise.all([drain(b, 50), drain(c, 50)])
    expect(bSeen).toEqual(range(251, 1000))
    expect(cSeen).toEqual(range(200, 1000))
    // a comes back after the release: an ordinary new subscriber.
    const a = buses.subscribe('a', { after: 99 })
    expect(await drain(a, 50)).toEqual(range(100, 1000))
    await buses.close()
  })

  test('subscribers waiting for their position still get it when the one the bus started from leaves', async () => {
    const layout = parseBusLayout(JSON.parse(await savedLayout()))
    const source = new TestSource({ count: 1000, chunk: () => 10 })
    const buses = EventBusGroup.restore(source, layout, { name: 'test', capacity: 50 })
    const a = buses.subscribe('a', { after: 99 })
    const b = buses.subscribe('b', { after: 299 })
    const c = buses.subscribe('c', { after: 199 })
    await a.close()
    const [bSeen, cSeen] = await Promise.all([drain(b, 7), drain(c, 9)])
    expect(bSeen).toEqual(range(300, 1000))
    expect(cSeen).toEqual(range(200, 1000))
    expect(source.opens).toEqual([99])
    await buses.close()
  })

  test('a position the source does not give again where the layout says fails that subscriber only', async () => {
    const layout = parseBusLayout({
      version: 1,
      buses: [
        {
          id: 'bus-1',
          subscribers: [
            { id: 'a', position: 99, lead_events: 0 },
            { id: 'b', position: 299, lead_events: 50 },
          ],
        },
      ],
    })
    const source = new TestSource({ count: 1000, chunk: () => 10 })
    const buses = EventBusGroup.restore(source, layout, { name: 'test', capacity: 2000 })
    const a = buses.subscribe('a', { after: 99 })
    const b = buses.subscribe('b', { after: 299 })
    await expect(b.next(10)).rejects.toMatchObject({ code: 'bus.position_not_found' })
    expect(await drain(a, 50)).toEqual(range(100, 1000))
    await buses.close()
  })

  test('layout JSON that is not a layout is refused with its path', () => {
    const cases: [unknown, string][] = [
      [null, ''],
      [{ version: 2, buses: [] }, 'version'],
      [{ version: 1 }, 'buses'],
      [{ version: 1, buses: [{ id: '', subscribers: [] }] }, 'buses[0].id'],
      [{ version: 1, buses: [{ id: 'x', subscribers: [{ id: 'a', lead_events: -1 }] }] }, 'buses[0].subscribers[0].lead_events'],
      [{ version: 1, buses: [{ id: 'x', subscribers: [{ id: 'a' }] }, { id: 'y', subscribers: [{ id: 'a' }] }] }, 'buses[1].subscribers[0].id'],
    ]
    for (const [value, path] of cases) {
      expect(() => parseBusLayout(value), JSON.stringify(value)).toThrow(expect.objectContaining({ code: 'bus.layout_invalid', path }))
    }
  })
})

describe('reader errors', () => {
  test('a transient error reopens the reader after the last position read; nothing is lost or repeated', async () => {
    const source = new TestSource({
      count: 300,
      chunk: () => 10,
      failAt: (call) => (call === 5 || call === 6 || call === 20 ? new TransientError('test.reset', 'connection reset') : undefined),
    })
    const buses = group(source, { capacity: 50 })
    const received = await Promise.all(['a', 'b'].map((id) => drain(buses.subscribe(id), 15)))
    for (const seen of received) expect(seen).toEqual(range(0, 300))
    expect(source.opens).toEqual([undefined, 49, 49, 179])
    expect(source.openReaders).toBe(0)
    await buses.close()
  })

  test('a non-transient error fails every subscription of the bus with that error', async () => {
    const broken = new FatalError('test.broken', 'disk gone')
    const source = new TestSource({ count: Infinity, chunk: () => 10, failAt: (call) => (call === 3 ? broken : undefined) })
    const buses = group(source, { capacity: 1000 })
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((id) => drain(buses.subscribe(id), 7)))
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome.value))).toEqual([broken, broken, broken])
    expect(source.openReaders).toBe(0)
    // A new subscriber does not join the failed bus.
    expect(buses.subscribe('d').busId).toBe('bus-2')
    await buses.close()
  })

  test('a transient error that outlasts the retries fails the subscriptions with it', async () => {
    const reset = new TransientError('test.reset', 'connection reset')
    const source = new TestSource({ count: Infinity, failAt: (call) => (call >= 2 ? reset : undefined) })
    const buses = group(source)
    await expect(drain(buses.subscribe('a'), 10)).rejects.toBe(reset)
    expect(source.opens).toEqual([undefined, 1, 1, 1])
    await buses.close()
  })
})

describe('unsubscribing', () => {
  test('the reader stops when the last subscriber of its bus leaves', async () => {
    const source = new TestSource({ count: Infinity })
    const buses = group(source, { capacity: 16 })
    const a = buses.subscribe('a')
    const b = buses.subscribe('b')
    await settle()
    await a.close()
    expect(source.openReaders).toBe(1)
    // What only a held back is released; b still holds it all.
    expect(buses.metrics().buses[0].subscribers).toEqual(['b'])
    await take(b, 16)
    await settle()
    expect(buses.metrics().buses[0].eventsRead).toBe(32)
    await b.close()
    expect(source.openReaders).toBe(0)
    expect(source.closes).toBe(1)
    expect(buses.metrics().buses).toEqual([])
  })

  test('a waiting next resolves null when its signal aborts or the subscription closes', async () => {
    const source = new TestSource({ count: Infinity, stallAt: 0 })
    const buses = group(source)
    const a = buses.subscribe('a')
    const b = buses.subscribe('b')
    const controller = new AbortController()
    const aborted = a.next(10, controller.signal)
    const closed = b.next(10)
    controller.abort()
    expect(await aborted).toBeNull()
    await b.close()
    expect(await closed).toBeNull()
    expect(source.openReaders).toBe(1)
    await a.close()
    expect(source.openReaders).toBe(0)
    await buses.close()
  })
})

describe('metrics', () => {
  test('per bus and per subscriber: fill, lag, positions and rates over the window', async () => {
    let nowMs = 0
    const source = new TestSource({ count: Infinity, chunk: () => 25 })
    const buses = group(source, { capacity: 100, clock: () => nowMs })
    const a = buses.subscribe('a')
    buses.subscribe('b')
    await settle()
    nowMs = 2000
    await take(a, 40)
    a.ack(39)
    expect(buses.metrics()).toEqual({
      name: 'test',
      splits: 0,
      buses: [
        {
          id: 'bus-1',
          state: 'reading',
          subscribers: ['a', 'b'],
          bufferedEvents: 100,
          capacity: 100,
          fillRatio: 1,
          readerPosition: 99,
          eventsRead: 100,
          eventsPerSecond: 50,
          splits: 0,
          isHeldBack: true,
        },
      ],
      subscribers: [
        { id: 'a', bus: 'bus-1', state: 'active', position: 39, acknowledgedPosition: 39, lag: 60, eventsTaken: 40, eventsPerSecond: 20 },
        { id: 'b', bus: 'bus-1', state: 'active', position: undefined, acknowledgedPosition: undefined, lag: 100, eventsTaken: 0, eventsPerSecond: 0 },
      ],
    })
    await buses.close()
  })

  test('invalid capacity and threshold are config errors', () => {
    const source = new TestSource({ count: 0 })
    expect(() => group(source, { capacity: 0 })).toThrow(expect.objectContaining({ code: 'bus.capacity_invalid' }))
    expect(() => group(source, { capacity: 10, splitThreshold: 2.5 })).toThrow(expect.objectContaining({ code: 'bus.split_threshold_invalid' }))
  })
})
