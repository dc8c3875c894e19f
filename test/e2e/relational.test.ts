/**
 * The relational connectors as users meet them: `fustor run` copying between the machine's MariaDB
 * and PostgreSQL (and SQLite files), in every write mode, every type of the mapping round-tripped
 * MySQL -> PostgreSQL -> MySQL and compared value by value, a kill -9 in the middle of a copy then
 * `--resume` (no row missing, none twice: count and checksum), a bad row in the dead-letter output,
 * parallel ranges, incremental runs, discovery and preview, and the errors of a wrong table or host.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SERVICES, service } from '../services.js'
import { fustor, start, workspace } from './cli-harness.js'

const postgres = await service('postgresql')
const mariadb = await service('mariadb')
const DATABASE = `fustor_e2e_${process.pid}`

let dir: string
let pgClient: pg.Client
let my: mysql.Connection

const pgConnection = `{ host: ${SERVICES.postgresql.host}, port: ${SERVICES.postgresql.port}, database: ${DATABASE}, username: postgres }`
const myConnection = `{ host: ${SERVICES.mariadb.host}, port: ${SERVICES.mariadb.port}, database: ${DATABASE}, username: root }`

async function run(name: string, yaml: string, args: string[] = []) {
  writeFileSync(join(dir, name), yaml)
  return fustor(['run', '--progress', 'none', ...args, name], { cwd: dir })
}

function jsonLines(file: string): unknown[] {
  return readFileSync(join(dir, file), 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown)
}

describe.skipIf(!postgres.available || !mariadb.available)(`relational pipelines (${postgres.reason}, ${mariadb.reason})`, () => {
  beforeAll(async () => {
    dir = workspace('fustor-relational-')
    const admin = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: 'postgres' })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`)
    await admin.query(`CREATE DATABASE ${DATABASE}`)
    await admin.end()
    pgClient = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: DATABASE })
    await pgClient.connect()
    my = await mysql.createConnection({ ...SERVICES.mariadb, user: 'root', multipleStatements: true })
    await my.query(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4; USE ${DATABASE}`)
  })

  afterAll(async () => {
    await pgClient?.end()
    // FUSTOR_TEST_KEEP=1 keeps the databases to look at after a failure.
    if (process.env.FUSTOR_TEST_KEEP === '1') return
    const admin = new pg.Client({ ...SERVICES.postgresql, user: 'postgres', database: 'postgres' })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    await admin.end()
    await my?.query(`DROP DATABASE IF EXISTS ${DATABASE}`)
    await my?.end()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('every type round-trips MySQL -> PostgreSQL -> MySQL, value by value', async () => {
    await my.query(`CREATE TABLE types_src (
      id INT PRIMARY KEY, d65 DECIMAL(65,30), ubig BIGINT UNSIGNED, sbig BIGINT, dt6 DATETIME(6), ts6 TIMESTAMP(6) NULL DEFAULT NULL,
      d DATE, zd DATE, t TIME(6), j JSON, b LONGBLOB, bit1 BIT(1), flag TINYINT(1), e ENUM('red','green','blue'), st SET('a','b','c'),
      u UUID, txt VARCHAR(100), big LONGTEXT, f DOUBLE, small SMALLINT
    ) CHARACTER SET utf8mb4`)
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    await my.query(`SET SESSION sql_mode = ''`)
    await my.query(
      `INSERT INTO types_src VALUES
      (1, '12345678901234567890123456789012345.123456789012345678901234567891', 18446744073709551615, -9223372036854775808, '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.499999',
       '1000-01-01', '0000-00-00', '13:45:10.123456', '{"b": [1, 2.5, "ü😀"], "a": {"nested": null}}', ?, b'1', 1, 'green', 'a,c',
       '123e4567-e89b-12d3-a456-426614174000', 'emoji 😀 tab\\t nl\\n quote" back\\\\', ?, 1.5e300, -32768),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (3, '-0.000000000000000000000000000001', 0, 9223372036854775807, '1970-01-01 00:00:00', '1970-01-01 00:00:01', '2024-02-29', '2024-02-29', '00:00:00',
       '[]', '', b'0', 0, 'red', '', '00000000-0000-0000-0000-000000000000', '', '', -0.25, 32767)`,
      [everyByte, 'x'.repeat(1 << 20)],
    )
    await my.query(`SET SESSION sql_mode = DEFAULT`)
    await my.query('CREATE TABLE types_back LIKE types_src')

    const there = await run(
      'types-there.yaml',
      `input:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    query: { table: types_src }\noutput:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    write: { table: types_pg, mode: upsert }\n    create_table: true\n`,
    )
    expect(there.stderr).toMatch(/^done in /m)
    expect(there.code).toBe(0)
    const back = await run(
      'types-back.yaml',
      `input:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    query: { table: types_pg }\noutput:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    write: { table: types_back, mode: insert }\n`,
    )
    expect(back.stderr).toMatch(/^done in /m)
    expect(back.code).toBe(0)

    // The three tables read through Fustor as JSON Lines: the same values (JSON objects compared as values).
    for (const [name, type, connection, table] of [
      ['src', 'mysql', myConnection, 'types_src'],
      ['pg', 'postgresql', pgConnection, 'types_pg'],
      ['back', 'mysql', myConnection, 'types_back'],
    ] as const) {
      const exported = await run(`export-${name}.yaml`, `input:\n  type: ${type}\n  config:\n    connection: ${connection}\n    query: { table: ${table} }\noutput:\n  type: jsonl\n  config: { path: ${name}.jsonl, decimals_as_strings: true }\n`)
      expect(exported.code, exported.stderr).toBe(0)
    }
    const source = jsonLines('src.jsonl') as Record<string, unknown>[]
    expect(source).toHaveLength(3)
    expect(source[0].zd).toBeNull() // the zero date, read as NULL (zero_dates: null)
    expect(source[0].ubig).toBe('18446744073709551615')
    expect(source[0].d65).toBe('12345678901234567890123456789012345.123456789012345678901234567891')
    expect(Object.values(source[1]).filter((value) => value !== null)).toEqual([2])
    expect(jsonLines('pg.jsonl')).toEqual(source)
    expect(jsonLines('back.jsonl')).toEqual(source)
    // And in MariaDB itself, byte for byte where JSON is not involved.
    const columns = 'id, d65, ubig, sbig, dt6, ts6, d, t, HEX(b), bit1 + 0, flag, e, st, u, txt, MD5(big), f, small'
    const [srcRows] = await my.query(`SELECT ${columns} FROM types_src ORDER BY id`)
    const [backRows] = await my.query(`SELECT ${columns} FROM types_back ORDER BY id`)
    expect(backRows).toEqual(srcRows)
  }, 120_000)

  test('each write mode, idempotent where it should be, in PostgreSQL, MariaDB and SQLite', async () => {
    writeFileSync(join(dir, 'people.csv'), 'id,name,score\n1,Ada,10.5\n2,Alan,7.25\n2,Alan T,8.00\n3,Grace,9.00\n')
    await pgClient.query('CREATE TABLE people (id int PRIMARY KEY, name text, score numeric(5,2), note text DEFAULT \'kept\')')
    await my.query("CREATE TABLE people (id INT PRIMARY KEY, name TEXT, score DECIMAL(5,2), note VARCHAR(10) DEFAULT 'kept')")
    const targets = [
      ['postgresql', pgConnection],
      ['mysql', myConnection],
      ['sqlite', `{ path: people.db }`],
    ] as const
    const read = async (type: string): Promise<unknown[]> => {
      if (type === 'postgresql') return (await pgClient.query('SELECT id, name, score::text AS score, note FROM people ORDER BY id')).rows
      if (type === 'mysql') return ((await my.query('SELECT id, name, CAST(score AS CHAR) AS score, note FROM people ORDER BY id')) as unknown as [unknown[]])[0]
      const exported = await run('people-sqlite.yaml', 'input:\n  type: sqlite\n  config:\n    connection: { path: people.db }\n    query: { table: people }\noutput:\n  type: jsonl\n  config: { path: people-sqlite.jsonl, decimals_as_strings: true }\n')
      expect(exported.code, exported.stderr).toBe(0)
      return jsonLines('people-sqlite.jsonl')
    }
    for (const [type, connection] of targets) {
      const write = (mode: string, extra = '') =>
        run(`people-${type}-${mode}.yaml`, `input:\n  type: csv\n  config: { path: people.csv, columns: [{ name: id, type: int }, { name: name, type: string }, { name: score, type: "decimal(5,2)" }] }\noutput:\n  type: ${type}\n  config:\n    connection: ${connection}\n    write: { table: people, mode: ${mode} }\n${extra}`)
      if (type === 'sqlite') {
        const created = await write('upsert', '    create_table: true\n    conflict: { key: id }\n')
        expect(created.code, created.stderr).toBe(0)
      }
      for (const mode of ['upsert', 'merge', 'replace']) {
        // Twice: the same table each time (idempotent), the last row of duplicate key 2 winning.
        for (let i = 0; i < 2; i++) {
          const result = await write(mode)
          expect(result.code, `${type} ${mode}: ${result.stderr}`).toBe(0)
          const rows = (await read(type)) as { id: number; name: string; score: string }[]
          expect(rows.map((row) => [Number(row.id), row.name, String(row.score)]), `${type} ${mode}`).toEqual([
            [1, 'Ada', '10.50'],
            [2, 'Alan T', '8.00'],
            [3, 'Grace', '9.00'],
          ])
        }
      }
      const inserted = await write('insert', '    pre_sql: DELETE FROM people WHERE id = 1\n')
      // insert of existing keys 2 and 3 fails for those rows only (dead-letter), id 1 goes in again
      expect(inserted.code, inserted.stderr).toBe(1)
      expect(inserted.stderr).toMatch(/error limit|error_limit/)
    }
  }, 120_000)

  test('a row the database refuses lands in the dead-letter output, the rest in the table', async () => {
    await pgClient.query('CREATE TABLE strict_users (id int PRIMARY KEY, name varchar(5) NOT NULL, age int CHECK (age >= 0))')
    writeFileSync(join(dir, 'strict.csv'), 'id,name,age\n1,Ada,36\n2,Bartholomew,40\n3,Cy,-1\n4,Dee,50\n5,Eve,x\n6,Flo,60\n')
    const result = await run(
      'strict.yaml',
      `input:\n  type: csv\n  config: { path: strict.csv, columns: [{ name: id, type: int }, { name: name, type: string }, { name: age, type: string }] }\noutput:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    write: { table: strict_users }\nsettings:\n  error_limit: 10\n  dead_letter: { type: jsonl, config: { path: strict-rejected.jsonl } }\n`,
    )
    expect(result.code, result.stderr).toBe(0)
    const { rows } = await pgClient.query('SELECT id FROM strict_users ORDER BY id')
    expect(rows.map((row) => row.id)).toEqual([1, 4, 6])
    const rejected = jsonLines('strict-rejected.jsonl') as { record: { id: number }; error_message: string; component: string }[]
    expect(rejected.map((r) => r.record.id).sort()).toEqual([2, 3, 5])
    const reasons = rejected.map((r) => r.error_message).join('\n')
    expect(reasons).toMatch(/too long|character varying\(5\)/)
    expect(reasons).toMatch(/check constraint/)
    expect(reasons).toMatch(/"x"|x.*int/)
  })

  test('MariaDB -> PostgreSQL gives the same table and the same refused rows whether rows pass as COPY text or as values', async () => {
    // Without processors the MySQL rows go to COPY as text (docs/ARCHITECTURE.md D26), integers into
    // wider columns included (qty INT -> bigint, amount INT -> numeric(8,2)); a filter that
    // keeps every row makes them values first. Both must land the same rows, and refuse the same ones.
    await my.query(`CREATE TABLE text_src (
      id INT PRIMARY KEY, name VARCHAR(50), flag TINYINT(1), big BIGINT UNSIGNED, price DECIMAL(12,3), ratio DOUBLE,
      day DATE, at DATETIME(6), at_utc TIMESTAMP(3) NULL, clock TIME(2), doc JSON, raw VARBINARY(20), kind ENUM('a','b c'), uid UUID,
      qty INT, amount INT)`)
    await my.query("SET SESSION sql_mode = ''")
    await my.query(
      `INSERT INTO text_src VALUES
        (1, 'tab\\there\\nnewline \\\\ 😀', 1, 18446744073709551615, -12.5, 0.1, '2024-02-29', '2024-02-29 13:45:10.000500', '2024-06-01 12:00:00.250', '23:59:59.99', '{"a": [1, "é"]}', X'00090A5C', 'b c', '123e4567-e89b-12d3-a456-426614174000', 2147483647, -5),
        (2, 'far too long for the target column', 0, 0, 0, -1e300, '0000-00-00', '2024-05-00 00:00:00', NULL, '00:00:00', '[]', X'', 'a', NULL, 0, 0),
        (3, NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, '', 0, 1, 999999999.999, 3.5, '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '24:00:00', 'null', X'FF', 'a', '00000000-0000-0000-0000-000000000000', -2147483648, 123456)`,
    )
    await my.query("SET SESSION sql_mode = DEFAULT")
    const columns = `id int PRIMARY KEY, name varchar(30), flag boolean, big numeric(20,0), price numeric(12,3), ratio double precision,
      day date, at timestamp(6), at_utc timestamptz(3), clock time(2), doc jsonb, raw bytea, kind text, uid uuid,
      qty bigint, amount numeric(8,2)`
    await pgClient.query(`CREATE TABLE text_a (${columns}); CREATE TABLE text_b (${columns})`)
    const yaml = (table: string, processors: string) =>
      `input:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    query: { table: text_src }\n${processors}output:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    write: { table: ${table}, mode: upsert }\nsettings:\n  batch_size: 2\n  error_limit: 5\n  dead_letter: { type: jsonl, config: { path: ${table}-rejected.jsonl } }\n`
    const asText = await run('text-a.yaml', yaml('text_a', ''), ['--log-level', 'debug'])
    expect(asText.code, asText.stderr).toBe(0)
    expect(asText.stderr).toContain('rows given as COPY text go to text_a as they are')
    const asValues = await run('text-b.yaml', yaml('text_b', 'pipeline:\n  processors:\n    - type: filter\n      config: { condition: "true" }\n'))
    expect(asValues.code, asValues.stderr).toBe(0)
    const a = (await pgClient.query('SELECT * FROM text_a ORDER BY id')).rows
    const b = (await pgClient.query('SELECT * FROM text_b ORDER BY id')).rows
    expect(a.map((row) => row.id)).toEqual([1, 3, 4])
    expect(a).toEqual(b)
    expect(a[0]).toMatchObject({ name: 'tab\there\nnewline \\ 😀', flag: true, big: '18446744073709551615', price: '-12.500', ratio: 0.1, doc: { a: [1, 'é'] }, kind: 'b c' })
    expect(a[0].raw).toEqual(Buffer.from([0, 9, 10, 0x5c]))
    expect(a[0].at_utc.toISOString()).toBe('2024-06-01T12:00:00.250Z')
    expect(a[1]).toMatchObject({ name: null, flag: true, big: null })
    expect(a[2]).toMatchObject({ clock: '24:00:00', doc: null, raw: Buffer.from([0xff]), qty: '-2147483648', amount: '123456.00' })
    expect(a[0]).toMatchObject({ qty: '2147483647', amount: '-5.00' })
    const refused = (file: string) => (jsonLines(file) as { record: { id: number; day: unknown }; error_message: string }[]).map((r) => ({ id: r.record.id, day: r.record.day, error: r.error_message.replace(/text_[ab]/, 'text_?') }))
    expect(refused('text_a-rejected.jsonl')).toEqual(refused('text_b-rejected.jsonl'))
    expect(refused('text_a-rejected.jsonl')).toEqual([{ id: 2, day: null, error: expect.stringMatching(/too long|character varying\(30\)/) }])
  })

  describe('a 300k-row MariaDB table copied to PostgreSQL', () => {
    const ROWS = 300_000
    // Count, and a sum of a hash of each row: a missing, changed or repeated row changes one of them.
    const mysqlRow = "CONCAT_WS('|', id, name, email, age, score, active, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s'))"
    const pgRow = "CONCAT_WS('|', id, name, email, age, score, active::int, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS'))"
    const checksum = {
      mysql: `SELECT COUNT(*) AS n, CAST(SUM(CONV(SUBSTR(MD5(${mysqlRow}), 1, 8), 16, 10)) AS CHAR) AS sum FROM big_users`,
      pg: `SELECT COUNT(*) AS n, SUM(('x' || SUBSTR(MD5(${pgRow}), 1, 8))::bit(32)::bigint)::text AS sum FROM big_copy`,
    }
    async function sums(): Promise<[unknown, unknown]> {
      const [[mine]] = (await my.query(checksum.mysql)) as unknown as [[{ n: number; sum: string }]]
      const { rows } = await pgClient.query(checksum.pg)
      return [{ n: Number(mine.n), sum: mine.sum }, { n: Number(rows[0].n), sum: rows[0].sum }]
    }

    beforeAll(async () => {
      const made = await run(
        'make-big.yaml',
        `input:\n  type: generate\n  config: { preset: users, count: ${ROWS}, seed: 5 }\noutput:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    write: { table: big_users }\n    create_table: true\n    conflict: { key: id }\nsettings: { batch_size: 10000 }\n`,
      )
      expect(made.code, made.stderr).toBe(0)
      await pgClient.query('CREATE TABLE big_copy (id int PRIMARY KEY, name text, email text, age int, country text, city text, score numeric(5,2), active boolean, created_at timestamp)')
    }, 120_000)

    // pre_sql empties the table: run again by the resumed run, it would lose the rows written before.
    test('kill -9 mid-copy, then --resume: every row once (count and checksum)', async () => {
      writeFileSync(
        join(dir, 'big-copy.yaml'),
        `input:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    query: { table: big_users }\n    parallelism: 2\noutput:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    write: { table: big_copy, mode: upsert, batch_size: 2000 }\n    pre_sql: TRUNCATE big_copy\nsettings: { batch_size: 1000, checkpoint_interval: 100ms }\n`,
      )
      const first = start(['run', '--progress', 'none', 'big-copy.yaml'], { cwd: dir })
      const checkpoints = join(dir, '.fustor', 'checkpoints')
      const deadline = Date.now() + 60_000
      for (;;) {
        const file = existsSync(checkpoints) ? readdirSync(checkpoints).find((name) => name.startsWith('big-copy-')) : undefined
        const written = file ? (JSON.parse(readFileSync(join(checkpoints, file), 'utf8') || '{}') as { counters?: { written: number } }).counters?.written ?? 0 : 0
        if (written > ROWS / 5) break
        if (Date.now() > deadline) throw new Error('the copy made no checkpoint in time')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      first.child.kill('SIGKILL')
      await first.done
      const { rows: partial } = await pgClient.query('SELECT COUNT(*)::int AS n FROM big_copy')
      expect(partial[0].n).toBeGreaterThan(0)
      expect(partial[0].n).toBeLessThan(ROWS)
      const resumed = await fustor(['run', '--progress', 'none', '--resume', 'big-copy.yaml'], { cwd: dir })
      expect(resumed.code, resumed.stderr).toBe(0)
      const [source, target] = await sums()
      expect(target).toEqual(source)
      expect((source as { n: number }).n).toBe(ROWS)
    }, 180_000)

    test('four parallel ranges copy the same rows as one', async () => {
      await pgClient.query('TRUNCATE big_copy')
      const result = await run(
        'big-parallel.yaml',
        `input:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    query: { table: big_users, split_key: id }\n    parallelism: 4\noutput:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    write: { table: big_copy }\n`,
      )
      expect(result.code, result.stderr).toBe(0)
      const [source, target] = await sums()
      expect(target).toEqual(source)
    }, 120_000)
  })

  test('incremental runs read only the rows above the last high-water mark', async () => {
    await pgClient.query('CREATE TABLE events (id serial PRIMARY KEY, kind text, at timestamptz DEFAULT now())')
    await pgClient.query("INSERT INTO events (kind) SELECT 'first' FROM generate_series(1, 100)")
    const yaml = `input:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    query: { table: events }\n    incremental: { column: id }\noutput:\n  type: sqlite\n  config:\n    connection: { path: events.db }\n    write: { table: events, mode: upsert }\n    conflict: { key: id }\n    create_table: true\n`
    const first = await run('events.yaml', yaml)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/read 100 rows/)
    await pgClient.query("INSERT INTO events (kind) SELECT 'second' FROM generate_series(1, 50)")
    const second = await run('events.yaml', yaml)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(/read 50 rows/)
    const nothing = await run('events.yaml', yaml)
    expect(nothing.code, nothing.stderr).toBe(0)
    expect(nothing.stderr).toMatch(/read 0 rows/)
    const all = await run('events.yaml', yaml, ['--full-refresh'])
    expect(all.stderr).toMatch(/read 150 rows/)
  })

  test('discover-schema lists tables with both types and caches them; preview shows rows after processors', async () => {
    writeFileSync(join(dir, 'discover.yaml'), `input:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    query: { table: strict_users }\npipeline:\n  processors:\n    - type: filter\n      config: { condition: "age > 40" }\noutput:\n  type: drop\n`)
    const listed = await fustor(['discover-schema', '--tables', 'strict_*', 'discover.yaml'], { cwd: dir })
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/strict_users {2}\(primary key: id\)/)
    expect(listed.stdout).toMatch(/name +string +character varying\(5\) +not null/)
    const all = await fustor(['discover-schema', '--format', 'json', 'discover.yaml'], { cwd: dir })
    expect(all.code, all.stderr).toBe(0)
    const cached = await fustor(['discover-schema', '--cached', '--format', 'json', 'discover.yaml'], { cwd: dir })
    expect(JSON.parse(cached.stdout)).toEqual(JSON.parse(all.stdout))
    const preview = await fustor(['preview', '--format', 'jsonl', 'discover.yaml'], { cwd: dir })
    expect(preview.code, preview.stderr).toBe(0)
    expect(preview.stdout.trim().split('\n').map((line) => JSON.parse(line).id)).toEqual([4, 6])
  })

  test('a missing table, a missing column and an unreachable host are named', async () => {
    const missingTable = await run('missing-table.yaml', `input:\n  type: postgresql\n  config:\n    connection: ${pgConnection}\n    query: { table: strict_user }\noutput:\n  type: drop\n`)
    expect(missingTable.code).toBe(2)
    expect(missingTable.stderr).toMatch(/missing-table\.yaml:\d+:\d+: table strict_user does not exist.*\(at input\.config\.query\.table\)\n {2}hint: did you mean strict_users\?/)
    const missingColumn = await run('missing-column.yaml', `input:\n  type: mysql\n  config:\n    connection: ${myConnection}\n    query: { table: big_users, columns: [id, nmae] }\noutput:\n  type: drop\n`)
    expect(missingColumn.code).toBe(2)
    expect(missingColumn.stderr).toMatch(/column nmae is not in table big_users.*\n {2}hint: did you mean name\?/)
    const refused = await run(
      'refused.yaml',
      `input:\n  type: postgresql\n  config:\n    connection: { host: 127.0.0.1, port: 1, database: x, username: postgres, password: s3cret-pass }\n    query: { table: t }\noutput:\n  type: drop\nsettings:\n  retry: { max_retries: 1, initial_delay: 10ms }\n`,
    )
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/127\.0\.0\.1:1/)
    expect(refused.stderr).not.toMatch(/s3cret-pass/)
  })
})
