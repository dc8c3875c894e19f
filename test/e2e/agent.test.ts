/**
 * `fustor agent start` as users run it: a MariaDB binlog source (a throwaway server with ROW
 * binlog, test/mariadb-binlog-instance.ts) shared by two pipes writing PostgreSQL tables, killed
 * with SIGKILL in the middle of the changes and started again: every change reaches both tables
 * (upserts make the at-least-once window harmless), the source is read by one shared bus, and
 * SIGINT stops the agent with exit 130.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mariadbBinlogSupport, startMariadbBinlogInstance, type MariadbBinlogInstance } from '../mariadb-binlog-instance.js'
import { SERVICES, service } from '../services.js'
import { start, workspace } from './cli-harness.js'

const binlog = mariadbBinlogSupport()
const postgres = await service('postgresql')
const DATABASE = `fustor_agent_${process.pid}`

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.skipIf(!binlog.available || !postgres.available)(`fustor agent (${binlog.reason}, ${postgres.reason})`, () => {
  let db: MariadbBinlogInstance
  let pgClient: pg.Client
  let dir: string

  beforeAll(async () => {
    db = await startMariadbBinlogInstance()
    dir = workspace('fustor-agent-e2e-')
    const admin = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: 'postgres' })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`)
    await admin.query(`CREATE DATABASE ${DATABASE}`)
    await admin.end()
    pgClient = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: DATABASE })
    await pgClient.connect()
  }, 120_000)

  afterAll(async () => {
    await pgClient?.end()
    const admin = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: 'postgres' })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    await admin.end()
    await db?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('two pipes share a binlog source; kill -9 and restart lose nothing', async () => {
    const my = await db.admin()
    await my.query('CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, status VARCHAR(20), total DECIMAL(10,2))')
    await pgClient.query(`CREATE TABLE all_orders (__op text, __source text, __commit_time timestamptz, __position jsonb, __key jsonb, __before jsonb,
      id int PRIMARY KEY, status text, total numeric(10,2))`)
    await pgClient.query('CREATE TABLE order_status (__op text, id int PRIMARY KEY, status text)')
    const pgConnection = `{ host: ${SERVICES.postgresql.host}, port: ${SERVICES.postgresql.port}, database: ${DATABASE}, username: postgres }`
    // FUSTOR_HOME is the workspace's .fustor (cli-harness.ts): the agent's config is found there by default.
    mkdirSync(join(dir, '.fustor'), { recursive: true })
    writeFileSync(
      join(dir, '.fustor', 'agent-config.yaml'),
      `sources:
  - id: shop
    type: mysql_cdc
    config:
      connection: { host: ${db.host}, port: ${db.port}, database: shop, username: ${db.cdcUser.username}, password: "\${CDC_PASSWORD}" }
      tables: [orders]
senders:
  - id: warehouse
    type: postgresql
    config: { connection: ${pgConnection}, write: { table: all_orders, mode: upsert } }
  - id: status-board
    type: postgresql
    config: { connection: ${pgConnection}, write: { table: order_status, mode: upsert } }
pipes:
  - id: orders-to-warehouse
    source_id: shop
    sender_id: warehouse
    settings: { checkpoint_interval: 100ms }
  - id: order-status
    source_id: shop
    sender_id: status-board
    fields: [__op, id, status]
    settings: { checkpoint_interval: 100ms }
`,
    )
    const env = { CDC_PASSWORD: db.cdcUser.password }
    const insert = async (from: number, to: number): Promise<void> => {
      for (let id = from; id <= to; id += 50) {
        const values = Array.from({ length: Math.min(50, to - id + 1) }, (_, i) => `(${id + i}, 'new', ${(id + i) / 100})`).join(', ')
        await my.query(`INSERT INTO shop.orders VALUES ${values}`)
      }
    }
    const count = async (table: string): Promise<number> => Number((await pgClient.query(`SELECT count(*) FROM ${table}`)).rows[0].count)
    const statePath = join(dir, '.fustor', 'fustor_agent.state.json')

    const first = start(['agent', 'start', '--log-level', 'warn'], { cwd: dir, env })
    // The pipes subscribe at `latest`: changes made once the state file says they run are theirs.
    await waitFor('the agent to run', () => existsSync(statePath) && readFileSync(statePath, 'utf8').includes('"running"')).catch(async (error: Error) => {
      first.child.kill('SIGKILL')
      throw new Error(`${error.message}: ${(await first.done).stderr}`)
    })
    await insert(1, 1000)
    await waitFor('some changes in both tables', async () => (await count('all_orders')) >= 200 && (await count('order_status')) >= 200)
    first.child.kill('SIGKILL')
    await first.done
    await insert(1001, 2000)
    await my.query("UPDATE shop.orders SET status = 'paid' WHERE id % 10 = 0")

    const second = start(['agent', 'start', '--log-level', 'warn'], { cwd: dir, env })
    await waitFor('every change in both tables', async () => {
      const paid = Number((await pgClient.query("SELECT count(*) FROM order_status WHERE status = 'paid'")).rows[0].count)
      return (await count('all_orders')) === 2000 && (await count('order_status')) === 2000 && paid === 200
    }, 60_000)
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { sources: { shop: { buses: { subscribers: { id: string }[] }[] } }; pipes: Record<string, { status: string }> }
    // Both pipes came back on one bus: the binlog is read once for both.
    expect(state.sources.shop.buses).toHaveLength(1)
    expect(state.sources.shop.buses[0].subscribers.map((s) => s.id).sort()).toEqual(['order-status', 'orders-to-warehouse'])
    second.child.kill('SIGINT')
    const result = await second.done
    expect(result.code, result.stderr).toBe(130)
    expect(result.stderr).toMatch(/pipe order-status: stopped/)
    const { rows } = await pgClient.query('SELECT min(id)::int AS min, max(id)::int AS max, count(DISTINCT id)::int AS n, sum(total)::text AS total FROM all_orders')
    expect(rows[0]).toEqual({ min: 1, max: 2000, n: 2000, total: String((2000 * 2001) / 2 / 100) + '.00' })
    const columns = (await pgClient.query("SELECT count(*)::int AS n FROM order_status WHERE __op IN ('insert', 'update')")).rows[0].n
    expect(columns).toBe(2000)
    await my.end()
  }, 180_000)
})
