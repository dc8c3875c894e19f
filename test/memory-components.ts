/**
 * Components that keep their data in this process, for deterministic engine tests: a counting
 * input with resumable positions and an output with a commit log. They implement the real contracts
 * (src/core/component.ts); they stand in for no external system, and end-to-end tests use the file
 * connectors instead.
 */
import Type from 'typebox'
import type { InputBatch } from '../src/core/batch.js'
import { escapeTextField, textBatch } from '../src/core/text-rows.js'
import { defineInput, defineOutput, defineProcessor } from '../src/core/component.js'
import { RecordError, TransientError } from '../src/core/errors.js'
import type { Row, Schema } from '../src/core/schema.js'

export const COUNTER_SCHEMA: Schema = {
  columns: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
  ],
}

/** Rows `[i, "row-i"]` for i in 1..count; position `{ next }`. */
export const counterInput = defineInput({
  type: 'test_counter',
  status: 'experimental',
  summary: 'Counts rows in memory (tests)',
  config: Type.Object({
    count: Type.Integer({ default: 10 }),
    /** Rows (by id) the input cannot read: rejected with a RecordError. */
    unreadable: Type.Array(Type.Integer(), { default: [] }),
    /** Fail this many read() calls with a TransientError first. */
    transient_failures: Type.Integer({ default: 0 }),
    /** Milliseconds to wait before each batch, to give a test time to stop the run. */
    delay_ms: Type.Integer({ default: 0 }),
    /** Batches as text rows (core/text-rows.ts): never, when the run says every output takes them, or always. */
    text: Type.Optional(Type.Union([Type.Literal('never'), Type.Literal('when_asked'), Type.Literal('always')])),
  }),
  examples: [],
  staticSchema: () => COUNTER_SCHEMA,
  create(config, ctx) {
    let next = ctx.resumeFrom ? (ctx.resumeFrom as { next: number }).next : 1
    let failuresLeft = config.transient_failures
    return {
      async open() {},
      async read(): Promise<InputBatch | null> {
        if (failuresLeft > 0) {
          failuresLeft--
          throw new TransientError('test.transient', 'connection reset (test)')
        }
        if (config.delay_ms > 0) await new Promise((resolve) => setTimeout(resolve, config.delay_ms))
        if (next > config.count || ctx.signal.aborted) return null
        const rows: Row[] = []
        const rejected: InputBatch['rejected'] & object = []
        const end = Math.min(config.count, next + ctx.batchSize - 1)
        for (let i = next; i <= end; i++) {
          if (config.unreadable.includes(i)) {
            ;(rejected as { record: string; error: unknown; location: string }[]).push({
              record: `raw ${i}`,
              error: new RecordError('test.unreadable', `row ${i} is unreadable`),
              location: `row ${i}`,
            })
          } else rows.push([i, `row-${i}`])
        }
        next = end + 1
        const rest = { position: { next }, bytes: rows.length * 10, rejected }
        if (config.text === 'always' || (config.text === 'when_asked' && ctx.textRows === true)) {
          const data = Buffer.from(rows.map((row) => `${row[0]}\t${escapeTextField(row[1] as string)}\n`).join(''))
          return textBatch(COUNTER_SCHEMA, { data, count: rows.length }, rest)
        }
        return { schema: COUNTER_SCHEMA, rows, ...rest }
      },
      progress: () => ({ rowsTotal: config.count }),
      async close() {},
    }
  },
})

export interface MemoryTable {
  /** Rows made durable by commit(). */
  committed: Row[]
  /** Rows written since the last commit. */
  pending: Row[]
  commits: number
  isFinished: boolean
  opens: number
  /** Batches that came as text rows. */
  textBatches: number
}

export const memoryTables = new Map<string, MemoryTable>()

export function memoryTable(name: string): MemoryTable {
  let table = memoryTables.get(name)
  if (!table) {
    table = { committed: [], pending: [], commits: 0, isFinished: false, opens: 0, textBatches: 0 }
    memoryTables.set(name, table)
  }
  return table
}

/** Writes rows to `memoryTable(name)`; commit() makes them durable and returns `{ rows }`. */
export const memoryOutput = defineOutput({
  type: 'test_memory',
  status: 'experimental',
  summary: 'Keeps rows in memory (tests)',
  config: Type.Object({
    name: Type.String(),
    /** Ids whose rows the output refuses (a value the target cannot hold). */
    refuse_ids: Type.Array(Type.Integer(), { default: [] }),
    /** Fail this many write() calls with a TransientError first. */
    transient_failures: Type.Integer({ default: 0 }),
    /** Fail every write with a plain Error (disk full, say). */
    is_broken: Type.Boolean({ default: false }),
  }),
  examples: [],
  writesTextRows: true,
  create(config, ctx) {
    const table = memoryTable(config.name)
    let failuresLeft = config.transient_failures
    return {
      async open() {
        table.opens++
        // A resumed run drops what was written after the last checkpoint (it was never committed).
        const state = ctx.resumeState as { rows: number } | undefined
        table.pending = []
        table.committed = state ? table.committed.slice(0, state.rows) : []
        table.isFinished = false
      },
      async write(batch, writeContext) {
        if (config.is_broken) throw new Error('disk full (test)')
        if (failuresLeft > 0) {
          failuresLeft--
          throw new TransientError('test.transient', 'connection reset (test)')
        }
        if (batch.text !== undefined) table.textBatches++
        for (const row of batch.rows) {
          if (config.refuse_ids.includes(row[0] as number)) writeContext.reject(row, new RecordError('test.refused', `id ${row[0]} refused`))
          else table.pending.push(row)
        }
      },
      async commit() {
        table.committed.push(...table.pending)
        table.pending = []
        table.commits++
        return { rows: table.committed.length }
      },
      async finish() {
        table.isFinished = true
      },
      async close() {},
    }
  },
})

/** Sums `id` of every row and emits one row at the end: a processor that holds its rows. */
export const sumProcessor = defineProcessor({
  type: 'test_sum',
  status: 'experimental',
  summary: 'Sums ids at the end (tests)',
  stateless: false,
  config: Type.Object({}),
  examples: [],
  create() {
    let total = 0
    let rows = 0
    const schema: Schema = { columns: [{ name: 'total', type: 'int' }, { name: 'rows', type: 'int' }] }
    return {
      prepare: () => schema,
      process(batch) {
        for (const row of batch.rows) total += row[0] as number
        rows += batch.rows.length
        return null
      },
      flush: () => ({ schema, rows: [[total, rows]] }),
    }
  },
})

/** Upper-cases the name column in place and passes the same batch on (what a processor may do). */
export const upperProcessor = defineProcessor({
  type: 'test_upper',
  status: 'experimental',
  summary: 'Upper-cases names in place (tests)',
  stateless: true,
  config: Type.Object({}),
  examples: [],
  create() {
    return {
      prepare: (schema) => schema,
      process(batch) {
        for (const row of batch.rows) row[1] = String(row[1]).toUpperCase()
        return batch
      },
    }
  },
})

/** Rejects rows whose id is in `reject_ids`, passes the others. */
export const rejectProcessor = defineProcessor({
  type: 'test_reject',
  status: 'experimental',
  summary: 'Rejects chosen rows (tests)',
  stateless: true,
  config: Type.Object({ reject_ids: Type.Array(Type.Integer(), { default: [] }) }),
  examples: [],
  create(config) {
    return {
      prepare: (schema) => schema,
      process(batch, ctx) {
        const kept: Row[] = []
        for (const row of batch.rows) {
          if (config.reject_ids.includes(row[0] as number)) ctx.reject(row, new RecordError('test.rejected', `id ${row[0]} rejected`))
          else kept.push(row)
        }
        return { schema: batch.schema, rows: kept }
      },
    }
  },
})

/** Waits `delay_ms` (longer for odd batches) before passing a batch on: a processor that waits on
 * another system, for concurrency tests. */
export const sleepyProcessor = defineProcessor({
  type: 'test_sleepy',
  status: 'experimental',
  summary: 'Waits before passing batches on (tests)',
  stateless: true,
  config: Type.Object({ delay_ms: Type.Integer({ default: 10 }) }),
  examples: [],
  create(config) {
    let active = 0
    return {
      prepare: (schema) => schema,
      async process(batch) {
        active++
        sleepyPeak = Math.max(sleepyPeak, active)
        const isOdd = ((batch.rows[0]?.[0] as number) ?? 0) % 2 === 1
        await new Promise((resolve) => setTimeout(resolve, isOdd ? config.delay_ms * 2 : config.delay_ms))
        active--
        return batch
      },
    }
  },
})

/** Most batches the sleepy processor had at once, since the last reset. */
export let sleepyPeak = 0
export function resetSleepyPeak(): void {
  sleepyPeak = 0
}

export const memoryComponents = [counterInput, memoryOutput, sumProcessor, rejectProcessor, sleepyProcessor, upperProcessor]
