/**
 * The MySQL driver against the machine's MariaDB: connection errors and their messages, session
 * setup, describing and listing, the write modes with their duplicate-key and bad-value behaviour,
 * and streaming: chunks, cancellation that leaves the connection usable, and backpressure that keeps
 * memory bounded under a slow consumer.
 */
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SERVICES, service } from '../../../test/services.js'
import { ConfigError, RecordError, TransientError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import type { ConnectionSettings, SqlConnection, WriteTarget } from '../../sql/driver.js'
import { mysqlDriver } from './mysql-driver.js'

const mariadb = await service('mariadb')
const DATABASE = `mysql_driver_${process.pid}_${Math.floor(Math.random() * 1e6)}`

function settings(overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  const { host, port } = SERVICES.mariadb
  return { host, port, database: DATABASE, username: 'root', password: undefined, options: {}, ssl: undefined, readOnly: false, connectTimeoutMs: 5000, ...overrides }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

const PEOPLE: Column[] = [
  { name: 'id', type: 'int' },
  { name: 'name', type: 'string' },
  { name: 'score', type: 'decimal', precision: 5, scale: 2 },
]

async function people(connection: SqlConnection, table = 'people'): Promise<Row[]> {
  return (await connection.query(`SELECT id, name, score FROM \`${table}\` ORDER BY id`)).rows
}

describe.skipIf(!mariadb.available)(`mysql driver (${mariadb.reason})`, () => {
  let connection: SqlConnection

  beforeAll(async () => {
    const admin = await mysqlDriver.connect(settings({ database: '' }))
    await admin.execute(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4`)
    await admin.close()
    connection = await mysqlDriver.connect(settings())
  })

  afterAll(async () => {
    await connection?.close()
    const admin = await mysqlDriver.connect(settings({ database: '' }))
    await admin.execute(`DROP DATABASE IF EXISTS \`${DATABASE}\``)
    await admin.close()
  })

  describe('connecting', () => {
    test('a wrong password is a ConfigError naming user and host, never the password', async () => {
      const user = `fustor_${process.pid}`
      const password = 'S3cret-Passw0rd!'
      await connection.execute(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`)
      await connection.execute(`CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'`)
      await connection.execute(`GRANT SELECT ON \`${DATABASE}\`.* TO '${user}'@'%'`)
      await connection.execute(`GRANT SELECT ON \`${DATABASE}\`.* TO '${user}'@'localhost'`)
      try {
        const ok = await mysqlDriver.connect(settings({ username: user, password }))
        await ok.close()
        const error = await failure(mysqlDriver.connect(settings({ username: user, password: 'Wr0ng-Passw0rd!' })))
        expect(error).toBeInstanceOf(ConfigError)
        expect(error).toMatchObject({ code: 'mysql.auth_failed' })
        expect(error.message).toBe(`access denied for user "${user}" at ${SERVICES.mariadb.host}:${SERVICES.mariadb.port} (wrong user name or password)`)
        const everything = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as Error).cause) + (error as ConfigError).hint
        expect(everything).not.toContain('Wr0ng-Passw0rd!')
        expect(everything).not.toContain(password)
      } finally {
        await connection.execute(`DROP USER IF EXISTS '${user}'@'%'`)
        await connection.execute(`DROP USER IF EXISTS '${user}'@'localhost'`)
      }
    })

    test('an unknown database is a ConfigError naming it', async () => {
      const error = await failure(mysqlDriver.connect(settings({ database: 'no_such_database_here' })))
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({ code: 'mysql.unknown_database', path: 'connection.database' })
      expect(error.message).toContain('"no_such_database_here"')
    })

    test('a refused port is a TransientError naming host:port; an unknown host a ConfigError naming it', async () => {
      const refused = await failure(mysqlDriver.connect(settings({ port: 1 })))
      expect(refused).toBeInstanceOf(TransientError)
      expect(refused).toMatchObject({ code: 'mysql.unreachable' })
      expect(refused.message).toContain(`${SERVICES.mariadb.host}:1`)
      const unknown = await failure(mysqlDriver.connect(settings({ host: 'no-such-host.invalid' })))
      expect(unknown).toBeInstanceOf(ConfigError)
      expect(unknown).toMatchObject({ code: 'mysql.unknown_host' })
      expect(unknown.message).toContain('"no-such-host.invalid"')
    })

    test('the session: UTC, strict, READ ONLY when asked, options as session variables', async () => {
      const { rows } = await connection.query('SELECT @@session.time_zone, @@session.sql_mode, @@session.net_write_timeout')
      expect(rows[0][0]).toBe('+00:00')
      expect(String(rows[0][1]).split(',')).toContain('STRICT_ALL_TABLES')
      expect(String(rows[0][1])).not.toContain('NO_BACKSLASH_ESCAPES')
      expect(String(rows[0][2])).toBe('600')

      // The config's session variables apply, but cannot undo UTC or the sql_mode the driver relies on.
      const tuned = await mysqlDriver.connect(settings({ options: { lock_wait_timeout: '7', sql_mode: 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES', time_zone: '+02:00' } }))
      const session = (await tuned.query('SELECT @@session.lock_wait_timeout, @@session.sql_mode, @@session.time_zone')).rows[0]
      expect(String(session[0])).toBe('7')
      expect(String(session[1]).split(',').sort()).toEqual(['ANSI_QUOTES', 'STRICT_ALL_TABLES'])
      expect(session[2]).toBe('+00:00')
      await tuned.close()
      const bad = await failure(mysqlDriver.connect(settings({ options: { no_such_variable: '1' } })))
      expect(bad).toMatchObject({ name: 'ConfigError', code: 'mysql.option_invalid', path: 'connection.options.no_such_variable' })

      await connection.execute('CREATE TABLE read_only_target (id INT PRIMARY KEY)')
      const readOnly = await mysqlDriver.connect(settings({ readOnly: true }))
      try {
        const error = await failure(readOnly.write({ table: { name: 'read_only_target' }, columns: [{ name: 'id', type: 'int' }], mode: 'insert', key: [] }, [[1]]))
        expect(error).toMatchObject({ name: 'ConfigError', code: 'mysql.read_only' })
        expect(await readOnly.query('SELECT COUNT(*) FROM read_only_target')).toMatchObject({ rows: [[0n]] })
      } finally {
        await readOnly.close()
      }
    })
  })

  describe('describing', () => {
    beforeAll(async () => {
      await connection.execute(
        "CREATE TABLE described (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, code CHAR(3) NOT NULL DEFAULT 'abc', part INT NOT NULL, doc JSON, note TEXT, PRIMARY KEY (part, id), KEY (id), KEY (code))",
      )
      await connection.execute('CREATE VIEW described_view AS SELECT id, doc FROM described')
    })

    test('describeTable: types, key in order, defaults, MariaDB JSON columns; undefined for a missing table', async () => {
      const info = await connection.describeTable({ name: 'described' })
      expect(info!.primaryKey).toEqual(['part', 'id'])
      expect(info!.columns.map((c) => [c.column.name, c.column.type, c.column.nullable ?? true, c.hasDefault, c.isInteger])).toEqual([
        ['id', 'decimal', false, true, true],
        ['code', 'string', false, true, false],
        ['part', 'int', false, false, true],
        ['doc', 'json', true, false, false],
        ['note', 'string', true, false, false],
      ])
      expect(await connection.describeTable({ schema: DATABASE, name: 'described' })).toMatchObject({ primaryKey: ['part', 'id'] })
      expect(await connection.describeTable({ name: 'no_such_table' })).toBeUndefined()
      expect((await connection.describeTable({ name: 'described_view' }))!.columns.map((c) => c.column.name)).toEqual(['id', 'doc'])
    })

    test('describeQuery: result columns without running the query; errors name the table or column', async () => {
      const columns = await connection.describeQuery('SELECT id, doc, COUNT(*) AS n, 1.5 AS x, NOW(6) AS at FROM described WHERE part > ? GROUP BY id, doc')
      expect(columns.map((c) => [c.column.name, c.column.type])).toEqual([
        ['id', 'decimal'],
        ['doc', 'json'],
        ['n', 'bigint'],
        ['x', 'decimal'],
        ['at', 'timestamp'],
      ])
      const table = await failure(connection.describeQuery('SELECT * FROM no_such_table'))
      expect(table).toMatchObject({ name: 'ConfigError', code: 'mysql.unknown_table' })
      expect(table.message).toContain(`${DATABASE}.no_such_table`)
      const column = await failure(connection.describeQuery('SELECT nmae FROM described'))
      expect(column).toMatchObject({ name: 'ConfigError', code: 'mysql.unknown_column' })
      expect(column.message).toContain('nmae')
      expect(await failure(connection.describeQuery('SELEC 1'))).toMatchObject({ name: 'ConfigError', code: 'mysql.syntax_error' })
    })

    test('listTables: tables and views of user databases, sorted, system schemas left out', async () => {
      const mine = await connection.listTables(DATABASE)
      expect(mine.map((t) => t.name)).toEqual([...mine.map((t) => t.name)].sort())
      expect(mine).toContainEqual({ schema: DATABASE, name: 'described' })
      expect(mine).toContainEqual({ schema: DATABASE, name: 'described_view' })
      const all = await connection.listTables()
      expect(all).toContainEqual({ schema: DATABASE, name: 'described' })
      expect(all.some((t) => ['mysql', 'sys', 'information_schema', 'performance_schema'].includes(t.schema!))).toBe(false)
    })

    test('query binds parameters exactly: bigints past 2^53, quotes, timestamptz as UTC', async () => {
      await connection.execute('CREATE TABLE params (id BIGINT PRIMARY KEY, name VARCHAR(20), at TIMESTAMP(6) NULL)')
      await connection.execute("INSERT INTO params VALUES (9007199254740993, 'it''s', '2024-01-01 10:00:00.5'), (9007199254740992, 'other', NULL)")
      const result = await connection.query('SELECT id, name, at FROM params WHERE id = ? AND name = ? AND at = ?', [9007199254740993n, "it's", '2024-01-01T10:00:00.5Z'])
      expect(result.rows).toEqual([[9007199254740993n, "it's", '2024-01-01T10:00:00.5Z']])
      expect(result.schema.columns.map((c) => c.type)).toEqual(['bigint', 'string', 'timestamptz'])
      expect((await connection.query("SELECT '?' AS q, ? AS p", [1])).rows).toEqual([['?', 1]])
    })
  })

  describe('writing', () => {
    const target = (mode: WriteTarget['mode'], table = 'people'): WriteTarget => ({ table: { name: table }, columns: PEOPLE, mode, key: mode === 'insert' ? [] : ['id'] })

    beforeAll(async () => {
      await connection.execute('CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(3) NOT NULL, score DECIMAL(5,2), extra INT DEFAULT 7)')
    })

    test('insert: a duplicate key (in the batch or in the table) is a RecordError and nothing is written', async () => {
      await connection.execute('DELETE FROM people')
      await connection.write(target('insert'), [
        [1, 'ann', '1.50'],
        [2, 'bob', null],
      ])
      const inBatch = await failure(connection.write(target('insert'), [
        [3, 'cid', '3.00'],
        [3, 'dan', '4.00'],
      ]))
      expect(inBatch).toBeInstanceOf(RecordError)
      expect(inBatch).toMatchObject({ code: 'mysql.duplicate_key' })
      expect(inBatch.message).toMatch(/^writing people: Duplicate entry '3'/)
      const inTable = await failure(connection.write(target('insert'), [
        [4, 'eve', '4.00'],
        [1, 'ann', '9.00'],
      ]))
      expect(inTable).toMatchObject({ name: 'RecordError', code: 'mysql.duplicate_key' })
      expect(await people(connection)).toEqual([
        [1, 'ann', '1.50'],
        [2, 'bob', null],
      ])
    })

    test('a bad value is a RecordError naming the column, and the transaction is rolled back', async () => {
      await connection.execute('DELETE FROM people')
      const tooLong = await failure(connection.write(target('insert'), [
        [1, 'ann', '1.00'],
        [2, 'bobby', '2.00'],
      ]))
      expect(tooLong).toBeInstanceOf(RecordError)
      expect(tooLong).toMatchObject({ code: 'mysql.value_rejected', column: 'name' })
      expect(tooLong.message).toContain('at row 2')

      const asText: WriteTarget = { table: { name: 'people' }, columns: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }, { name: 'extra', type: 'string' }], mode: 'insert', key: [] }
      const notAnInt = await failure(connection.write(asText, [[3, 'cid', 'abc']]))
      expect(notAnInt).toMatchObject({ name: 'RecordError', code: 'mysql.value_rejected', column: 'extra' })
      expect(notAnInt.message).toContain("'abc'")

      const missing = await failure(connection.write(target('upsert'), [[4, null, '1.00']]))
      expect(missing).toMatchObject({ name: 'RecordError', code: 'mysql.value_rejected', column: 'name' })

      const outOfRange = await failure(connection.write(target('replace'), [[5, 'eve', '1000.00']]))
      expect(outOfRange).toMatchObject({ name: 'RecordError', column: 'score' })

      const notFinite = await failure(connection.write({ ...asText, columns: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }, { name: 'score', type: 'float' }] }, [[6, 'fay', NaN]]))
      expect(notFinite).toMatchObject({ name: 'RecordError', code: 'mysql.float_not_finite', column: 'score' })
      expect(await people(connection)).toEqual([])
    })

    test.each(['upsert', 'merge'] as const)('%s: inserts or updates the written columns; the last row of a key wins; writing again changes nothing', async (mode) => {
      await connection.execute('DELETE FROM people')
      await connection.execute("INSERT INTO people (id, name, score, extra) VALUES (1, 'old', '0.00', 99)")
      const rows: Row[] = [
        [1, 'ann', '1.00'],
        [2, 'bob', '2.00'],
        [1, 'amy', '1.50'],
        [3, 'cid', null],
        [2, 'ben', '2.50'],
      ]
      await connection.write(target(mode), rows)
      const expected = [
        [1, 'amy', '1.50'],
        [2, 'ben', '2.50'],
        [3, 'cid', null],
      ]
      expect(await people(connection)).toEqual(expected)
      await connection.write(target(mode), rows)
      expect(await people(connection)).toEqual(expected)
      // Columns not written keep their values (extra of row 1), new rows get defaults.
      expect((await connection.query('SELECT id, extra FROM people ORDER BY id')).rows).toEqual([
        [1, 99],
        [2, 7],
        [3, 7],
      ])
    })

    test('upsert of key columns only inserts what is missing', async () => {
      await connection.execute('DELETE FROM people')
      await connection.execute("INSERT INTO people (id, name) VALUES (1, 'old')")
      await connection.execute('CREATE TABLE keys_only (id INT PRIMARY KEY)')
      const keys: WriteTarget = { table: { name: 'keys_only' }, columns: [{ name: 'id', type: 'int' }], mode: 'upsert', key: ['id'] }
      await connection.write(keys, [[1], [2], [1]])
      await connection.write(keys, [[2], [3]])
      expect((await connection.query('SELECT id FROM keys_only ORDER BY id')).rows).toEqual([[1], [2], [3]])
    })

    test('replace: the last row of a key wins, columns not written get their defaults', async () => {
      await connection.execute('DELETE FROM people')
      await connection.execute("INSERT INTO people (id, name, score, extra) VALUES (1, 'old', '0.00', 99)")
      const rows: Row[] = [
        [1, 'ann', '1.00'],
        [1, 'amy', '1.50'],
        [2, 'bob', '2.00'],
      ]
      await connection.write(target('replace'), rows)
      await connection.write(target('replace'), rows)
      expect((await connection.query('SELECT id, name, score, extra FROM people ORDER BY id')).rows).toEqual([
        [1, 'amy', '1.50', 7],
        [2, 'bob', '2.00', 7],
      ])
    })

    test('identifiers are quoted: backticks, spaces and reserved words in table and column names', async () => {
      await connection.execute('CREATE TABLE `odd ``table``` (`select` INT PRIMARY KEY, `my col` VARCHAR(10), `x``y` BIT(4), `where` POINT)')
      const odd: WriteTarget = {
        table: { schema: DATABASE, name: 'odd `table`' },
        columns: [
          { name: 'select', type: 'int' },
          { name: 'my col', type: 'string' },
          { name: 'x`y', type: 'bigint' },
          { name: 'where', type: 'bytes' },
        ],
        mode: 'upsert',
        key: ['select'],
      }
      const point = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex')
      await connection.write(odd, [[1, 'a', 15n, point]])
      await connection.write({ ...odd, mode: 'insert' }, [[2, 'b', 0n, point]])
      const { rows } = await connection.query('SELECT `select`, `my col`, `x``y`, `where` FROM `odd ``table``` ORDER BY 1')
      expect(rows).toEqual([
        [1, 'a', 15n, point],
        [2, 'b', 0n, point],
      ])
    })

    test('a missing table is a ConfigError naming it', async () => {
      const error = await failure(connection.write(target('insert', 'no_such_table'), [[1, 'a', null]]))
      expect(error).toMatchObject({ name: 'ConfigError', code: 'mysql.unknown_table' })
      expect(error.message).toContain(`${DATABASE}.no_such_table`)
    })

    test('a lock wait timeout is a TransientError; the row can be written once the lock is gone', async () => {
      await connection.execute('DELETE FROM people')
      await connection.execute("INSERT INTO people (id, name) VALUES (1, 'old')")
      const holder = await mysqlDriver.connect(settings())
      const waiter = await mysqlDriver.connect(settings({ options: { innodb_lock_wait_timeout: '1' } }))
      try {
        await holder.execute('START TRANSACTION')
        await holder.execute("UPDATE people SET name = 'hld' WHERE id = 1")
        const error = await failure(waiter.write(target('upsert'), [[1, 'new', null]]))
        expect(error).toBeInstanceOf(TransientError)
        expect(error).toMatchObject({ code: 'mysql.lock_timeout' })
        await holder.execute('ROLLBACK')
        await waiter.write(target('upsert'), [[1, 'new', null]])
        expect(await people(connection)).toEqual([[1, 'new', null]])
      } finally {
        await holder.close()
        await waiter.close()
      }
    })
  })

  describe('streaming', () => {
    const ROWS = 1_000_000

    beforeAll(async () => {
      await connection.execute('CREATE TABLE digits (d INT PRIMARY KEY)')
      await connection.execute('INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)')
      await connection.execute('CREATE TABLE million (id INT PRIMARY KEY, name VARCHAR(40), at DATETIME(6))')
      await connection.execute(
        "INSERT INTO million SELECT n, CONCAT('name number ', n), '2024-01-01 00:00:00' + INTERVAL n SECOND FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n FROM digits a, digits b, digits c, digits e, digits f, digits g) numbers",
      )
    }, 120_000)

    test('rows come in chunks of chunkRows, in order, with the bytes read', async () => {
      const sql = 'SELECT id, name, at FROM million WHERE id < ? ORDER BY id'
      const columns = await connection.describeQuery(sql)
      const sizes: number[] = []
      const rows: Row[] = []
      let bytes = 0
      for await (const chunk of connection.stream(sql, [25], columns, 10, { zeroDates: 'error' })) {
        sizes.push(chunk.rows.length)
        rows.push(...chunk.rows)
        bytes += chunk.bytes
      }
      expect(sizes).toEqual([10, 10, 5])
      expect(rows[24]).toEqual([24, 'name number 24', '2024-01-01T00:00:24'])
      expect(bytes).toBeGreaterThan(25 * 30)
    })

    test('breaking out of the loop stops the query; the connection stays usable', async () => {
      const reader = await mysqlDriver.connect(settings())
      const socket = (reader as unknown as { raw: { stream: Socket } }).raw.stream
      try {
        const sql = 'SELECT id, name, at FROM million ORDER BY id'
        const columns = await reader.describeQuery(sql)
        const startBytes = socket.bytesRead
        let seen = 0
        for await (const chunk of reader.stream(sql, [], columns, 1000, { zeroDates: 'error' })) {
          seen += chunk.rows.length
          if (seen >= 3000) break
        }
        expect(seen).toBe(3000)
        // Killed, not read to its end (~45 MiB): what was on its way is all that was read.
        expect(socket.bytesRead - startBytes).toBeLessThan(20 * 1024 * 1024)
        expect((await reader.query('SELECT COUNT(*) FROM digits')).rows).toEqual([[10n]])
        const running = await connection.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT id, name, at FROM million%'")
        expect(running.rows).toEqual([[0n]])
      } finally {
        await reader.close()
      }
    })

    test('an error thrown by the consumer also stops the query', async () => {
      const reader = await mysqlDriver.connect(settings())
      try {
        const sql = 'SELECT id FROM million ORDER BY id'
        const columns = await reader.describeQuery(sql)
        const consume = async () => {
          for await (const chunk of reader.stream(sql, [], columns, 500, { zeroDates: 'error' })) {
            if (chunk.rows.length > 0) throw new Error('consumer failed')
          }
        }
        await expect(consume()).rejects.toThrow('consumer failed')
        expect((await reader.query('SELECT 1')).rows).toEqual([[1]])
      } finally {
        await reader.close()
      }
    })

    test(
      'a slow consumer of 1M rows holds the server back: bounded reads ahead and memory',
      async () => {
        const reader = await mysqlDriver.connect(settings())
        const socket = (reader as unknown as { raw: { stream: Socket } }).raw.stream
        try {
          const sql = 'SELECT id, name, at FROM million ORDER BY id'
          const columns = await reader.describeQuery(sql)
          const chunkRows = 10_000
          let count = 0
          let bytesConsumed = 0
          let maxAhead = 0
          let maxHeap = 0
          const startBytes = socket.bytesRead
          for await (const chunk of reader.stream(sql, [], columns, chunkRows, { zeroDates: 'error' })) {
            count += chunk.rows.length
            bytesConsumed += chunk.bytes
            if (count % 100_000 === 0) {
              // The slow part: the reader waits while rows pile up, or not.
              await new Promise((resolve) => setTimeout(resolve, 150))
              maxAhead = Math.max(maxAhead, socket.bytesRead - startBytes - bytesConsumed)
              maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed)
            } else await new Promise((resolve) => setImmediate(resolve))
          }
          expect(count).toBe(ROWS)
          // Two chunks of ~40 bytes a row wait, and one socket read: well under 2 MiB of a ~45 MiB result.
          expect(maxAhead).toBeLessThan(2 * 1024 * 1024)
          expect(bytesConsumed).toBeGreaterThan(30 * ROWS)
          expect(maxHeap).toBeLessThan(200 * 1024 * 1024)
        } finally {
          await reader.close()
        }
      },
      120_000,
    )

    test('a connection killed mid-stream is a TransientError', async () => {
      const reader = await mysqlDriver.connect(settings())
      try {
        const sql = 'SELECT id FROM million ORDER BY id'
        const columns = await reader.describeQuery(sql)
        const { rows } = await reader.query('SELECT CONNECTION_ID()')
        const consume = async () => {
          let killed = false
          for await (const _ of reader.stream(sql, [], columns, 1000, { zeroDates: 'error' })) {
            if (!killed) {
              killed = true
              await connection.execute(`KILL CONNECTION ${rows[0][0]}`)
            }
          }
        }
        const error = await failure(consume())
        expect(error).toBeInstanceOf(TransientError)
        expect(error.message).toMatch(/lost|killed|interrupted|closed/i)
      } finally {
        await reader.close()
      }
    })
  })
})
