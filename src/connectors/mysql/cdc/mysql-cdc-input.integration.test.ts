/**
 * The `mysql_cdc` input against a throwaway MariaDB with a ROW binlog (test/mariadb-binlog-instance.ts):
 * change events and their values (the same as the batch `mysql` input reads), table patterns, DDL,
 * every way to start, resume from every position of a run, a purged position, a killed connection.
 */
import type mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { configure, inputContext, readAll } from '../../../../test/component-harness.js'
import { mariadbBinlogSupport, startMariadbBinlogInstance, type MariadbBinlogInstance } from '../../../../test/mariadb-binlog-instance.js'
import type { InputBatch, Position } from '../../../core/batch.js'
import { silentLogger, type Input, type InputContext } from '../../../core/component.js'
import { FatalError } from '../../../core/errors.js'
import { rowToObject, type JsonObject, type Row, type Value } from '../../../core/schema.js'
import { mysqlInput } from '../index.js'
import { mysqlCdcInput } from './mysql-cdc-input.js'

const binlog = mariadbBinlogSupport()
const FAST_RETRY = { maxRetries: 5, initialDelayMs: 50, maxDelayMs: 500, multiplier: 2 }

describe.skipIf(!binlog.available)(`mysql_cdc input (${binlog.reason})`, () => {
  let db: MariadbBinlogInstance
  let admin: mysql.Connection
  const open: Input[] = []

  beforeAll(async () => {
    db = await startMariadbBinlogInstance()
    admin = await db.admin()
    await admin.query('CREATE DATABASE shop CHARACTER SET utf8mb4; CREATE DATABASE other')
  })

  afterAll(async () => {
    for (const input of open) await input.close().catch(() => undefined)
    await admin?.end()
    await db?.stop()
  })

  function connection(): JsonObject {
    return { host: db.host, port: db.port, database: 'shop', username: db.cdcUser.username, password: db.cdcUser.password }
  }

  /** A mysql_cdc input, opened; closed after the suite if the test does not. */
  async function cdc(config: Record<string, unknown>, context: Partial<InputContext> = {}): Promise<Input> {
    const parsed = configure(mysqlCdcInput, { connection: connection(), ...config })
    const input = mysqlCdcInput.create(parsed, inputContext({ batchSize: 1000, lingerMs: 5, retry: FAST_RETRY, ...context }))
    open.push(input)
    await input.open()
    return input
  }

  /** Batches until `rows` change rows arrived (empty batches included), failing after `timeoutMs`. */
  async function readRows(input: Input, rows: number, timeoutMs = 15_000): Promise<InputBatch[]> {
    const batches: InputBatch[] = []
    let count = 0
    const deadline = Date.now() + timeoutMs
    while (count < rows) {
      const batch = await Promise.race([input.read(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now())))])
      if (batch === 'timeout') throw new Error(`timed out with ${count} of ${rows} rows`)
      if (batch === null) throw new Error(`input ended with ${count} of ${rows} rows`)
      batches.push(batch)
      count += batch.rows.length
    }
    return batches
  }

  /** Nothing more within `ms` (a position-only batch is fine). */
  async function expectNoMoreRows(input: Input, ms = 300): Promise<void> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const batch = await Promise.race([input.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now()))])
      if (batch !== null) expect(batch.rows).toEqual([])
    }
  }

  function changes(batches: InputBatch[]): Record<string, Value>[] {
    return batches.flatMap((batch) => batch.rows.map((row) => rowToObject(batch.schema, row)))
  }

  async function masterStatus(): Promise<{ file: string; position: number; gtid: string }> {
    const [[status]] = (await admin.query('SHOW MASTER STATUS')) as unknown as [[{ File: string; Position: string }]]
    const [[{ gtid }]] = (await admin.query('SELECT @@gtid_binlog_pos AS gtid')) as unknown as [[{ gtid: string }]]
    return { file: status.File, position: Number(status.Position), gtid }
  }

  test('inserts, updates and deletes of several tables become change events, with the values the mysql input reads', async () => {
    await admin.query(`CREATE TABLE shop.typed (
      id INT PRIMARY KEY, u BIGINT UNSIGNED, big BIGINT, d DECIMAL(12,3), dt DATETIME(6), ts TIMESTAMP(6) NULL, day DATE,
      j JSON, b BLOB, s VARCHAR(50) CHARACTER SET utf8mb4, f FLOAT, dbl DOUBLE, flag BOOLEAN, bits BIT(5), e ENUM('a','b'),
      t TIME(3), n INT NULL, bin BINARY(4), uid UUID, y YEAR)`)
    await admin.query('CREATE TABLE shop.notes (id BIGINT PRIMARY KEY, body TEXT)')
    const input = await cdc({ tables: ['typed', 'notes'] })
    await admin.query(`INSERT INTO shop.typed VALUES
      (1, 18446744073709551615, -9223372036854775808, -12.500, '2024-02-29 23:59:59.123456', '2024-01-02 03:04:05.5', '2024-12-31',
       '{"a":[1,2,{"b":null}],"big":12345678901234567890,"s":"x"}', X'00ff10', 'héllo 😀 wörld', 1.1, 3.141592653589793, TRUE, b'10101', 'b',
       '23:59:58.250', NULL, X'0102', '1B0C5F2E-6D3A-11EE-B962-0242AC120002', 2024),
      (2, 0, 42, 0.000, '0001-01-01 00:00:00', '1970-01-01 00:00:01', '0001-01-01', 'null', '', '', -0.25, -1e300, FALSE, b'0', 'a',
       '00:00:00', 7, X'00000000', NULL, 1901)`)
    await admin.query(`INSERT INTO shop.typed (id) VALUES (3)`)
    const batchRows = (await readAll(mysqlInput.create(configure(mysqlInput, { connection: { ...connection(), username: 'root', password: '' }, query: { table: 'typed' } }), inputContext()))).rows

    await admin.query("BEGIN; INSERT INTO shop.notes VALUES (10, 'first'); UPDATE shop.typed SET s = 'changed', n = NULL WHERE id = 1; DELETE FROM shop.typed WHERE id = 3; INSERT INTO shop.notes VALUES (11, NULL); COMMIT")
    await admin.query('UPDATE shop.notes SET id = 12 WHERE id = 11')

    const batches = await readRows(input, 3 + 4 + 2)
    const events = changes(batches)
    // The inserts: the very values the batch input reads.
    expect(batches[0].schema.columns.slice(6).map((c) => [c.name, c.type])).toEqual([
      ['id', 'int'], ['u', 'decimal'], ['big', 'bigint'], ['d', 'decimal'], ['dt', 'timestamp'], ['ts', 'timestamptz'], ['day', 'date'],
      ['j', 'json'], ['b', 'bytes'], ['s', 'string'], ['f', 'float'], ['dbl', 'float'], ['flag', 'bool'], ['bits', 'bigint'], ['e', 'string'],
      ['t', 'time'], ['n', 'int'], ['bin', 'bytes'], ['uid', 'uuid'], ['y', 'int'],
    ])
    expect(batches[0].schema.primaryKey).toEqual(['id'])
    const inserted = batches[0].rows.map((row) => row.slice(6))
    expect(inserted).toEqual(batchRows)
    expect(events[0]).toMatchObject({ __op: 'insert', __source: 'shop.typed', __key: { id: 1 }, __before: null, u: '18446744073709551615', s: 'héllo 😀 wörld', f: 1.1 })
    expect(events[0].__commit_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(events[0].j).toEqual({ a: [1, 2, { b: null }], big: 12345678901234567000, s: 'x' })
    expect(events[2]).toMatchObject({ __op: 'insert', id: 3, u: null, d: null, j: null, s: null })

    // One transaction over two tables, in binlog order; then a key change as a delete and an insert.
    expect(events.slice(3).map((e) => [e.__op, e.__source, e.__key])).toEqual([
      ['insert', 'shop.notes', { id: 10 }],
      ['update', 'shop.typed', { id: 1 }],
      ['delete', 'shop.typed', { id: 3 }],
      ['insert', 'shop.notes', { id: 11 }],
      ['delete', 'shop.notes', { id: 11 }],
      ['insert', 'shop.notes', { id: 12 }],
    ])
    const update = events[4]
    expect(update).toMatchObject({ s: 'changed', n: null, id: 1, u: '18446744073709551615' })
    expect(update.__before).toMatchObject({ id: 1, s: 'héllo 😀 wörld', n: null, b: Buffer.from([0, 0xff, 0x10]).toString('base64'), big: '-9223372036854775808' })
    expect(events[5]).toMatchObject({ __op: 'delete', id: 3, __before: { id: 3, s: null } })
    expect(events[7]).toMatchObject({ __op: 'delete', id: 11n, body: null })
    expect(events[8]).toMatchObject({ __op: 'insert', id: 12n, body: null, __before: null })
    // A batch holds one table; the transaction's four changes make three batches.
    for (const batch of batches) expect(new Set(changes([batch]).map((e) => e.__source)).size).toBeLessThanOrEqual(1)
    await input.close()
  })

  test('with binlog_row_metadata=FULL (zongji decodes from the event itself): the same values, and DDL', async () => {
    await admin.query("SET GLOBAL binlog_row_metadata = 'FULL'")
    try {
      await admin.query(`CREATE TABLE shop.full_meta (id BIGINT UNSIGNED PRIMARY KEY, d DECIMAL(30,10), dt DATETIME(3), ts TIMESTAMP NULL,
        j JSON, s VARCHAR(30) CHARACTER SET utf8mb4, latin VARCHAR(30) CHARACTER SET latin1, e ENUM('x,y','z'), flag TINYINT(1), f FLOAT)`)
      const input = await cdc({ tables: ['full_meta'] })
      await admin.query(`INSERT INTO shop.full_meta VALUES (18446744073709551615, -12345678901234567890.0123456789, '2024-01-02 03:04:05.678', '2038-01-19 03:14:07',
        '[1, "two", {"three": 3.5}]', 'ü 😀', 'café', 'x,y', 1, 0.3), (1, NULL, NULL, NULL, NULL, NULL, NULL, 'z', 0, NULL)`)
      const inserted = await readRows(input, 2)
      const batchRows = (await readAll(mysqlInput.create(configure(mysqlInput, { connection: { ...connection(), username: 'root', password: '' }, query: { table: 'full_meta' } }), inputContext()))).rows
      const byId = (rows: Row[]): Row[] => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])))
      expect(byId(inserted[0].rows.map((row) => row.slice(6)))).toEqual(byId(batchRows))
      await admin.query("ALTER TABLE shop.full_meta ADD COLUMN note VARCHAR(10) AFTER id; UPDATE shop.full_meta SET note = 'n' WHERE id = 1")
      const updated = changes(await readRows(input, 1))
      expect(updated).toMatchObject([{ __op: 'update', id: '1', note: 'n', e: 'z', flag: false, __before: { id: '1', note: null } }])
      await input.close()
    } finally {
      await admin.query("SET GLOBAL binlog_row_metadata = 'NO_LOG'")
    }
  })

  test('tables and exclude_tables choose the tables; other databases stay out', async () => {
    await admin.query('CREATE TABLE shop.keep_a (id INT PRIMARY KEY); CREATE TABLE shop.keep_b (id INT PRIMARY KEY); CREATE TABLE shop.skip_tmp (id INT PRIMARY KEY); CREATE TABLE other.keep_a (id INT PRIMARY KEY)')
    const input = await cdc({ tables: ['shop.keep_*', 'skip_tmp'], exclude_tables: ['shop.*_tmp'] })
    await admin.query('INSERT INTO shop.skip_tmp VALUES (1); INSERT INTO other.keep_a VALUES (1); INSERT INTO shop.keep_a VALUES (1); INSERT INTO shop.keep_b VALUES (2)')
    const events = changes(await readRows(input, 2))
    expect(events.map((e) => [e.__source, e.id])).toEqual([
      ['shop.keep_a', 1],
      ['shop.keep_b', 2],
    ])
    await expectNoMoreRows(input)
    await input.close()
  })

  test('ALTER TABLE ADD COLUMN mid-stream: the changes after it have the new column', async () => {
    await admin.query('CREATE TABLE shop.evolving (id INT PRIMARY KEY, name VARCHAR(20))')
    const input = await cdc({ tables: ['evolving'] })
    await admin.query("INSERT INTO shop.evolving VALUES (1, 'one')")
    const before = await readRows(input, 1)
    await admin.query("ALTER TABLE shop.evolving ADD COLUMN score DECIMAL(5,1) DEFAULT 0.5; INSERT INTO shop.evolving VALUES (2, 'two', 9.5); UPDATE shop.evolving SET score = 1.5 WHERE id = 1")
    const after = await readRows(input, 2)
    expect(before[0].schema.columns.map((c) => c.name).slice(6)).toEqual(['id', 'name'])
    const last = after[after.length - 1]
    expect(last.schema.columns.map((c) => c.name).slice(6)).toEqual(['id', 'name', 'score'])
    expect(changes(after)).toMatchObject([
      { __op: 'insert', id: 2, name: 'two', score: '9.5' },
      { __op: 'update', id: 1, score: '1.5', __before: { id: 1, name: 'one', score: '0.5' } },
    ])
    await input.close()
  })

  test('start: latest, earliest, a GTID, a file and position', async () => {
    await admin.query('CREATE TABLE shop.starts (id INT PRIMARY KEY)')
    await admin.query('INSERT INTO shop.starts VALUES (1)')
    const middle = await masterStatus()
    await admin.query('INSERT INTO shop.starts VALUES (2)')
    const latest = await cdc({ tables: ['starts'] })
    await admin.query('INSERT INTO shop.starts VALUES (3)')

    const ids = async (input: Input, count: number): Promise<Value[]> => changes(await readRows(input, count)).map((e) => e.id)
    expect(await ids(latest, 1)).toEqual([3])
    const earliest = await cdc({ tables: ['starts'], start: 'earliest' })
    expect(await ids(earliest, 3)).toEqual([1, 2, 3])
    const byGtid = await cdc({ tables: ['starts'], start: { gtid: middle.gtid } })
    expect(await ids(byGtid, 2)).toEqual([2, 3])
    const byFile = await cdc({ tables: ['starts'], start: { file: middle.file, position: middle.position } })
    expect(await ids(byFile, 2)).toEqual([2, 3])
    for (const input of [latest, earliest, byGtid, byFile]) await expectNoMoreRows(input, 100)
    for (const input of [latest, earliest, byGtid, byFile]) await input.close()
  })

  test('resumed from the position of any batch, a run reads exactly the rest: by GTID and by file and offset', async () => {
    await admin.query('CREATE TABLE shop.resumed (id INT PRIMARY KEY, t VARCHAR(10)); CREATE TABLE shop.resumed_too (id INT PRIMARY KEY)')
    const start = await masterStatus()
    // A large transaction over two tables, small ones, and a DDL between them.
    const big = Array.from({ length: 40 }, (_, i) => `INSERT INTO shop.resumed VALUES (${i}, 'big'); INSERT INTO shop.resumed_too VALUES (${i})`).join('; ')
    await admin.query(`BEGIN; ${big}; COMMIT`)
    await admin.query("INSERT INTO shop.resumed VALUES (100, 'small'); ALTER TABLE shop.resumed ADD COLUMN extra INT; INSERT INTO shop.resumed VALUES (101, 'small', 1)")
    await admin.query(`BEGIN; ${Array.from({ length: 25 }, (_, i) => `INSERT INTO shop.resumed VALUES (${200 + i}, 'b2', ${i})`).join('; ')}; UPDATE shop.resumed SET t = 'u' WHERE id < 5; COMMIT`)
    const total = 80 + 2 + 25 + 5
    const key = (e: Record<string, Value>): string => `${e.__source}:${e.__op}:${e.id}:${e.t}`
    const config = { tables: ['resumed', 'resumed_too'], start: { file: start.file, position: start.position } }

    const first = await cdc(config, { batchSize: 7 })
    const batches = await readRows(first, total)
    await first.close()
    const all = changes(batches).map(key)
    expect(all).toHaveLength(total)
    expect(new Set(all).size).toBe(total)
    expect(batches.some((b) => (b.position as JsonObject).skip !== undefined)).toBe(true)

    for (const byGtid of [true, false]) {
      for (let i = 0; i < batches.length; i += 3) {
        const stored = batches[i].position as JsonObject
        const position: Position = byGtid ? stored : Object.fromEntries(Object.entries(stored).filter(([k]) => k !== 'gtid'))
        const resumed = await cdc(config, { batchSize: 11, resumeFrom: position })
        const seen = changes(batches.slice(0, i + 1)).length
        const rest = seen === total ? [] : await readRows(resumed, total - seen)
        expect(changes(rest).map(key), `resumed from batch ${i} ${JSON.stringify(position)}`).toEqual(all.slice(seen))
        await expectNoMoreRows(resumed, 50)
        await resumed.close()
      }
    }
  }, 120_000)

  test('a purged position fails with mysql_cdc.position_lost', async () => {
    await admin.query('CREATE TABLE shop.purged (id INT PRIMARY KEY)')
    const old = await masterStatus()
    await admin.query('INSERT INTO shop.purged VALUES (1); FLUSH BINARY LOGS')
    await admin.query('INSERT INTO shop.purged VALUES (2); FLUSH BINARY LOGS')
    const current = await masterStatus()
    // The server keeps files that a replication thread still reads (a closed input's thread may take a
    // moment to end) or that crash recovery still needs: purge until it has.
    for (const input of open.splice(0)) await input.close()
    const deadline = Date.now() + 10_000
    for (;;) {
      await admin.query(`PURGE BINARY LOGS TO '${current.file}'`)
      const [logs] = (await admin.query('SHOW BINARY LOGS')) as unknown as [{ Log_name: string }[]]
      if (!logs.some((l) => l.Log_name === old.file)) break
      if (Date.now() > deadline) throw new Error(`${old.file} was not purged: ${logs.map((l) => l.Log_name).join(', ')}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    const byFile = mysqlCdcInput.create(configure(mysqlCdcInput, { connection: connection() }), inputContext({ resumeFrom: { file: old.file, offset: old.position } }))
    await expect(byFile.open()).rejects.toMatchObject({ code: 'mysql_cdc.position_lost' })
    await byFile.close()

    const byGtid = await cdc({ tables: ['purged'] }, { resumeFrom: { file: old.file, offset: old.position, gtid: old.gtid } })
    const error = await byGtid.read().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(FatalError)
    expect(error).toMatchObject({ code: 'mysql_cdc.position_lost' })
    await byGtid.close()
  })

  test('a killed replication thread: the input reconnects and continues, nothing lost or repeated', async () => {
    await admin.query('CREATE TABLE shop.killed (id INT PRIMARY KEY)')
    const warnings: string[] = []
    const input = await cdc({ tables: ['killed'] }, { logger: { ...silentLogger, warn: (message) => warnings.push(message) } })
    await admin.query('INSERT INTO shop.killed VALUES (1), (2)')
    const seen = changes(await readRows(input, 2)).map((e) => e.id)
    for (let round = 0; round < 2; round++) {
      const [threads] = (await admin.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'cdc'")) as unknown as [{ ID: number }[]]
      expect(threads.length).toBeGreaterThan(0)
      for (const { ID } of threads) await admin.query(`KILL ${ID}`)
      await admin.query(`INSERT INTO shop.killed VALUES (${10 + round * 2}); INSERT INTO shop.killed VALUES (${11 + round * 2})`)
      seen.push(...changes(await readRows(input, 2)).map((e) => e.id))
    }
    expect(seen).toEqual([1, 2, 10, 11, 12, 13])
    expect(warnings.filter((w) => /connection.*lost.*reconnecting in \d+ms \(attempt 1\/5\)/i.test(w))).toHaveLength(2)
    await expectNoMoreRows(input)
    await input.close()
  })

  test('a server restart: reconnection gives up after max_retries with mysql_cdc.connection_lost, the next read starts again', async () => {
    await admin.query('CREATE TABLE shop.restarted (id INT PRIMARY KEY)')
    // No retries: whether a restart outlasts a few short retries depends on the machine's load (a
    // fast restart let them succeed under CI), while giving up at the first loss is certain.
    const input = await cdc({ tables: ['restarted'] }, { retry: { maxRetries: 0, initialDelayMs: 50, maxDelayMs: 100, multiplier: 2 } })
    await admin.query('INSERT INTO shop.restarted VALUES (1)')
    const seen = changes(await readRows(input, 1)).map((e) => e.id)
    await admin.end()
    await db.restart()
    admin = await db.admin()
    await admin.query('INSERT INTO shop.restarted VALUES (2), (3)')
    // What the engine does: a transient error from read() is retried after a backoff.
    const codes: string[] = []
    const deadline = Date.now() + 20_000
    while (seen.length < 3 && Date.now() < deadline) {
      try {
        const batch = await input.read()
        seen.push(...changes(batch ? [batch] : []).map((e) => e.id))
      } catch (error) {
        codes.push((error as { code?: string }).code ?? String(error))
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    expect(seen).toEqual([1, 2, 3])
    expect(new Set(codes)).toEqual(new Set(['mysql_cdc.connection_lost']))
    await input.close()
  }, 60_000)

  test('a trickle is delivered within milliseconds; a burst in full batches of one table', async () => {
    await admin.query('CREATE TABLE shop.trickle (id INT PRIMARY KEY)')
    const input = await cdc({ tables: ['trickle'] }, { batchSize: 50, lingerMs: 5 })
    const started = Date.now()
    await admin.query('INSERT INTO shop.trickle VALUES (1)')
    await readRows(input, 1)
    expect(Date.now() - started).toBeLessThan(1000)
    await admin.query(`INSERT INTO shop.trickle VALUES ${Array.from({ length: 120 }, (_, i) => `(${i + 2})`).join(', ')}`)
    const batches = await readRows(input, 120)
    expect(batches.map((b) => b.rows.length)).toEqual([50, 50, 20])
    // Inside the transaction: its start and the changes delivered; after the commit, a boundary.
    expect((batches[0].position as JsonObject).skip).toBe(50)
    expect((batches[2].position as JsonObject).skip).toBeUndefined()
    await input.close()
  })

  test('a server without a ROW binlog is refused with what to set', async () => {
    await admin.query("SET GLOBAL binlog_format = 'MIXED'")
    try {
      const input = mysqlCdcInput.create(configure(mysqlCdcInput, { connection: connection() }), inputContext())
      await expect(input.open()).rejects.toMatchObject({ code: 'mysql_cdc.binlog_format' })
      await input.close()
    } finally {
      await admin.query("SET GLOBAL binlog_format = 'ROW'")
    }
  })
})

export type { Row }
