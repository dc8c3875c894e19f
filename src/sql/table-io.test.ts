/**
 * The shared relational logic (TableInput, TableOutput) over a real database: SQLite files, which
 * need no server. The server databases run the same code in test/e2e/relational.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { inputContext, outputContext } from '../../test/component-harness.js'
import type { InputBatch, Position } from '../core/batch.js'
import { TransientError } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import { sqliteDriver } from '../connectors/sqlite/sqlite-driver.js'
import { resolveConnection } from './connection-config.js'
import { TableInput, type TableInputConfig } from './table-input.js'
import { TableOutput } from './table-output.js'

let dir: string
let file: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fustor-sql-'))
  file = join(dir, 'test.db')
  const db = new Database(file)
  db.exec('CREATE TABLE numbers (id INT PRIMARY KEY, label TEXT, at TIMESTAMP)')
  const insert = db.prepare('INSERT INTO numbers VALUES (?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= 1000; i++) insert.run(i, `n${i}`, `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}`)
  })()
  db.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const settings = (readOnly: boolean) => resolveConnection('sqlite', 0, { connection: { path: file, options: {} } }, readOnly)

async function readAll(
  config: TableInputConfig,
  options: { resumeFrom?: Position; previousRun?: Position; batchSize?: number } = {},
): Promise<{ ids: number[]; batches: InputBatch[]; rowsTotal: number | undefined }> {
  const input = new TableInput(sqliteDriver, settings(true), config, { zeroDates: 'null' }, inputContext({ batchSize: options.batchSize ?? 100, resumeFrom: options.resumeFrom }), options.previousRun)
  const batches: InputBatch[] = []
  let rowsTotal: number | undefined
  try {
    await input.open()
    rowsTotal = input.progress().rowsTotal
    for (let batch = await input.read(); batch !== null; batch = await input.read()) batches.push(batch)
  } finally {
    await input.close()
  }
  return { ids: batches.flatMap((b) => b.rows.map((row) => Number(row[0]))), batches, rowsTotal }
}

describe('TableInput', () => {
  test('reads a table in key order, every row once', async () => {
    const { ids, batches, rowsTotal } = await readAll({ query: { table: 'numbers' }, parallelism: 1 })
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    expect(rowsTotal).toBe(1000) // for the progress line's ETA
    expect(batches[0].schema.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id int', 'label string', 'at timestamp'])
    expect(batches[0].schema.primaryKey).toEqual(['id'])
  })

  test('parallel ranges read every row once, and a resumed run reads exactly the rest', async () => {
    const config: TableInputConfig = { query: { table: 'numbers', columns: ['label'] }, parallelism: 3 }
    const { batches } = await readAll(config, { batchSize: 50 })
    const labels = batches.flatMap((b) => b.rows.map((row) => row[0]))
    expect(batches[0].rows[0]).toHaveLength(1) // the key was read for the position, not delivered
    expect(new Set(labels).size).toBe(1000)
    expect(labels).toHaveLength(1000)
    // Resume from the position of every batch: what comes after is exactly what had not been delivered.
    for (const at of [0, 3, 7, batches.length - 2]) {
      const delivered = new Set(batches.slice(0, at + 1).flatMap((b) => b.rows.map((row) => row[0])))
      const rest = await readAll(config, { resumeFrom: batches[at].position, batchSize: 50 })
      const resumed = rest.batches.flatMap((b) => b.rows.map((row) => row[0]))
      expect(resumed.filter((label) => delivered.has(label))).toEqual([])
      expect(resumed.length + delivered.size).toBe(1000)
    }
  })

  test('incremental: only rows above the last run, up to the maximum at the start', async () => {
    const config: TableInputConfig = { query: { table: 'numbers', filter: 'id <= 600' }, parallelism: 2, incremental: { column: 'id', start: 101 } }
    const first = await readAll(config)
    expect(first.ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 101))
    expect(first.rowsTotal).toBeUndefined() // a filter: the table's size says nothing
    const last = first.batches.at(-1)!.position
    const next = await readAll({ ...config, query: { table: 'numbers', filter: 'id <= 700' } }, { previousRun: last })
    expect(next.ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 601))
  })

  test('names a missing table and column with a suggestion', async () => {
    await expect(readAll({ query: { table: 'number' }, parallelism: 1 })).rejects.toMatchObject({ code: 'sql.table_not_found', path: 'query.table', hint: 'did you mean numbers?' })
    await expect(readAll({ query: { table: 'numbers', columns: ['lable'] }, parallelism: 1 })).rejects.toMatchObject({ code: 'sql.column_not_found', hint: 'did you mean label?' })
    await expect(readAll({ query: { sql: 'SELECT * FROM numbers', split_key: 'label' }, parallelism: 2 })).rejects.toMatchObject({ code: 'sql.parallel_needs_integer_key' })
  })
})

describe('TableInput keys', () => {
  test('a nullable split key is refused; a repeated one is resumed with the primary key as tie-breaker', async () => {
    const db = new Database(file)
    db.exec('CREATE TABLE grouped (id INTEGER PRIMARY KEY, grp INT NOT NULL, maybe INT)')
    const insert = db.prepare('INSERT INTO grouped VALUES (?, ?, ?)')
    for (let i = 1; i <= 20; i++) insert.run(i, Math.ceil(i / 7), i % 3 === 0 ? null : i)
    db.close()
    await expect(readAll({ query: { table: 'grouped', split_key: 'maybe' }, parallelism: 1 })).rejects.toMatchObject({ code: 'sql.split_key_nullable' })
    const config: TableInputConfig = { query: { table: 'grouped', split_key: 'grp' }, parallelism: 1 }
    const all = await readAll(config, { batchSize: 3 })
    expect(all.ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
    for (const [at, batch] of all.batches.entries()) {
      const rest = await readAll(config, { resumeFrom: batch.position, batchSize: 3 })
      expect(rest.ids, `resumed after batch ${at}`).toEqual(all.ids.slice((at + 1) * 3))
    }
  })

  test('a range that keeps failing fails every read, it does not hang', async () => {
    const failing: typeof sqliteDriver = {
      ...sqliteDriver,
      connect: async (s) => {
        const connection = await sqliteDriver.connect(s)
        return {
          ...connection,
          query: connection.query.bind(connection),
          describeQuery: connection.describeQuery.bind(connection),
          describeTable: connection.describeTable.bind(connection),
          listTables: connection.listTables.bind(connection),
          execute: connection.execute.bind(connection),
          write: connection.write.bind(connection),
          close: connection.close.bind(connection),
          // eslint-disable-next-line require-yield
          stream: async function* () {
            throw new TransientError('test.lost', 'connection lost')
          },
        }
      },
    }
    const input = new TableInput(failing, settings(true), { query: { table: 'numbers' }, parallelism: 1 }, { zeroDates: 'null' }, inputContext(), undefined, {
      maxRetries: 1,
      initialDelayMs: 1,
      maxDelayMs: 1,
      multiplier: 1,
    })
    await input.open()
    try {
      await expect(input.read()).rejects.toMatchObject({ code: 'sql.read_failed' })
      await expect(input.read()).rejects.toMatchObject({ code: 'sql.read_failed' })
    } finally {
      await input.close()
    }
  })
})

describe('TableOutput', () => {
  const schema: Schema = { columns: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }, { name: 'age', type: 'string' }] }

  test('creates the table, converts values, and isolates the rows the database refuses', async () => {
    const db = new Database(file)
    db.exec('CREATE TABLE people (id INT PRIMARY KEY, name TEXT NOT NULL, age INT CHECK (age >= 0))')
    db.close()
    const output = new TableOutput(sqliteDriver, settings(false), { write: { table: 'people', mode: 'insert', batch_size: 4 }, create_table: false }, outputContext())
    const rejected: [Row, string][] = []
    const ctx = { reject: (row: Row, error: unknown) => rejected.push([row, (error as Error).message]) }
    await output.open()
    const rows: Row[] = [
      [1, 'Ada', '36'],
      [2, null, '40'],
      [3, 'Cy', '-1'],
      [4, 'Dee', 'old'],
      [5, 'Eve', '50'],
      [6, 'Flo', null],
    ]
    await output.write({ schema, rows: rows.slice(0, 3) }, ctx)
    await output.write({ schema, rows: rows.slice(3) }, ctx)
    await output.commit(ctx)
    await output.finish()
    await output.close()
    expect(rejected.map(([row]) => row[0]).sort()).toEqual([2, 3, 4])
    expect(rejected.find(([row]) => row[0] === 4)![1]).toMatch(/column age/)
    const check = new Database(file, { readonly: true })
    expect(check.prepare('SELECT id, age FROM people ORDER BY id').raw().all()).toEqual([
      [1, 36],
      [5, 50],
      [6, null],
    ])
    check.close()
  })

  test('rows gathered before a schema change are written with their own columns', async () => {
    const db = new Database(file)
    db.exec('CREATE TABLE pairs (id INT PRIMARY KEY, v TEXT)')
    db.close()
    const output = new TableOutput(sqliteDriver, settings(false), { write: { table: 'pairs', mode: 'insert', batch_size: 100 }, create_table: false }, outputContext())
    const ctx = { reject: () => undefined }
    await output.open()
    await output.write({ schema: { columns: [{ name: 'id', type: 'int' }, { name: 'v', type: 'string' }] }, rows: [[1, 'one']] }, ctx)
    await output.write({ schema: { columns: [{ name: 'v', type: 'string' }, { name: 'id', type: 'int' }] }, rows: [['two', 2]] }, ctx)
    await output.commit(ctx)
    await output.close()
    const check = new Database(file, { readonly: true })
    expect(check.prepare('SELECT id, v FROM pairs ORDER BY id').raw().all()).toEqual([
      [1, 'one'],
      [2, 'two'],
    ])
    check.close()
  })

  test('a failed connection keeps the gathered rows for the retry', async () => {
    const db = new Database(file)
    db.exec('CREATE TABLE kept (id INT PRIMARY KEY)')
    db.close()
    let connects = 0
    const flaky: typeof sqliteDriver = {
      ...sqliteDriver,
      connect: async (s) => {
        connects++
        // The first connection (open) works; the spare for a second transaction fails once.
        if (connects === 2) throw new TransientError('test.refused', 'connection refused')
        return sqliteDriver.connect(s)
      },
    }
    const output = new TableOutput(flaky, settings(false), { write: { table: 'kept', mode: 'insert', batch_size: 2 }, create_table: false }, outputContext())
    const ctx = { reject: () => undefined }
    const schema: Schema = { columns: [{ name: 'id', type: 'int' }] }
    await output.open()
    const batches: Row[][] = [[[1], [2]], [[3], [4]], [[5], [6]]]
    for (const rows of batches) {
      // As the engine does: a transient error retries the same batch.
      for (let attempt = 0; ; attempt++) {
        try {
          await output.write({ schema, rows }, ctx)
          break
        } catch (error) {
          if (!(error instanceof TransientError) || attempt > 2) throw error
        }
      }
    }
    await output.commit(ctx)
    await output.close()
    const check = new Database(file, { readonly: true })
    expect(check.prepare('SELECT id FROM kept ORDER BY id').pluck().all()).toEqual([1, 2, 3, 4, 5, 6])
    check.close()
  })

  test('create_table, then upsert twice gives the same table; pre_sql runs only on a fresh run', async () => {
    const write = async (resumeState: undefined | { started: boolean }) => {
      const output = new TableOutput(
        sqliteDriver,
        settings(false),
        { write: { table: 'made', mode: 'upsert', batch_size: 100 }, conflict: { key: ['id'] }, create_table: true, pre_sql: "CREATE TABLE IF NOT EXISTS log (x TEXT); INSERT INTO log VALUES ('pre')" },
        outputContext({ resumeState }),
      )
      await output.open()
      await output.write({ schema: { columns: [{ name: 'id', type: 'int' }, { name: 'v', type: 'decimal', precision: 10, scale: 2 }] }, rows: [[1, '1.50'], [2, '2.00'], [1, '3.25']] }, { reject: () => undefined })
      await output.commit({ reject: () => undefined })
      await output.finish()
      await output.close()
    }
    await write(undefined)
    await write({ started: true })
    const db = new Database(file, { readonly: true })
    // SQLite stores a DECIMAL(10,2) as a number (its driver restores the scale on read).
    expect(db.prepare('SELECT id, v FROM made ORDER BY id').raw().all()).toEqual([
      [1, 3.25],
      [2, 2],
    ])
    expect(db.prepare('SELECT COUNT(*) FROM log').raw().get()).toEqual([1])
    db.close()
  })
})
