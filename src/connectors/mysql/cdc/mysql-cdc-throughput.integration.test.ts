/**
 * Throughput of the `mysql_cdc` input: 100,000 inserted rows (100 transactions of 1,000) of a
 * users-like table, read from the binlog, decoded and turned into change-event batches. Prints
 * events/s; the product goal is 50,000 events/s end to end (PRODUCT.md "The bar"), zongji's decoding
 * alone ~234,000 rows/s here. The assertion is far below the goal, so that a noisy shared machine
 * does not fail it; the printed figure is what to compare.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { configure, inputContext } from '../../../../test/component-harness.js'
import { mariadbBinlogSupport, startMariadbBinlogInstance, type MariadbBinlogInstance } from '../../../../test/mariadb-binlog-instance.js'
import { mysqlCdcInput } from './mysql-cdc-input.js'

const binlog = mariadbBinlogSupport()
const ROWS = 100_000
const PER_TRANSACTION = 1000

describe.skipIf(!binlog.available)(`mysql_cdc throughput (${binlog.reason})`, () => {
  let db: MariadbBinlogInstance

  beforeAll(async () => {
    db = await startMariadbBinlogInstance()
  })

  afterAll(async () => {
    await db?.stop()
  })

  test(`${ROWS} inserted rows are read and decoded into change events`, async () => {
    const admin = await db.admin()
    await admin.query(`CREATE DATABASE shop CHARACTER SET utf8mb4;
      CREATE TABLE shop.users (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(255), age INT, country CHAR(2),
        city VARCHAR(100), score DECIMAL(5,2), active BOOLEAN, created_at DATETIME)`)
    const [[status]] = (await admin.query('SHOW MASTER STATUS')) as unknown as [[{ File: string; Position: string }]]
    for (let first = 0; first < ROWS; first += PER_TRANSACTION) {
      const values = Array.from({ length: PER_TRANSACTION }, (_, i) => {
        const id = first + i
        return `(${id}, 'User ${id}', 'user${id}@example.com', ${20 + (id % 50)}, 'DE', 'Berlin', ${(id % 10000) / 100}, ${id % 2}, '2024-01-01 10:00:00')`
      })
      await admin.query(`INSERT INTO shop.users VALUES ${values.join(', ')}`)
    }
    await admin.end()

    const config = configure(mysqlCdcInput, {
      connection: { host: db.host, port: db.port, database: 'shop', username: db.cdcUser.username, password: db.cdcUser.password },
      tables: ['users'],
      start: { file: status.File, position: Number(status.Position) },
    })
    const input = mysqlCdcInput.create(config, inputContext({ batchSize: 1000, lingerMs: 5 }))
    const started = performance.now()
    await input.open()
    let rows = 0
    let lastId: unknown
    try {
      while (rows < ROWS) {
        const batch = await input.read()
        if (batch === null) break
        rows += batch.rows.length
        if (batch.rows.length > 0) lastId = batch.rows[batch.rows.length - 1][6]
      }
    } finally {
      await input.close()
    }
    const seconds = (performance.now() - started) / 1000
    const perSecond = Math.round(rows / seconds)
    console.log(`mysql_cdc: ${rows} change events in ${seconds.toFixed(2)} s = ${perSecond} events/s (goal 50000)`)
    expect(rows).toBe(ROWS)
    expect(lastId).toBe(ROWS - 1)
    expect(perSecond).toBeGreaterThan(10_000)
  }, 180_000)
})
