import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { Schema } from '../../../core/schema.js'
import { BINLOG_POSITIONS, type BinlogPosition } from './binlog-position.js'
import { ChangeQueue, POSITION_ONLY_INTERVAL_MS, type ChangeItem } from '../../../sql/change-queue.js'

const ORDERS: Schema = { columns: [{ name: 'id', type: 'int' }] }
const ITEMS: Schema = { columns: [{ name: 'id', type: 'int' }] }
const START: BinlogPosition = { file: 'b.1', offset: 4, gtid: '0-1-1' }

function change(schema: Schema, id: number, transactionStart: BinlogPosition, index: number): ChangeItem<BinlogPosition> {
  return { kind: 'change', schema, row: [id], transactionStart, index }
}

function boundary(offset: number, seq: number): { kind: 'boundary'; position: BinlogPosition } {
  return { kind: 'boundary', position: { file: 'b.1', offset, gtid: `0-1-${seq}` } }
}

describe('change queue: batches of one table, positions at boundaries or inside a transaction', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  test('consecutive changes of a table go in one batch across transactions; another table starts a new one', async () => {
    const queue = new ChangeQueue(START, 100, BINLOG_POSITIONS)
    queue.push(change(ORDERS, 1, START, 0))
    queue.push(boundary(100, 2))
    queue.push(change(ORDERS, 2, boundary(100, 2).position, 0))
    queue.push(change(ITEMS, 3, boundary(100, 2).position, 1))
    queue.push(boundary(200, 3))
    const first = await queue.nextBatch({ batchSize: 10, lingerMs: 5 })
    expect(first).toMatchObject({ schema: ORDERS, rows: [[1], [2]], position: { file: 'b.1', offset: 100, gtid: '0-1-2', skip: 1 } })
    const second = queue.nextBatch({ batchSize: 10, lingerMs: 5 })
    await vi.advanceTimersByTimeAsync(5)
    expect(await second).toMatchObject({ schema: ITEMS, rows: [[3]], position: { file: 'b.1', offset: 200, gtid: '0-1-3' } })
    expect(queue.size).toBe(0)
  })

  test('a full batch ends inside its transaction; the commit that follows is taken with the last batch', async () => {
    const queue = new ChangeQueue(START, 100, BINLOG_POSITIONS)
    for (let i = 0; i < 5; i++) queue.push(change(ORDERS, i, START, i))
    queue.push(boundary(300, 2))
    expect(await queue.nextBatch({ batchSize: 2, lingerMs: 5 })).toMatchObject({ rows: [[0], [1]], position: { offset: 4, skip: 2 } })
    expect(await queue.nextBatch({ batchSize: 2, lingerMs: 5 })).toMatchObject({ rows: [[2], [3]], position: { offset: 4, skip: 4 } })
    const pending = queue.nextBatch({ batchSize: 2, lingerMs: 5 })
    await vi.advanceTimersByTimeAsync(5)
    const last = await pending
    expect(last).toMatchObject({ rows: [[4]], position: { offset: 300, gtid: '0-1-2' } })
    expect(last?.position).not.toHaveProperty('skip')
  })

  test('a partial batch waits lingerMs for more, then goes with what it has', async () => {
    const queue = new ChangeQueue(START, 100, BINLOG_POSITIONS)
    queue.push(change(ORDERS, 1, START, 0))
    const pending = queue.nextBatch({ batchSize: 10, lingerMs: 20 })
    await vi.advanceTimersByTimeAsync(10)
    queue.push(change(ORDERS, 2, START, 1))
    let settled = false
    void pending.then(() => (settled = true))
    await vi.advanceTimersByTimeAsync(5)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(5)
    expect(await pending).toMatchObject({ rows: [[1], [2]], position: { skip: 2 } })
  })

  test('a batch fills at once when enough changes are there, without waiting', async () => {
    const queue = new ChangeQueue(START, 100, BINLOG_POSITIONS)
    for (let i = 0; i < 3; i++) queue.push(change(ORDERS, i, START, i))
    expect(await queue.nextBatch({ batchSize: 3, lingerMs: 60_000 })).toMatchObject({ rows: [[0], [1], [2]] })
  })

  test('boundaries without changes move the position on by an empty batch, at most once a second', async () => {
    const queue = new ChangeQueue(START, 100, BINLOG_POSITIONS)
    queue.push(boundary(100, 2))
    const pending = queue.nextBatch({ batchSize: 10, lingerMs: 5 })
    queue.push(boundary(200, 3))
    await vi.advanceTimersByTimeAsync(POSITION_ONLY_INTERVAL_MS)
    expect(await pending).toMatchObject({ rows: [], position: { offset: 200, gtid: '0-1-3' } })
    // Nothing new: no batch.
    const next = queue.nextBatch({ batchSize: 10, lingerMs: 5 })
    let settled = false
    void next.then(() => (settled = true))
    await vi.advanceTimersByTimeAsync(5 * POSITION_ONLY_INTERVAL_MS)
    expect(settled).toBe(false)
    queue.interrupt()
    expect(await next).toBeUndefined()
  })

  test('rejected records travel in the batch and count toward its size and position', async () => {
    const queue = new ChangeQueue(START, 100, BINLOG_POSITIONS)
    queue.push({ kind: 'change', schema: ORDERS, rejected: { record: { id: 'x' }, error: new Error('bad'), location: 'shop.orders' }, transactionStart: START, index: 0 })
    queue.push(change(ORDERS, 2, START, 1))
    const batch = await queue.nextBatch({ batchSize: 2, lingerMs: 5 })
    expect(batch).toMatchObject({ rows: [[2]], rejected: [{ record: { id: 'x' } }], position: { skip: 2 } })
  })

  test('full at capacity; drained (the stream may resume) when the reader took it down to half', async () => {
    const queue = new ChangeQueue(START, 4, BINLOG_POSITIONS)
    let drained = 0
    queue.onDrained = () => drained++
    for (let i = 0; i < 4; i++) queue.push(change(ORDERS, i, START, i))
    expect(queue.isFull).toBe(true)
    await queue.nextBatch({ batchSize: 1, lingerMs: 0 })
    expect(drained).toBe(0)
    await queue.nextBatch({ batchSize: 1, lingerMs: 0 })
    expect(drained).toBe(1)
    expect(queue.isFull).toBe(false)
  })
})
