// Throughput of the agent's event bus (src/bus): one source read once and fanned out to
// subscribers, in memory, so that the figures are the bus's own cost (reader push, subscriber
// next, release of taken events) over that of the source.
//
//   npm run build && node bench/bus.bench.mjs [events]       (default 5,000,000 events)
//   BUS_BENCH_CHUNK=1 node bench/bus.bench.mjs 1000000       (one event per reader result: a trickle
//                                                              of single transactions at full speed)
//
// Each line is the best of a few runs, in events per second delivered to each subscriber:
// - source alone: the reader drained with no bus, the floor under every other line;
// - fan-out to 1 and to 3 subscribers on one bus (the bar: >= 1M events/s with 3 subscribers);
// - for reference, the same fan-out through one engine BoundedQueue per subscriber (the reader
//   pushes each result into every queue): the bus against the simplest alternative;
// - split: 3 subscribers, one of which yields to the event loop after every call, so that the two
//   fast ones move to their own bus; their rate is reported, with the number of splits.
// The source makes `{ position: n }` events in results of CHUNK, as a CDC reader hands out decoded
// transactions (an event is the one allocation the bus may not avoid).
import { BoundedQueue } from '../dist/engine/bounded-queue.js'
import { EventBusGroup } from '../dist/bus/index.js'

const EVENTS = Number(process.argv[2] ?? 5_000_000)
const RUNS = 3
const CHUNK = Number(process.env.BUS_BENCH_CHUNK ?? 256)
const MAX_EVENTS = 1024
const CAPACITY = 8192

/** A bounded, replayable source of EVENTS events; event n has position n. */
const source = {
  async openReader(after) {
    let next = after === undefined ? 0 : after + 1
    return {
      async next() {
        if (next >= EVENTS) return null
        const size = Math.min(CHUNK, EVENTS - next)
        const events = new Array(size)
        for (let i = 0; i < size; i++) events[i] = { position: next++ }
        return events
      },
      async close() {},
    }
  },
}

async function drain(subscription, pauseEveryCall) {
  let count = 0
  for (;;) {
    const events = await subscription.next(MAX_EVENTS)
    if (events === null) return count
    count += events.length
    if (pauseEveryCall) await new Promise((resolve) => setImmediate(resolve))
  }
}

async function sourceAlone() {
  const reader = await source.openReader(undefined)
  let count = 0
  for (let events = await reader.next(); events !== null; events = await reader.next()) count += events.length
  return { counts: [count] }
}

async function busFanOut(subscribers) {
  const group = new EventBusGroup(source, { name: 'bench', capacity: CAPACITY })
  const subscriptions = Array.from({ length: subscribers }, (_, i) => group.subscribe(`s${i}`))
  const counts = await Promise.all(subscriptions.map((subscription) => drain(subscription, false)))
  await group.close()
  return { counts }
}

async function queueFanOut(subscribers) {
  const queues = Array.from({ length: subscribers }, () => new BoundedQueue(CAPACITY, (events) => events.length))
  const reader = await source.openReader(undefined)
  const reading = (async () => {
    for (let events = await reader.next(); events !== null; events = await reader.next()) {
      for (const queue of queues) await queue.push(events)
    }
    for (const queue of queues) queue.close()
  })()
  const counts = await Promise.all(
    queues.map(async (queue) => {
      let count = 0
      for (let events = await queue.pop(); events !== undefined; events = await queue.pop()) count += events.length
      return count
    }),
  )
  await reading
  return { counts }
}

/** Two fast subscribers and a slow one that yields to the event loop after each call; times the fast ones. */
async function splitAway() {
  const group = new EventBusGroup(source, { name: 'bench', capacity: CAPACITY })
  const slow = group.subscribe('slow')
  const fast = [group.subscribe('fast-1'), group.subscribe('fast-2')]
  const slowDone = drain(slow, true)
  const counts = await Promise.all(fast.map((subscription) => drain(subscription, false)))
  const splits = group.metrics().splits
  await group.close()
  await slowDone
  return { counts, note: `${splits} split(s)` }
}

async function best(label, run) {
  let bestMs = Infinity
  let note = ''
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    const result = await run()
    const ms = performance.now() - start
    for (const count of result.counts) if (count !== EVENTS) throw new Error(`${label}: a subscriber got ${count} events, expected ${EVENTS}`)
    if (ms < bestMs) {
      bestMs = ms
      note = result.note ?? ''
    }
  }
  const rate = Math.round((EVENTS / bestMs) * 1000)
  console.log(`${label.padEnd(44)} ${rate.toLocaleString('en-US').padStart(12)} events/s  (${bestMs.toFixed(0)} ms) ${note}`)
  return rate
}

console.log(`${EVENTS.toLocaleString('en-US')} events, reader results of ${CHUNK}, next(${MAX_EVENTS}), capacity ${CAPACITY}, best of ${RUNS}`)
await best('source alone (no bus)', sourceAlone)
await best('bus, 1 subscriber', () => busFanOut(1))
const bus3 = await best('bus, 3 subscribers', () => busFanOut(3))
const queue3 = await best('BoundedQueue per subscriber, 3 subscribers', () => queueFanOut(3))
await best('bus, 2 fast + 1 slow subscriber (split)', splitAway)
console.log(`bus / queues with 3 subscribers: ${(bus3 / queue3).toFixed(2)}x`)
