/**
 * Throughput of the `postgresql_cdc` input: 100k inserts in transactions of 1,000 rows into a
 * throwaway PostgreSQL 15 (test/postgresql-logical-instance.ts), then read back through the input
 * with batches of 1,000 and every batch acknowledged. Prints events/s (the machine is shared and
 * noisy: the number is reported, and only a floor far below it is asserted).
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { configure, inputContext } from '../../../../test/component-harness.js'
import { postgresqlLogicalSupport, startPostgresqlLogicalInstance, type PostgresqlLogicalInstance } from '../../../../test/postgresql-logical-instance.js'
import { postgresqlCdcInput } from './postgresql-cdc-input.js'

const logical = postgresqlLogicalSupport()
const ROWS = 100_000
const PER_TRANSACTION = 1000

describe.skipIf(!logical.available)(`postgresql_cdc throughput (${logical.reason})`, () => {
  let db: PostgresqlLogicalInstance
  let admin: pg.Client

  beforeAll(async () => {
    db = await startPostgresqlLogicalInstance()
    admin = await db.client()
    await admin.query("CREATE TABLE users (id bigint PRIMARY KEY, name text, email text, country text, score numeric(6,2), active boolean, created_at timestamptz, tags jsonb, note text)")
  }, 60_000)

  afterAll(async () => {
    await admin?.end()
    await db?.stop()
  })

  test(`${ROWS} inserts in transactions of ${PER_TRANSACTION}`, async () => {
    const input = postgresqlCdcInput.create(
      configure(postgresqlCdcInput, { connection: { host: db.host, port: db.port, database: 'postgres', username: db.user }, tables: ['users'], slot: 'throughput' }),
      inputContext({ batchSize: 1000, lingerMs: 5 }),
    )
    await input.open()
    try {
      for (let first = 1; first <= ROWS; first += PER_TRANSACTION) {
        await admin.query(
          `INSERT INTO users SELECT g, 'user ' || g, 'user' || g || '@example.com', 'FR', (g % 10000) / 100.0, g % 2 = 0, '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 second', '{"a": 1}', NULL
             FROM generate_series($1::bigint, $2::bigint) g`,
          [first, first + PER_TRANSACTION - 1],
        )
      }
      const started = performance.now()
      let events = 0
      let lastId: unknown
      while (events < ROWS) {
        const batch = await input.read()
        if (batch === null) break
        events += batch.rows.length
        if (batch.rows.length > 0) lastId = batch.rows[batch.rows.length - 1][6]
        await input.ack!(batch.position)
      }
      const seconds = (performance.now() - started) / 1000
      const rate = Math.round(events / seconds)
      console.log(`postgresql_cdc: ${events} events in ${seconds.toFixed(2)} s = ${rate} events/s`)
      expect(events).toBe(ROWS)
      expect(lastId).toBe(BigInt(ROWS))
      expect(rate).toBeGreaterThan(5000)
    } finally {
      await input.close()
    }
  }, 180_000)
})
