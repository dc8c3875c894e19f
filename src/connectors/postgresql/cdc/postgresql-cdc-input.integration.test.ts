/**
 * The `postgresql_cdc` input against a throwaway PostgreSQL 15 with wal_level=logical
 * (test/postgresql-logical-instance.ts): change events and their values (the same as the batch
 * `postgresql` input reads), REPLICA IDENTITY DEFAULT and FULL, TRUNCATE, table patterns, slot and
 * publication creation and reuse, acknowledgement only on ack, keepalives moving the slot while the
 * tables are idle, resume from a checkpointed position, a dropped slot, a terminated walsender.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { configure, inputContext, readAll } from '../../../../test/component-harness.js'
import { postgresqlLogicalSupport, startPostgresqlLogicalInstance, type PostgresqlLogicalInstance } from '../../../../test/postgresql-logical-instance.js'
import type { InputBatch, Position } from '../../../core/batch.js'
import type { Input, InputContext } from '../../../core/component.js'
import { FatalError } from '../../../core/errors.js'
import { rowToObject, type Column, type JsonObject, type Value } from '../../../core/schema.js'
import { postgresqlInput } from '../index.js'
import { postgresqlCdcInput } from './postgresql-cdc-input.js'
import { lsnValue } from './replication-position.js'

const logical = postgresqlLogicalSupport()
const FAST_RETRY = { maxRetries: 5, initialDelayMs: 50, maxDelayMs: 500, multiplier: 2 }

describe.skipIf(!logical.available)(`postgresql_cdc input (${logical.reason})`, () => {
  let db: PostgresqlLogicalInstance
  let admin: pg.Client
  const open: Input[] = []

  beforeAll(async () => {
    db = await startPostgresqlLogicalInstance()
    await db.execute('postgres', 'CREATE DATABASE shop', 'CREATE DATABASE other')
    admin = await db.client('shop')
    await admin.query('CREATE SCHEMA sales')
  }, 60_000)

  afterAll(async () => {
    for (const input of open) await input.close().catch(() => undefined)
    await admin?.end()
    await db?.stop()
  })

  function connection(): JsonObject {
    return { host: db.host, port: db.port, database: 'shop', username: db.user }
  }

  async function cdc(config: Record<string, unknown>, context: Partial<InputContext> = {}): Promise<Input> {
    const parsed = configure(postgresqlCdcInput, { connection: connection(), ...config })
    const input = postgresqlCdcInput.create(parsed, inputContext({ batchSize: 1000, lingerMs: 5, retry: FAST_RETRY, ...context }))
    open.push(input)
    await input.open()
    return input
  }

  /** Batches until `rows` change rows (or rejected changes) arrived (empty batches included), failing after `timeoutMs`. */
  async function readRows(input: Input, rows: number, timeoutMs = 15_000): Promise<InputBatch[]> {
    const batches: InputBatch[] = []
    let count = 0
    const deadline = Date.now() + timeoutMs
    while (count < rows) {
      const batch = await Promise.race([input.read(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now())))])
      if (batch === 'timeout') throw new Error(`timed out with ${count} of ${rows} rows`)
      if (batch === null) throw new Error(`input ended with ${count} of ${rows} rows`)
      batches.push(batch)
      count += batch.rows.length + (batch.rejected?.length ?? 0)
    }
    return batches
  }

  /** Reads for `ms`, expecting no rows; returns the positions of the batches without rows. */
  async function readIdle(input: Input, ms: number): Promise<Position[]> {
    const positions: Position[] = []
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const batch = await Promise.race([input.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(1, deadline - Date.now())))])
      if (batch !== null) {
        expect(batch.rows).toEqual([])
        positions.push(batch.position)
      }
    }
    return positions
  }

  function changes(batches: InputBatch[]): Record<string, Value>[] {
    return batches.flatMap((batch) => batch.rows.map((row) => rowToObject(batch.schema, row)))
  }

  async function confirmed(slot: string): Promise<bigint | undefined> {
    const result = await admin.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot])
    return result.rows.length === 0 || result.rows[0].lsn === null ? undefined : lsnValue(result.rows[0].lsn)
  }

  async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not met in time')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  test('inserts, updates, deletes and truncates of several tables, with the values the postgresql input reads', async () => {
    await admin.query(`CREATE TABLE typed (
      id int PRIMARY KEY, big bigint, num numeric(12,3), bare numeric, ts timestamp(6), tstz timestamptz, day date,
      j json, jb jsonb, b bytea, s text, ints int[], texts text[], flag boolean, f double precision, uid uuid, n int)`)
    await admin.query('CREATE TABLE notes (id bigint PRIMARY KEY, body text)')
    await admin.query('CREATE TABLE sales.full_rows (id int PRIMARY KEY, v text, w int)')
    await admin.query('ALTER TABLE sales.full_rows REPLICA IDENTITY FULL')
    await admin.query('CREATE TABLE skipped (id int PRIMARY KEY)')
    const input = await cdc({ tables: ['typed', 'public.notes', 'sales.*'], slot: 'typed_slot' })
    await admin.query(`INSERT INTO typed VALUES
      (1, -9223372036854775808, -12.500, 123456789012345678901234567890.123456789, '2024-02-29 23:59:59.123456', '2024-01-02 03:04:05.5+02', '2024-12-31',
       '{"a": [1, 2, {"b": null}], "s": "x"}', '{"big": 12345678901234567890, "k": "v"}', '\\x00ff10', 'héllo 😀 wörld', '{1,NULL,3}', '{"a b","c\\"d",NULL}',
       true, 3.141592653589793, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL),
      (2, 9223372036854775807, 0, 'NaN', '0001-01-01 00:00:00', '1970-01-01 00:00:01+00', '0001-01-01', 'null', '[]', '\\x', '', '{}', '{}', false, -1e300, NULL, 7),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
    const batchInput = postgresqlInput.create(configure(postgresqlInput, { connection: connection(), query: { table: 'public.typed' } }), inputContext())
    const read = await readAll(batchInput)

    const batches = await readRows(input, 3)
    const events = changes(batches)
    // Row 2 holds a numeric NaN: no Fustor value, rejected by both inputs alike.
    expect(batches.flatMap((b) => b.rejected ?? []).map((r) => (r.error as { code?: string }).code)).toEqual(read.rejected.map((r) => (r.error as { code?: string }).code))
    const tableColumns = batches[0].schema.columns.slice(6)
    // The same columns and types; the change events also say which columns are NOT NULL in the table.
    const typeOnly = (columns: readonly Column[]): Column[] => columns.map(({ nullable: _nullable, ...rest }) => rest)
    expect(typeOnly(tableColumns)).toEqual(typeOnly(read.schema!.columns))
    expect(tableColumns[0].nullable).toBe(false)
    expect(batches[0].schema.primaryKey).toEqual(['id'])
    expect(events.map((e) => tableColumns.map((c) => e[c.name]))).toEqual(read.rows)
    expect(events[0]).toMatchObject({ __op: 'insert', __source: 'public.typed', __key: { id: 1 }, __before: null, s: 'héllo 😀 wörld', ints: [1, null, 3], texts: ['a b', 'c"d', null] })
    expect(String(events[0].__commit_time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)

    await admin.query("BEGIN; INSERT INTO notes VALUES (10, 'first'); UPDATE typed SET s = 'changed', n = NULL WHERE id = 1; DELETE FROM typed WHERE id = 3; INSERT INTO notes VALUES (11, NULL); INSERT INTO skipped VALUES (1); COMMIT")
    await admin.query('UPDATE notes SET id = 12 WHERE id = 11')
    await admin.query("INSERT INTO sales.full_rows VALUES (1, 'one', 1), (2, 'two', 2)")
    await admin.query("UPDATE sales.full_rows SET v = 'uno' WHERE id = 1")
    await admin.query('DELETE FROM sales.full_rows WHERE id = 2')
    await admin.query('TRUNCATE notes, sales.full_rows')
    const more = changes(await readRows(input, 4 + 2 + 2 + 1 + 1 + 2))
    const summary = more.map((e) => [e.__op, e.__source, e.__key, e.__before])
    expect(summary).toEqual([
      ['insert', 'public.notes', { id: 10 }, null],
      // REPLICA IDENTITY DEFAULT: no before image of an update, only the key of a delete.
      ['update', 'public.typed', { id: 1 }, null],
      ['delete', 'public.typed', { id: 3 }, null],
      ['insert', 'public.notes', { id: 11 }, null],
      // A key change: delete of the old key, insert of the new.
      ['delete', 'public.notes', { id: 11 }, null],
      ['insert', 'public.notes', { id: 12 }, null],
      ['insert', 'sales.full_rows', { id: 1 }, null],
      ['insert', 'sales.full_rows', { id: 2 }, null],
      // REPLICA IDENTITY FULL: the whole old row.
      ['update', 'sales.full_rows', { id: 1 }, { id: 1, v: 'one', w: 1 }],
      ['delete', 'sales.full_rows', { id: 2 }, { id: 2, v: 'two', w: 2 }],
      ['truncate', 'public.notes', null, null],
      ['truncate', 'sales.full_rows', null, null],
    ])
    expect(more[1]).toMatchObject({ s: 'changed', n: null, big: -9223372036854775808n })
    expect(more[2]).toMatchObject({ id: 3, s: null })
    expect(more[4]).toMatchObject({ id: 11n })
    expect(more[9]).toMatchObject({ id: 2, v: 'two', w: 2 })
    expect(more[10]).toMatchObject({ id: null, body: null })
  })

  test('slot and publication are created when absent and reused; ack alone advances confirmed_flush_lsn', async () => {
    await admin.query('CREATE TABLE acked (id int PRIMARY KEY, v text)')
    const input = await cdc({ tables: ['acked'] })
    const slots = await admin.query("SELECT slot_name, plugin FROM pg_replication_slots WHERE slot_name LIKE 'fustor\\_%'")
    expect(slots.rows).toHaveLength(1)
    const slot = slots.rows[0].slot_name as string
    expect(slot).toMatch(/^fustor_[0-9a-f]{12}$/)
    expect(slots.rows[0].plugin).toBe('pgoutput')
    const published = await admin.query('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1', [`fustor_${slot}`])
    expect(published.rows).toEqual([{ schemaname: 'public', tablename: 'acked' }])

    const before = (await confirmed(slot))!
    await admin.query("INSERT INTO acked VALUES (1, 'a'), (2, 'b')")
    const [batch] = await readRows(input, 2)
    // Delivered but not acknowledged: the slot has not moved, even after a status interval's keepalives.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await confirmed(slot)).toBe(before)
    await input.ack!(batch.position)
    const acked = lsnValue((batch.position as { lsn: string }).lsn)!
    await waitFor(async () => (await confirmed(slot))! >= acked)
    expect(await confirmed(slot)).toBe(acked)
    await input.close()

    // Reused: the same default slot and publication, from the confirmed position: nothing again.
    const again = await cdc({ tables: ['acked'] })
    await admin.query("INSERT INTO acked VALUES (3, 'c')")
    expect(changes(await readRows(again, 1)).map((e) => e.id)).toEqual([3])
    const count = await admin.query("SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE 'fustor\\_%'")
    expect(count.rows[0].n).toBe(1)
    await again.close()
    await admin.query('SELECT pg_drop_replication_slot($1)', [slot])
  })

  test('keepalives move the confirmed position while the watched tables are idle and another database writes', async () => {
    await admin.query('CREATE TABLE idle (id int PRIMARY KEY)')
    const input = await cdc({ tables: ['idle'], slot: 'idle_slot' })
    const start = (await confirmed('idle_slot'))!
    const other = await db.client('other')
    try {
      await other.query('CREATE TABLE busy (id int, pad text)')
      const deadline = Date.now() + 20_000
      let moved = false
      while (!moved && Date.now() < deadline) {
        await other.query("INSERT INTO busy SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g")
        for (const position of await readIdle(input, 1200)) await input.ack!(position)
        moved = (await confirmed('idle_slot'))! > start
      }
      expect(moved).toBe(true)
    } finally {
      await other.end()
    }
    await input.close()
  })

  test('heartbeat messages move the confirmed position too', async () => {
    await admin.query('CREATE TABLE beat (id int PRIMARY KEY)')
    const input = await cdc({ tables: ['beat'], slot: 'beat_slot', heartbeat: { interval: '200ms' } })
    const start = (await confirmed('beat_slot'))!
    const deadline = Date.now() + 10_000
    while ((await confirmed('beat_slot'))! <= start && Date.now() < deadline) {
      for (const position of await readIdle(input, 1200)) await input.ack!(position)
    }
    expect((await confirmed('beat_slot'))!).toBeGreaterThan(start)
    await input.close()
  })

  test('resume from a checkpointed position, inside a transaction too, loses nothing', async () => {
    await admin.query('CREATE TABLE resumed (id int PRIMARY KEY)')
    const first = await cdc({ tables: ['resumed'], slot: 'resume_slot' }, { batchSize: 300 })
    await admin.query('INSERT INTO resumed SELECT g FROM generate_series(1, 1000) g')
    await admin.query('INSERT INTO resumed SELECT g FROM generate_series(1001, 1500) g')
    const batches = await readRows(first, 1500)
    const all = changes(batches).map((e) => e.id)
    expect(all).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1))
    // Checkpoint after the second batch (inside the first transaction): ack it, stop.
    const checkpoint = batches[1].position
    expect(checkpoint).toMatchObject({ skip: 600 })
    await first.ack!(checkpoint)
    await first.close()
    const resumed = await cdc({ tables: ['resumed'], slot: 'resume_slot' }, { resumeFrom: checkpoint })
    await admin.query('INSERT INTO resumed VALUES (2000)')
    const rest = changes(await readRows(resumed, 901)).map((e) => e.id)
    expect(rest).toEqual([...all.slice(600), 2000])
    await resumed.close()
  })

  test('a dropped slot is postgresql_cdc.position_lost, on resume and while reading', async () => {
    await admin.query('CREATE TABLE lost (id int PRIMARY KEY)')
    // A slow reconnection, so that the slot can be dropped meanwhile.
    const input = await cdc({ tables: ['lost'], slot: 'lost_slot' }, { retry: { maxRetries: 3, initialDelayMs: 3000, maxDelayMs: 3000, multiplier: 1 } })
    await admin.query('INSERT INTO lost VALUES (1)')
    const [batch] = await readRows(input, 1)
    await input.ack!(batch.position)
    // Terminate the walsender and drop the slot before the input reconnects.
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'lost_slot' AND active_pid IS NOT NULL")
    await waitFor(async () => (await admin.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'lost_slot' AND NOT active")).rows.length === 1)
    await admin.query("SELECT pg_drop_replication_slot('lost_slot')")
    const error = await input.read().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(FatalError)
    expect((error as FatalError).code).toBe('postgresql_cdc.position_lost')
    await input.close()

    const parsed = configure(postgresqlCdcInput, { connection: connection(), tables: ['lost'], slot: 'lost_slot' })
    const resumed = postgresqlCdcInput.create(parsed, inputContext({ resumeFrom: batch.position }))
    await expect(resumed.open()).rejects.toMatchObject({ code: 'postgresql_cdc.position_lost' })
    await resumed.close()
  })

  test('a terminated walsender reconnects and continues without loss or repeats', async () => {
    await admin.query('CREATE TABLE killed (id int PRIMARY KEY)')
    const input = await cdc({ tables: ['killed'], slot: 'killed_slot' })
    await admin.query('INSERT INTO killed VALUES (1), (2)')
    const first = changes(await readRows(input, 2)).map((e) => e.id)
    await admin.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'killed_slot'")
    await admin.query('INSERT INTO killed VALUES (3)')
    await admin.query('INSERT INTO killed VALUES (4)')
    const next = changes(await readRows(input, 2)).map((e) => e.id)
    expect([...first, ...next]).toEqual([1, 2, 3, 4])
    await input.close()
  })

  test('configuration mistakes are named', async () => {
    await expect(cdc({ tables: ['nothing_here_*'], slot: 'none_slot' })).rejects.toMatchObject({ code: 'postgresql_cdc.no_tables' })
    await expect(cdc({ tables: ['typed'], slot: 'absent_slot', create_slot: false })).rejects.toMatchObject({ code: 'postgresql_cdc.slot_not_found' })
    await expect(cdc({ tables: ['typed'], slot: 'x_slot', publication: 'absent_pub', create_publication: false })).rejects.toMatchObject({ code: 'postgresql_cdc.publication_not_found' })
    const replica = await startPostgresqlLogicalInstance(['-c', 'wal_level=replica'])
    try {
      const parsed = configure(postgresqlCdcInput, { connection: { host: replica.host, port: replica.port, database: 'postgres', username: replica.user } })
      const input = postgresqlCdcInput.create(parsed, inputContext())
      await expect(input.open()).rejects.toMatchObject({ code: 'postgresql_cdc.wal_level' })
      await input.close()
    } finally {
      await replica.stop()
    }
  }, 60_000)
})
