/**
 * stream(): chunk sizes, a million rows read with bounded memory while timers keep running, and a
 * consumer that stops early leaving the connection usable.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TransientError } from '../../core/errors.js'
import type { ColumnInfo, ConnectionSettings, SqlConnection } from '../../sql/driver.js'
import { sqliteDriver } from './sqlite-driver.js'

const MILLION = 1_000_000
let dir: string
let conn: SqlConnection
let userColumns: readonly ColumnInfo[]

function settings(path: string, readOnly: boolean): ConnectionSettings {
  return { host: path, port: 0, database: path, username: '', password: undefined, options: {}, ssl: undefined, readOnly, connectTimeoutMs: 1000 }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-sqlite-stream-'))
  const path = join(dir, 'users.db')
  const writer = await sqliteDriver.connect(settings(path, false))
  await writer.execute(`
    CREATE TABLE users (id INT PRIMARY KEY, name TEXT, email TEXT, age INT, country TEXT, city TEXT, score DECIMAL(5,2), active BOOLEAN, created_at TIMESTAMP);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${MILLION})
    INSERT INTO users SELECT i, 'User ' || i, 'user' || i || '@example.com', 18 + i % 60, 'C' || (i % 50), 'City ' || (i % 500),
      (i % 10000) / 100.0, i % 2, printf('2024-%02d-%02dT%02d:%02d:%02d', 1 + i % 12, 1 + i % 28, i % 24, i % 60, (i * 7) % 60) FROM n;
  `)
  await writer.close()
  conn = await sqliteDriver.connect(settings(path, true))
  userColumns = await conn.describeQuery('SELECT * FROM users')
}, 120_000)

afterAll(async () => {
  await conn?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('sqlite stream', () => {
  it('delivers chunks of chunkRows rows, the last one shorter', async () => {
    const sizes: number[] = []
    for await (const chunk of conn.stream('SELECT * FROM users WHERE id <= ? ORDER BY id', [20], userColumns, 7, { zeroDates: 'error' })) sizes.push(chunk.rows.length)
    expect(sizes).toEqual([7, 7, 6])
  })

  it('reads a million rows with memory bounded by the chunk, and lets timers run between chunks', async () => {
    const heapBefore = process.memoryUsage().heapUsed
    let maxHeapGrowth = 0
    let rows = 0
    let bytes = 0
    let ticks = 0
    let lastId = 0
    const timer = setInterval(() => ticks++, 5)
    try {
      for await (const chunk of conn.stream('SELECT * FROM users ORDER BY id', [], userColumns, 5000, { zeroDates: 'error' })) {
        expect(chunk.rejected).toEqual([])
        rows += chunk.rows.length
        bytes += chunk.bytes
        lastId = chunk.rows[chunk.rows.length - 1][0] as number
        if (rows % 100_000 === 0) maxHeapGrowth = Math.max(maxHeapGrowth, process.memoryUsage().heapUsed - heapBefore)
      }
    } finally {
      clearInterval(timer)
    }
    expect(rows).toBe(MILLION)
    expect(lastId).toBe(MILLION)
    // About 90 bytes of text and 4 numbers per row.
    expect(bytes).toBeGreaterThan(MILLION * 80)
    // Holding the rows would take several hundred MiB; a chunk of 5,000 rows takes about 2.
    expect(maxHeapGrowth).toBeLessThan(96 * 1024 * 1024)
    // A read of a few seconds with a 5 ms timer: it fires between chunks (it could not, were the read one synchronous loop).
    expect(ticks).toBeGreaterThan(10)
  }, 120_000)

  it('converts the users table to Fustor values', async () => {
    const chunks = []
    for await (const chunk of conn.stream('SELECT * FROM users WHERE id IN (?, ?) ORDER BY id', [1, 999_999], userColumns, 10, { zeroDates: 'error' })) chunks.push(chunk)
    expect(chunks.flatMap((chunk) => chunk.rows)).toEqual([
      [1, 'User 1', 'user1@example.com', 19, 'C1', 'City 1', '0.01', true, '2024-02-02T01:01:07'],
      [999999, 'User 999999', 'user999999@example.com', 57, 'C49', 'City 499', '99.99', true, '2024-04-08T15:39:33'],
    ])
  })

  it('stops the query when the consumer breaks out, leaving the connection usable', async () => {
    const path = join(dir, 'break.db')
    const writer = await sqliteDriver.connect(settings(path, false))
    try {
      await writer.execute('CREATE TABLE t (i INT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO t SELECT i FROM n')
      const columns = await writer.describeQuery('SELECT i FROM t')
      let seen = 0
      for await (const chunk of writer.stream('SELECT i FROM t', [], columns, 100, { zeroDates: 'error' })) {
        seen += chunk.rows.length
        break
      }
      expect(seen).toBe(100)
      // A statement left stepping would make this fail with "This database connection is busy executing a query".
      await writer.write({ table: { name: 't' }, columns: [{ name: 'i', type: 'int' }], mode: 'insert', key: [] }, [[1001]])
      expect((await writer.query('SELECT count(*) FROM t')).rows).toEqual([[1001n]])
    } finally {
      await writer.close()
    }
  })

  it('fails a read whose connection is closed midway, instead of ending it as if every row was read', async () => {
    const reader = await sqliteDriver.connect(settings(join(dir, 'users.db'), true))
    let seen = 0
    const read = (async () => {
      for await (const chunk of reader.stream('SELECT * FROM users', [], userColumns, 1000, { zeroDates: 'error' })) {
        seen += chunk.rows.length
        if (seen === 2000) await reader.close()
      }
    })()
    const error = await read.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(seen).toBe(2000)
    expect(error).toBeInstanceOf(TransientError)
    expect((error as TransientError).code).toBe('sqlite.closed')
  })
})
