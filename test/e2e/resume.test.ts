/**
 * Crash safety of `fustor run` as a user meets it: kill -9 in the middle of a 2M-row copy, then
 * `--resume`, must leave exactly the input rows, once each, in the output file (invariant 1).
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fustor, start, workspace } from './cli-harness.js'

const ROWS = 2_000_000
let dir: string

beforeAll(async () => {
  dir = workspace()
  writeFileSync(
    join(dir, 'make-input.yaml'),
    `input:\n  type: generate\n  config: { preset: users, count: ${ROWS}, seed: 11 }\noutput:\n  type: csv\n  config: { path: users.csv }\nsettings: { batch_size: 5000 }\n`,
  )
  const made = await fustor(['run', '--quiet', 'make-input.yaml'], { cwd: dir })
  expect(made.stderr).toBe('')
  expect(made.code).toBe(0)
}, 120_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function checkpointFile(): string | undefined {
  const checkpoints = join(dir, '.fustor', 'checkpoints')
  if (!existsSync(checkpoints)) return undefined
  const file = readdirSync(checkpoints).find((name) => name.startsWith('copy-') && name.endsWith('.json'))
  return file && join(checkpoints, file)
}

describe('kill -9 during a 2M-row copy, then --resume', () => {
  test('the output holds every input row exactly once, in order', async () => {
    writeFileSync(
      join(dir, 'copy.yaml'),
      `input:\n  type: csv\n  config: { path: users.csv }\noutput:\n  type: csv\n  config: { path: copy.csv }\nsettings: { batch_size: 2000, checkpoint_interval: 100ms }\n`,
    )
    const run = start(['run', '--progress', 'none', 'copy.yaml'], { cwd: dir })
    // Kill once a checkpoint covers a good part of the input but well before the end.
    await waitFor(() => {
      const file = checkpointFile()
      if (!file) return false
      try {
        const { counters } = JSON.parse(readFileSync(file, 'utf8')) as { counters: { written: number } }
        return counters.written > ROWS / 5
      } catch {
        return false // caught between write and rename: read again
      }
    }, 60_000)
    run.child.kill('SIGKILL')
    const killed = await run.done
    expect(killed.signal).toBe('SIGKILL')
    expect(existsSync(join(dir, 'copy.csv'))).toBe(false)
    const checkpoint = JSON.parse(readFileSync(checkpointFile()!, 'utf8')) as { counters: { written: number } }
    expect(checkpoint.counters.written).toBeLessThan(ROWS)

    const fresh = await fustor(['lint', 'copy.yaml'], { cwd: dir })
    expect(fresh.code).toBe(0)

    const resumed = await fustor(['run', '--resume', '--progress', 'none', 'copy.yaml'], { cwd: dir })
    expect(resumed.stderr).toContain('resuming the run started')
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toMatch(new RegExp(`read ${ROWS.toLocaleString('en-US')} rows .* wrote ${ROWS.toLocaleString('en-US')}, failed 0`))
    // The copy is byte-identical to the input: no row lost, none repeated, no second header.
    expect(sha256(join(dir, 'copy.csv'))).toBe(sha256(join(dir, 'users.csv')))
    expect(checkpointFile()).toBeUndefined()
  }, 180_000)

  test('a plain run over an unfinished one says so and starts fresh', async () => {
    writeFileSync(
      join(dir, 'slow.yaml'),
      `input:\n  type: generate\n  config: { preset: users, count: 100000000, rate: 20000 }\noutput:\n  type: jsonl\n  config: { path: slow.jsonl }\nsettings: { checkpoint_interval: 50ms }\n`,
    )
    const run = start(['run', '--progress', 'none', 'slow.yaml'], { cwd: dir })
    await waitFor(() => readdirSync(join(dir, '.fustor', 'checkpoints')).some((name) => name.startsWith('slow-')), 30_000)
    run.child.kill('SIGINT')
    const stopped = await run.done
    expect(stopped.code).toBe(130)
    expect(stopped.stderr).toContain('SIGINT: stopping; writing what was read and saving a checkpoint')
    expect(stopped.stderr).toContain('continue with: fustor run --resume slow.yaml')

    writeFileSync(join(dir, 'slow.yaml'), readFileSync(join(dir, 'slow.yaml'), 'utf8').replace('count: 100000000, rate: 20000', 'count: 10'))
    const again = await fustor(['run', '--progress', 'none', 'slow.yaml'], { cwd: dir })
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('note: an unfinished run of slow.yaml')
    expect(again.stderr).toContain('starting fresh')
    expect(readFileSync(join(dir, 'slow.jsonl'), 'utf8').trim().split('\n')).toHaveLength(10)
  }, 60_000)
})

describe('a run that fails while publishing its outputs', () => {
  test('can be resumed once the cause is fixed: published outputs are left alone, the others published', async () => {
    const work = workspace()
    writeFileSync(
      join(work, 's.yaml'),
      `input:\n  type: generate\n  config: { count: 100, rate: 250 }\npipeline:\n  processors:\n    - type: switch\n      config:\n        cases:\n          - name: evens\n            condition: "id % 2 = 0"\n            output: { type: jsonl, config: { path: evens.jsonl } }\n          - name: rest\noutput: { type: jsonl, config: { path: rest.jsonl } }\n`,
    )
    // 100 rows at 250 a second: time to put a directory where evens.jsonl goes, after the outputs
    // opened. The pipeline's own output publishes first; then the rename of the evens fails.
    const failing = start(['run', '--progress', 'none', 's.yaml'], { cwd: work })
    await waitFor(() => existsSync(join(work, '.evens.jsonl.fustor-part')), 10_000)
    mkdirSync(join(work, 'evens.jsonl', 'in-the-way'), { recursive: true })
    const failed = await failing.done
    expect(failed.code, failed.stderr).toBe(2)
    expect(failed.stderr).toContain('cannot write evens.jsonl: it is a directory (at pipeline.processors[0].config.cases[0].output.config.path)')
    rmSync(join(work, 'evens.jsonl'), { recursive: true })
    const resumed = await fustor(['run', '--progress', 'none', '--resume', 's.yaml'], { cwd: work })
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(readFileSync(join(work, 'evens.jsonl'), 'utf8').trim().split('\n')).toHaveLength(50)
    expect(readFileSync(join(work, 'rest.jsonl'), 'utf8').trim().split('\n')).toHaveLength(50)
    rmSync(work, { recursive: true, force: true })
  }, 30_000)
})
