import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { silentLogger } from '../core/component.js'
import { ConfigError, FatalError } from '../core/errors.js'
import * as memory from '../../test/memory-components.js'
import { COUNTER_SCHEMA, memoryComponents, memoryOutput, memoryTable, memoryTables } from '../../test/memory-components.js'
import { CheckpointStore } from './checkpoint-store.js'
import { parseConfig } from './config-schema.js'
import { loadPipeline } from './pipeline-loader.js'
import { PipelineRun, type RunOptions } from './pipeline-run.js'
import { Registry } from './registry.js'

const registry = new Registry(memoryComponents)
let home: string
const FILE = '/pipelines/test.yaml'

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'fustor-run-'))
  memoryTables.clear()
})
afterEach(() => rmSync(home, { recursive: true, force: true }))

function plan(yaml: string) {
  const { plan, errors } = loadPipeline(FILE, yaml, registry, { env: {} })
  if (!plan) throw new Error(errors.map((error) => error.format()).join('\n'))
  return { ...plan, file: FILE }
}

function deadLetterTo(name: string): RunOptions['defaultDeadLetter'] {
  return { path: 'settings.dead_letter', definition: memoryOutput, config: parseConfig(memoryOutput.config, { name }), label: undefined }
}

function options(extra: Partial<RunOptions> = {}): RunOptions {
  return { home, logger: silentLogger, checkpoints: new CheckpointStore(home), defaultDeadLetter: deadLetterTo('dlq'), ...extra }
}

/** Stops the run once it has read `rows` rows: deterministic, unlike a timer. */
function stopAfter(run: PipelineRun, rows: number): void {
  const poll = setInterval(() => {
    if (run.progress().read >= rows) {
      clearInterval(poll)
      run.stop()
    }
  }, 1)
}

const ids = (name: string) => memoryTable(name).committed.map((row) => row[0])
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('a run', () => {
  test('copies every row in order, commits, finishes and removes its checkpoint', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 2500 } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 100 }
`),
      options(),
    ).run()
    expect(result.status).toBe('completed')
    expect(result.counters).toMatchObject({ read: 2500, written: 2500, failed: 0, bytes: 25000 })
    expect(ids('out')).toEqual(range(1, 2500))
    expect(memoryTable('out').isFinished).toBe(true)
    expect(await new CheckpointStore(home).load(FILE)).toBeUndefined()
  })

  test('text rows reach an output that takes them only when no processor stands between (D26)', async () => {
    const run = (name: string, text: string, processors: string) =>
      new PipelineRun(plan(`\ninput: { type: test_counter, config: { count: 250, text: ${text} } }\n${processors}output: { type: test_memory, config: { name: ${name} } }\nsettings: { batch_size: 100 }\n`), options()).run()
    // Asked: the input gives text, the output gets it, the counts do not decode it.
    const direct = await run('direct', 'when_asked', '')
    expect(direct.counters).toMatchObject({ read: 250, written: 250 })
    expect(memoryTable('direct').textBatches).toBe(3)
    expect(memoryTable('direct').committed[249]).toEqual([250, 'row-250'])
    // A processor between: the input is not asked.
    await run('processed', 'when_asked', 'pipeline:\n  processors: [{ type: test_upper }]\n')
    expect(memoryTable('processed').textBatches).toBe(0)
    // An input that gives text anyway: the processor changes the decoded rows and the text is dropped, not sent stale.
    await run('forced', 'always', 'pipeline:\n  processors: [{ type: test_upper }]\n')
    expect(memoryTable('forced').textBatches).toBe(0)
    expect(memoryTable('forced').committed[0]).toEqual([1, 'ROW-1'])
  })

  test('an empty input completes and still finishes its outputs', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 0 } }
output: { type: test_memory, config: { name: out } }
`),
      options(),
    ).run()
    expect(result.status).toBe('completed')
    expect(memoryTable('out').isFinished).toBe(true)
  })

  test('retries transient read and write failures with backoff', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 50, transient_failures: 2 } }
output: { type: test_memory, config: { name: out, transient_failures: 2 } }
settings: { retry: { initial_delay: 1ms, max_delay: 5ms } }
`),
      options(),
    ).run()
    expect(result.status).toBe('completed')
    expect(ids('out')).toEqual(range(1, 50))
  })

  test('fails after the last retry, without finishing the output', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 50 } }
output: { type: test_memory, config: { name: out, transient_failures: 5 } }
settings: { retry: { max_retries: 2, initial_delay: 1ms, max_delay: 2ms } }
`),
      options(),
    ).run()
    expect(result.status).toBe('failed')
    expect((result.error as Error).message).toContain('connection reset')
    expect(memoryTable('out').isFinished).toBe(false)
  })

  test('a broken output fails the run at once', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 50 } }
output: { type: test_memory, config: { name: out, is_broken: true } }
`),
      options(),
    ).run()
    expect(result.status).toBe('failed')
    expect((result.error as Error).message).toBe('disk full (test)')
  })
})

describe('pipeline.threads', () => {
  test('several batches are in the processors at once, and delivered in input order', async () => {
    memory.resetSleepyPeak()
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 400 } }
pipeline:
  threads: 4
  processors:
    - { type: test_sleepy, config: { delay_ms: 5 } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 10 }
`),
      options(),
    ).run()
    expect(result.status).toBe('completed')
    expect(ids('out')).toEqual(range(1, 400))
    expect(memory.sleepyPeak).toBe(4)
  })

  test('with one thread, one batch at a time', async () => {
    memory.resetSleepyPeak()
    await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 40 } }
pipeline:
  processors:
    - { type: test_sleepy, config: { delay_ms: 1 } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 10 }
`),
      options(),
    ).run()
    expect(memory.sleepyPeak).toBe(1)
    expect(ids('out')).toEqual(range(1, 40))
  })
})

describe('failed records (invariant 3)', () => {
  test('go to the dead-letter output with error, component and position; the rest is written', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 30, unreadable: [3] } }
pipeline:
  processors:
    - { type: test_reject, config: { reject_ids: [7, 21] } }
output: { type: test_memory, config: { name: out, refuse_ids: [12] } }
settings: { batch_size: 10, error_limit: 10 }
`),
      options(),
    ).run()
    expect(result.status).toBe('completed')
    expect(result.counters).toMatchObject({ read: 30, written: 26, failed: 4 })
    expect(ids('out')).toEqual(range(1, 30).filter((id) => ![3, 7, 12, 21].includes(id)))
    const dead = memoryTable('dlq').committed
    expect(dead.map((row) => [row[1], row[2], row[5]])).toEqual([
      ['input (test_counter)', 'test.unreadable', { next: 11 }],
      ['pipeline.processors[0] (test_reject)', 'test.rejected', { next: 11 }],
      ['output (test_memory)', 'test.refused', { next: 21 }],
      ['pipeline.processors[0] (test_reject)', 'test.rejected', { next: 31 }],
    ])
    expect(dead[0][4]).toBe('row 3')
    expect(dead[0][6]).toBe('raw 3')
    expect(dead[1][6]).toEqual({ id: 7, name: 'row-7' })
    expect(dead[1][3]).toBe('id 7 rejected')
    expect(memoryTable('dlq').isFinished).toBe(true)
  })

  test('more failures than error_limit fail the run after writing and checkpointing what was read', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 100 } }
pipeline:
  processors:
    - { type: test_reject, config: { reject_ids: [5, 6, 7] } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 10, error_limit: 2 }
`),
      options(),
    ).run()
    expect(result.status).toBe('failed')
    expect(result.error).toBeInstanceOf(FatalError)
    expect((result.error as FatalError).code).toBe('run.error_limit')
    expect((result.error as Error).message).toContain('3 records failed, more than settings.error_limit (2)')
    expect(memoryTable('dlq').committed).toHaveLength(3)
    // Every row read before the failure is written and the checkpoint covers exactly them.
    const checkpoint = await new CheckpointStore(home).load(FILE)
    expect(checkpoint?.status).toBe('running')
    const next = (checkpoint!.input.position as { next: number }).next
    expect(ids('out')).toEqual(range(1, next - 1).filter((id) => ![5, 6, 7].includes(id)))
    expect(result.isResumable).toBe(true)
  })

  test('a percentage error_limit is checked against records read', async () => {
    const tolerated = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 2000 } }
pipeline:
  processors:
    - { type: test_reject, config: { reject_ids: [10, 20] } }
output: { type: test_memory, config: { name: out } }
settings: { error_limit: "0.5%" }
`),
      options(),
    ).run()
    expect(tolerated.status).toBe('completed')
    memoryTables.clear()
    const exceeded = await new PipelineRun(
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
    expect(exceeded.status).toBe('failed')
    expect((exceeded.error as Error).message).toContain('2 of 100 records failed (2.00%)')
  })

  test('without a dead-letter output a failed record fails the run', async () => {
    const result = await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 10, unreadable: [4] } }
output: { type: test_memory, config: { name: out } }
settings: { error_limit: 5 }
`),
      options({ defaultDeadLetter: undefined }),
    ).run()
    expect(result.status).toBe('failed')
    expect((result.error as FatalError).code).toBe('run.record_failed')
    expect((result.error as Error).message).toBe('input (test_counter): row 4 is unreadable (row 4)')
  })

  test('the dead-letter output is only opened when a record fails', async () => {
    await new PipelineRun(
      plan(`
input: { type: test_counter, config: { count: 10 } }
output: { type: test_memory, config: { name: out } }
`),
      options(),
    ).run()
    expect(memoryTables.has('dlq')).toBe(false)
  })
})

describe('checkpoints and resume (invariant 1)', () => {
  test('a stopped run checkpoints what it wrote; resuming writes the rest exactly once', async () => {
    const yaml = `
input: { type: test_counter, config: { count: 3000, delay_ms: 2 } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 50, checkpoint_interval: 10ms }
`
    const first = new PipelineRun(plan(yaml), options())
    stopAfter(first, 1000)
    const stopped = await first.run()
    expect(stopped.status).toBe('stopped')
    expect(stopped.isResumable).toBe(true)
    const checkpoint = await new CheckpointStore(home).load(FILE)
    expect(checkpoint).toBeDefined()
    const next = (checkpoint!.input.position as { next: number }).next
    expect(next).toBeGreaterThan(1)
    expect(next).toBeLessThan(3001)
    expect(ids('out')).toEqual(range(1, next - 1))
    expect(checkpoint!.outputs.output).toEqual({ rows: next - 1 })
    expect(checkpoint!.counters).toMatchObject({ read: next - 1, written: next - 1, failed: 0 })

    const resumed = await new PipelineRun(plan(yaml), options({ resume: checkpoint })).run()
    expect(resumed.status).toBe('completed')
    expect(ids('out')).toEqual(range(1, 3000))
    expect(resumed.counters).toMatchObject({ read: 3000, written: 3000 })
    expect(await new CheckpointStore(home).load(FILE)).toBeUndefined()
  })

  test('rows written after the last checkpoint are dropped by the output on resume, never duplicated', async () => {
    const yaml = `
input: { type: test_counter, config: { count: 500 } }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 10 }
`
    const store = new CheckpointStore(home)
    // A checkpoint as a crashed run would have left it: 100 rows durable.
    await store.save({
      version: 1,
      pipeline: FILE,
      config_hash: 'x',
      run_id: 'r1',
      started_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:01.000Z',
      status: 'running',
      input: { position: { next: 101 } },
      outputs: { output: { rows: 100 } },
      processors: {},
      counters: { read: 100, written: 100, failed: 0, bytes: 1000 },
    })
    const table = memoryTable('out')
    table.committed = range(1, 130).map((i) => [i, `row-${i}`]) // 30 rows past the checkpoint
    const result = await new PipelineRun(plan(yaml), options({ resume: await store.load(FILE) })).run()
    expect(result.status).toBe('completed')
    expect(ids('out')).toEqual(range(1, 500))
    expect(result.counters.read).toBe(500)
  })

  test('no checkpoint is taken while a processor holds rows, so a resume starts over', async () => {
    const yaml = `
input: { type: test_counter, config: { count: 2000, delay_ms: 2 } }
pipeline:
  processors:
    - { type: test_sum }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 50, checkpoint_interval: 5ms }
`
    const first = new PipelineRun(plan(yaml), options())
    stopAfter(first, 500)
    const stopped = await first.run()
    expect(stopped.status).toBe('stopped')
    expect(await new CheckpointStore(home).load(FILE)).toBeUndefined()
    expect(ids('out')).toEqual([])

    const complete = await new PipelineRun(plan(yaml), options()).run()
    expect(complete.status).toBe('completed')
    expect(memoryTable('out').committed).toEqual([[(2000 * 2001) / 2, 2000]])
  })
})

describe('configuration found wrong while running', () => {
  test('an unknown column in a schema discovered at run time is a ConfigError naming the processor', async () => {
    const unknownColumn = new ConfigError('expr.unknown_column', 'unknown column "agee"', { path: 'condition' })
    const picky = {
      ...memoryComponents[3],
      type: 'test_picky',
      create: () => ({
        prepare: () => {
          throw unknownColumn
        },
        process: () => null,
      }),
    }
    const pickyRegistry = new Registry([...memoryComponents, picky as (typeof memoryComponents)[number]])
    const loaded = loadPipeline(
      FILE,
      `
input: { type: test_counter, config: { count: 5 } }
pipeline:
  processors:
    - { type: test_picky }
output: { type: test_memory, config: { name: out } }
`,
      pickyRegistry,
      { env: {} },
    )
    // The input's schema is static here, so lint already finds it.
    expect(loaded.errors.map((error) => error.format())).toEqual(['/pipelines/test.yaml:5:7: unknown column "agee" (at pipeline.processors[0].config.condition)'])
    expect(COUNTER_SCHEMA.columns).toHaveLength(2)
  })
})

describe('which failure is reported', () => {
  test('a configuration error found after the error limit tripped is the one reported', async () => {
    let prepares = 0
    const picky = {
      ...memoryComponents[3],
      type: 'test_late_picky',
      create: () => ({
        prepare: (schema: typeof COUNTER_SCHEMA) => {
          // Passes lint (the first prepare), refuses the schema the run brings (as a CSV file whose
          // columns are only known once read would).
          if (prepares++ > 0) throw new ConfigError('expr.unknown_column', 'unknown column "agee"', { path: 'condition' })
          return schema
        },
        process: () => null,
      }),
    }
    const lateRegistry = new Registry([...memoryComponents, picky as (typeof memoryComponents)[number]])
    const loaded = loadPipeline(
      FILE,
      `
input: { type: test_counter, config: { count: 5, unreadable: [1] } }
pipeline:
  processors:
    - { type: test_late_picky }
output: { type: test_memory, config: { name: out } }
`,
      lateRegistry,
      { env: {} },
    )
    const result = await new PipelineRun({ ...loaded.plan!, file: FILE }, options()).run()
    expect(result.status).toBe('failed')
    expect(result.error).toBeInstanceOf(ConfigError)
    expect((result.error as ConfigError).path).toBe('pipeline.processors[0].config.condition')
  })
})
