/**
 * `fustor run --resume` with a `mysql_cdc` input, through the engine (PipelineRun, checkpoints,
 * barriers) into the in-memory test output, which keeps only what was committed at a checkpoint:
 * a run stops; changes go on meanwhile; the run resumes from an earlier checkpoint (as after a crash,
 * where the output drops what it wrote after it). Every change must arrive exactly once, in binlog
 * order (invariant 1: nothing lost; the re-read window duplicates nothing in a checkpointed output).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mariadbBinlogSupport, startMariadbBinlogInstance, type MariadbBinlogInstance } from '../../../../test/mariadb-binlog-instance.js'
import { memoryOutput, memoryTable, memoryTables } from '../../../../test/memory-components.js'
import { silentLogger } from '../../../core/component.js'
import { CheckpointStore, type Checkpoint } from '../../../engine/checkpoint-store.js'
import { loadPipeline } from '../../../engine/pipeline-loader.js'
import { PipelineRun, type RunOptions } from '../../../engine/pipeline-run.js'
import { Registry } from '../../../engine/registry.js'
import { mysqlCdcInput } from './mysql-cdc-input.js'

const binlog = mariadbBinlogSupport()
const FILE = '/pipelines/cdc.yaml'

describe.skipIf(!binlog.available)(`mysql_cdc under fustor run --resume (${binlog.reason})`, () => {
  let db: MariadbBinlogInstance
  let home: string

  beforeAll(async () => {
    db = await startMariadbBinlogInstance()
    home = mkdtempSync(join(tmpdir(), 'fustor-cdc-run-'))
  })

  afterAll(async () => {
    await db?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  test('stopped, then resumed from an earlier checkpoint: every change once, in order', async () => {
    const admin = await db.admin()
    await admin.query('CREATE DATABASE shop; CREATE TABLE shop.events (id INT PRIMARY KEY, v VARCHAR(10))')
    const [[status]] = (await admin.query('SHOW MASTER STATUS')) as unknown as [[{ File: string; Position: string }]]
    const yaml = `
input:
  type: mysql_cdc
  config:
    connection: { host: ${db.host}, port: ${db.port}, database: shop, username: ${db.cdcUser.username}, password: ${db.cdcUser.password} }
    tables: [events]
    start: { file: ${status.File}, position: ${Number(status.Position)} }
output: { type: test_memory, config: { name: out } }
settings: { batch_size: 25, checkpoint_interval: 20ms, linger: 5ms }
`
    const registry = new Registry([mysqlCdcInput, memoryOutput])
    const { plan, errors } = loadPipeline(FILE, yaml, registry, { env: {} })
    if (!plan) throw new Error(errors.map((error) => error.format()).join('\n'))
    const store = new CheckpointStore(home)
    const options = (extra: Partial<RunOptions> = {}): RunOptions => ({ home, logger: silentLogger, checkpoints: store, ...extra })
    memoryTables.clear()

    // Changes in small transactions and in one larger than several batches, while the run reads.
    const expected: string[] = []
    let next = 0
    const write = async (transactions: number, size: number): Promise<void> => {
      for (let t = 0; t < transactions; t++) {
        const ids = Array.from({ length: size }, () => next++)
        await admin.query(`INSERT INTO shop.events VALUES ${ids.map((id) => `(${id}, 'v')`).join(', ')}`)
        expected.push(...ids.map((id) => `insert:${id}`))
        await admin.query(`UPDATE shop.events SET v = 'u' WHERE id = ${ids[0]}`)
        expected.push(`update:${ids[0]}`)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    }

    const first = new PipelineRun({ ...plan, file: FILE }, options())
    const running = first.run()
    await write(10, 10)
    await write(1, 120)
    // A checkpoint from the middle of the run, to resume from as a crashed run would.
    await waitFor(() => first.progress().read >= 60)
    let crashPoint: Checkpoint | undefined
    while (crashPoint?.input.position === undefined || crashPoint.input.position === null) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      crashPoint = await store.load(FILE)
    }
    await write(10, 7)
    await waitFor(() => first.progress().read >= expected.length)
    first.stop()
    expect((await running).status).toBe('stopped')
    expect(committed(memoryTable('out'))).toEqual(expected)
    // The resume must re-read: the crash point is well before where the first run stopped.
    const crashRows = (Object.values(crashPoint.outputs)[0] as { rows: number }).rows
    expect(crashRows).toBeLessThan(expected.length)

    // While stopped, the server goes on.
    await write(5, 10)
    await store.save(crashPoint)
    const second = new PipelineRun({ ...plan, file: FILE }, options({ resume: crashPoint }))
    const resuming = second.run()
    await waitFor(() => memoryTable('out').pending.length + memoryTable('out').committed.length >= expected.length)
    await write(2, 3)
    await waitFor(() => memoryTable('out').pending.length + memoryTable('out').committed.length >= expected.length)
    second.stop()
    expect((await resuming).status).toBe('stopped')
    expect(committed(memoryTable('out'))).toEqual(expected)
    await admin.end()
  }, 60_000)
})

function committed(table: { committed: unknown[][] }): string[] {
  return table.committed.map((row) => `${String(row[0])}:${String(row[6])}`)
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
