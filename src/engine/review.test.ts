/**
 * Review findings in the runner: each test shows a bug that was fixed beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Type from 'typebox'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { defineOutput, secret, silentLogger, type Logger } from '../core/component.js'
import { ConfigError, RecordError, TransientError } from '../core/errors.js'
import { memoryComponents, memoryOutput, memoryTable, memoryTables } from '../../test/memory-components.js'
import { switchProcessor } from '../processors/switch-processor.js'
import { CheckpointStore, type Checkpoint } from './checkpoint-store.js'
import { parseConfig } from './config-schema.js'
import { loadPipeline } from './pipeline-loader.js'
import { redactor } from './dead-letter.js'
import { PipelineRun, type RunOptions } from './pipeline-run.js'
import { Registry } from './registry.js'

/** Refuses odd ids through ctx.reject, then fails the first `transient_failures` writes with a TransientError. */
const flakyRefusingOutput = defineOutput({
  type: 'test_flaky_refusing',
  status: 'experimental',
  summary: 'Rejects odd ids, then fails transiently (tests)',
  config: Type.Object({ name: Type.String(), transient_failures: Type.Integer({ default: 1 }) }),
  examples: [],
  create(config) {
    const table = memoryTable(config.name)
    let failuresLeft = config.transient_failures
    let pending: unknown[][] = []
    return {
      async open() {},
      async write(batch, ctx) {
        pending = []
        for (const row of batch.rows) {
          if ((row[0] as number) % 2 === 1) ctx.reject(row, new RecordError('test.odd', `id ${row[0]} is odd`))
          else pending.push(row)
        }
        if (failuresLeft > 0) {
          failuresLeft--
          throw new TransientError('test.transient', 'connection reset (test)')
        }
        table.pending.push(...(pending as never[]))
      },
      async commit() {
        table.committed.push(...table.pending)
        table.pending = []
        return { rows: table.committed.length }
      },
      async close() {},
    }
  },
})

/** A memory output whose writes take `delay_ms`: the processor loop runs ahead of it. */
const slowOutput = defineOutput({
  type: 'test_slow',
  status: 'experimental',
  summary: 'Keeps rows in memory, slowly (tests)',
  examples: [],
  config: Type.Object({ name: Type.String(), delay_ms: Type.Integer({ default: 5 }) }),
  create(config, ctx) {
    const inner = memoryOutput.create(parseConfig(memoryOutput.config, { name: config.name }), ctx)
    return {
      ...inner,
      async write(batch, writeContext) {
        await new Promise((resolve) => setTimeout(resolve, config.delay_ms))
        await inner.write(batch, writeContext)
      },
    }
  },
})

/** Logs its connection URL, password included, as a field (as a driver's debug line would). */
const chattyOutput = defineOutput({
  type: 'test_chatty',
  status: 'experimental',
  summary: 'Logs its URL (tests)',
  config: Type.Object({ user: Type.String({ default: 'app' }), password: Type.String(secret({ description: 'password' })) }),
  examples: [],
  create(config, ctx) {
    return {
      async open() {
        ctx.logger.debug('connected', { url: `postgres://${config.user}:${config.password}@db/app`, batches: 1000 })
      },
      async write() {},
      async close() {},
    }
  },
})

/** An output whose open() finds the user's mistake, as the file connectors do (path relative to its config). */
const pickyOutput = defineOutput({
  type: 'test_picky_open',
  status: 'experimental',
  summary: 'Refuses its table at open (tests)',
  config: Type.Object({ table: Type.String() }),
  examples: [],
  create(config) {
    return {
      async open() {
        throw new ConfigError('test.no_table', `table "${config.table}" does not exist`, { path: 'table' })
      },
      async write() {},
      async close() {},
    }
  },
})

const registry = new Registry([...memoryComponents, switchProcessor, flakyRefusingOutput, slowOutput, chattyOutput, pickyOutput])
let home: string
const FILE = '/pipelines/review.yaml'

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'fustor-review-'))
  memoryTables.clear()
})
afterEach(() => rmSync(home, { recursive: true, force: true }))

function plan(yaml: string) {
  const { plan, errors } = loadPipeline(FILE, yaml, registry, { env: {} })
  if (!plan) throw new Error(errors.map((error) => error.format()).join('\n'))
  return { ...plan, file: FILE }
}

function options(extra: Partial<RunOptions> = {}): RunOptions {
  const deadLetter = { path: 'settings.dead_letter', definition: memoryOutput, config: parseConfig(memoryOutput.config, { name: 'dlq' }), label: undefined }
  return { home, logger: silentLogger, checkpoints: new CheckpointStore(home), defaultDeadLetter: deadLetter, ...extra }
}

describe('failed records (invariant 3)', () => {
  test('records an output rejected in a write that is then retried are sent and counted once', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 10 } }
output: { type: test_flaky_refusing, config: { name: out } }
settings: { error_limit: 100, retry: { initial_delay: 1ms, max_delay: 1ms } }
`),
      options(),
    ).run()
    expect(result.status).toBe('completed')
    expect(memoryTable('out').committed.map((row) => row[0])).toEqual([2, 4, 6, 8, 10])
    expect(result.counters).toMatchObject({ read: 10, written: 5, failed: 5 })
    expect(memoryTable('dlq').committed.map((row) => (row[6] as { id: number }).id)).toEqual([1, 3, 5, 7, 9])
  })
})

describe('error_limit', () => {
  test('a percentage exceeded only at the end fails the run before the outputs are published', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 100 } }
pipeline:
  processors:
    - { type: test_reject, config: { reject_ids: [10, 20] } }
output: { type: test_memory, config: { name: out } }
settings: { error_limit: "1%" }
`),
      options(),
    ).run()
    expect(result.status).toBe('failed')
    // Failed: nothing is published as if complete, and the checkpoint stays to resume (with a higher limit).
    expect(memoryTable('out').isFinished).toBe(false)
    expect(await new CheckpointStore(home).load(FILE)).toBeDefined()
    expect(result.isResumable).toBe(true)
  })

  test('a percentage exactly at the limit is tolerated', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 1000 } }
pipeline:
  processors:
    - { type: test_reject, config: { reject_ids: [1, 2, 3, 4, 5, 6, 7] } }
output: { type: test_memory, config: { name: out } }
settings: { error_limit: "0.7%" }
`),
      options(),
    ).run()
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('completed')
  })
})

describe('dead-letter records and checkpoints (invariant 1)', () => {
  test('a checkpoint covers exactly the failed records before its position', async () => {
    // Every third row fails; the output is slower than the processors, so failures of batches after
    // a barrier reach the dead-letter writer before the barrier does.
    const yaml = `
input: { type: test_counter, config: { count: 3000, delay_ms: 1 } }
pipeline:
  processors:
    - { type: test_reject, config: { reject_ids: [${Array.from({ length: 1000 }, (_, i) => 3 * i + 3).join(', ')}] } }
output: { type: test_slow, config: { name: out, delay_ms: 4 } }
settings: { batch_size: 30, buffer_rows: 300, checkpoint_interval: 10ms, error_limit: 5000 }
`
    const saved: Checkpoint[] = []
    const store = new CheckpointStore(home)
    const save = store.save.bind(store)
    store.save = async (checkpoint) => {
      saved.push(checkpoint)
      await save(checkpoint)
    }
    const result = await new PipelineRun(plan(yaml), options({ checkpoints: store })).run()
    expect(result.status).toBe('completed')
    expect(saved.length).toBeGreaterThan(3)
    // What a crash right after each checkpoint would resume from: the dead-letter output's committed
    // rows and the failed counter must be the failures before the position, no more (else a resumed
    // run writes and counts them again).
    const wrong = saved
      .map((checkpoint) => ({
        next: (checkpoint.input.position as { next: number }).next,
        deadLetterRows: (checkpoint.outputs['settings.dead_letter'] as { rows: number } | null)?.rows ?? 0,
        failed: checkpoint.counters.failed,
      }))
      .filter(({ next, deadLetterRows, failed }) => deadLetterRows !== Math.floor((next - 1) / 3) || failed !== deadLetterRows)
    expect(wrong).toEqual([])
  })
})

describe('stopping', () => {
  test('a stop while an output retries a transient failure still writes what was read and stops cleanly', async () => {
    const run = new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 100000, delay_ms: 1 } }
output: { type: test_memory, config: { name: out, transient_failures: 2 } }
settings: { batch_size: 10, retry: { initial_delay: 20ms, max_delay: 20ms } }
`),
      options(),
    )
    const poll = setInterval(() => {
      if (run.progress().read > 0) {
        clearInterval(poll)
        run.stop()
      }
    }, 1)
    const result = await run.run()
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('stopped')
    const checkpoint = await new CheckpointStore(home).load(FILE)
    expect(memoryTable('out').committed).toHaveLength(result.counters.read)
    expect(checkpoint?.counters.written).toBe(result.counters.read)
  })
})

describe('user errors found by a component while running (invariant 4)', () => {
  test("a ConfigError from an output's open names the place in the file", async () => {
    const yaml = `
input: { type: test_counter, config: { count: 10 } }
output:
  type: test_picky_open
  config:
    table: userz
`
    const loaded = loadPipeline(FILE, yaml, registry, { env: {} })
    const result = await new PipelineRun({ ...loaded.plan!, file: FILE }, options()).run()
    expect(result.status).toBe('failed')
    expect(result.error).toBeInstanceOf(ConfigError)
    const placed = loaded.source.place(result.error as ConfigError)
    expect(placed.format()).toBe('/pipelines/review.yaml:6:12: table "userz" does not exist (at output.config.table)')
  })
})

describe('secrets in log lines (invariant 6)', () => {
  test.each([['pa"ss\\word'], ['1000']])('a secret (%s) in a logged field is masked, and logging does not fail', async (password) => {
    const logged: { message: string; fields: Record<string, unknown> | undefined }[] = []
    const log = (message: string, fields?: Record<string, unknown>) => void logged.push({ message, fields })
    const logger: Logger = { debug: log, info: log, warn: log, error: log }
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 1 } }
output: { type: test_chatty, config: { password: '${password}' } }
`),
      options({ logger }),
    ).run()
    expect(result.error).toBeUndefined()
    expect(logged.find(({ message }) => message === 'connected')?.fields?.url).toBe('postgres://app:***@db/app')
  })
})

describe('resuming with a changed pipeline file', () => {
  test('an output the interrupted run did not have is refused, rather than given only the rest of the rows', async () => {
    const before = `
input: { type: test_counter, config: { count: 3000, delay_ms: 1 } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 50, checkpoint_interval: 10ms }
`
    const first = new PipelineRun(plan(before), options())
    const poll = setInterval(() => {
      if (first.progress().read >= 500) {
        clearInterval(poll)
        first.stop()
      }
    }, 1)
    expect((await first.run()).status).toBe('stopped')
    const checkpoint = await new CheckpointStore(home).load(FILE)
    const after = `
input: { type: test_counter, config: { count: 3000 } }
pipeline:
  processors:
    - type: switch
      config:
        cases:
          - name: small
            condition: "id < 100"
            output: { type: test_memory, config: { name: small } }
          - name: rest
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 50 }
`
    const resumed = await new PipelineRun(plan(after), options({ resume: checkpoint })).run()
    // Rows 1..99 were read before the checkpoint: "small" would never get them.
    expect(resumed.status).toBe('failed')
    expect(resumed.error).toBeInstanceOf(ConfigError)
    expect((resumed.error as ConfigError).path).toBe('pipeline.processors[0].config.cases[0].output')
    expect(memoryTables.has('small')).toBe(false)
  })
})

describe('the redactor (invariant 6)', () => {
  test('masks a secret also as it appears escaped in JSON, and the password of a secret URL', () => {
    const redact = redactor(['pa"ss\\word', 'postgres://app:s3cr%40t!@db:5432/app'])
    expect(redact('config {"password":"pa\\"ss\\\\word"}')).toBe('config {"password":"***"}')
    expect(redact('cannot connect to postgres://app:s3cr%40t!@db:5432/app')).toBe('cannot connect to ***')
    expect(redact('password "s3cr@t!" refused for app@db2')).toBe('password "***" refused for app@db2')
    expect(redact('retrying postgres://app:s3cr%40t!@db2:5432/app')).toBe('retrying postgres://app:***@db2:5432/app')
  })
})
