// Database scenarios of `npm run bench` (PRODUCT.md's bar): the 1M-row users table copied from
// MariaDB to PostgreSQL and from CSV to PostgreSQL, each beside psql `\copy` of the same data (the
// database's own speed) and, when installed, pgloader; and a 10M-row copy whose memory must stay
// under 200 MiB. They use the machine's PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB
// (127.0.0.1:3306, root) and a database `fustor_bench` in each, created here. Without them the
// scenarios are reported as skipped.
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' }
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root' }
const DATABASE = 'fustor_bench'

const USERS_COLUMNS = `id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(255) NOT NULL, age INT, country CHAR(2), city VARCHAR(100), score DECIMAL(5,2), active BOOLEAN, created_at DATETIME(0)`
const PG_USERS_COLUMNS = `id integer PRIMARY KEY, name varchar(100) NOT NULL, email varchar(255) NOT NULL, age integer, country char(2), city varchar(100), score numeric(5,2), active boolean, created_at timestamp(0)`

function psql(sql, database = DATABASE) {
  return execFileSync('psql', ['-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8' })
}

function mariadb(sql, database) {
  const args = ['-h', MARIADB.host, '-P', String(MARIADB.port), '-u', MARIADB.user, '--local-infile=1', '-N', '-e', sql]
  if (database) args.push(database)
  return execFileSync('mariadb', args, { encoding: 'utf8' })
}

function reachable(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0
}

/** The databases, the MariaDB source table and the PostgreSQL target table, once per row count. */
function prepare(rows, usersCsv) {
  if (psql(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`, 'postgres').trim() !== '1') psql(`CREATE DATABASE ${DATABASE}`, 'postgres')
  psql(`CREATE TABLE IF NOT EXISTS users_copy (${PG_USERS_COLUMNS})`)
  mariadb(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`)
  const count = mariadb(`SELECT COUNT(*) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = '${DATABASE}' AND t.TABLE_NAME = 'users'`).trim() === '1' ? Number(mariadb('SELECT COUNT(*) FROM users', DATABASE).trim()) : -1
  if (count !== rows) {
    const csv = usersCsv(rows)
    mariadb(
      `DROP TABLE IF EXISTS users; CREATE TABLE users (${USERS_COLUMNS}) CHARACTER SET utf8mb4; ` +
        `LOAD DATA LOCAL INFILE '${csv}' INTO TABLE users FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES ` +
        `(id, name, email, age, country, city, score, @active, @created_at) SET active = (@active = 'true'), created_at = REPLACE(@created_at, 'T', ' ')`,
      DATABASE,
    )
  }
}

function pgCount() {
  return Number(psql('SELECT COUNT(*) FROM users_copy').trim())
}

export async function databaseScenarios(context) {
  const { rows, outDir, fustorRun, measure, usersCsv, has } = context
  const available = has('psql') && has('mariadb') && reachable('psql', ['-h', PG.host, '-U', PG.user, '-d', 'postgres', '-c', 'SELECT 1']) && reachable('mariadb', ['-h', MARIADB.host, '-u', MARIADB.user, '-e', 'SELECT 1'])
  const skipped = (name, describe) => ({
    name,
    describe: `${describe} (SKIPPED: PostgreSQL or MariaDB not reachable)`,
    run: () => {
      throw new Error(`${name} needs PostgreSQL at ${PG.host}:${PG.port} and MariaDB at ${MARIADB.host}:${MARIADB.port}`)
    },
  })
  const pgConnection = `{ host: ${PG.host}, port: ${PG.port}, database: ${DATABASE}, username: ${PG.user} }`
  const mysqlConnection = `{ host: ${MARIADB.host}, port: ${MARIADB.port}, database: ${DATABASE}, username: ${MARIADB.user} }`
  const truncate = 'TRUNCATE users_copy'
  const scenarios = [
    {
      name: 'mariadb-to-postgresql',
      describe: 'MariaDB users table -> PostgreSQL (COPY), beside `mariadb | psql \\copy` and pgloader',
      run() {
        prepare(rows, usersCsv)
        const ours = fustorRun({
          name: 'mariadb-to-postgresql',
          yaml: `input:
  type: mysql
  config:
    connection: ${mysqlConnection}
    query: { table: users }
output:
  type: postgresql
  config:
    connection: ${pgConnection}
    write: { table: users_copy, mode: insert }
    pre_sql: ${truncate}
`,
        })
        if (pgCount() !== rows) throw new Error(`fustor copied ${pgCount()} rows, not ${rows}`)
        const pipe = `psql -h ${PG.host} -U ${PG.user} -d ${DATABASE} -qc '${truncate}' && mariadb -h ${MARIADB.host} -u ${MARIADB.user} --batch --raw -N -e 'SELECT id, name, email, age, country, city, score, active, created_at FROM users' ${DATABASE} | psql -h ${PG.host} -U ${PG.user} -d ${DATABASE} -qc '\\copy users_copy FROM STDIN'`
        const copy = measure('mariadb | psql \\copy', 'sh', ['-c', pipe])
        if (pgCount() !== rows) throw new Error(`the psql pipe copied ${pgCount()} rows, not ${rows}`)
        const peers = [{ name: 'psql_copy', result: copy, bar: { maxTimeRatio: 1.2 } }]
        if (has('pgloader')) {
          const load = join(outDir, 'mariadb-to-postgresql.load')
          writeFileSync(
            load,
            `LOAD DATABASE
  FROM mysql://${MARIADB.user}@${MARIADB.host}:${MARIADB.port}/${DATABASE}
  INTO postgresql://${PG.user}@${PG.host}:${PG.port}/${DATABASE}
  WITH include drop, create tables, create indexes, reset sequences
  INCLUDING ONLY TABLE NAMES MATCHING 'users'
  ALTER SCHEMA '${DATABASE}' RENAME TO 'pgloader_bench';
`,
          )
          const loaded = measureOnce(measure, 'pgloader', 'pgloader', ['--quiet', load])
          peers.push({ name: 'pgloader', result: loaded.result, missing: loaded.error, bar: { throughputRatio: 2.5 } })
        } else {
          peers.push({ name: 'pgloader', result: undefined, missing: 'not installed (apt-get install -y pgloader)', bar: { throughputRatio: 2.5 } })
        }
        return { ours, peers }
      },
    },
    {
      name: 'csv-to-postgresql',
      describe: 'CSV users file -> PostgreSQL (COPY), beside psql `\\copy ... CSV`',
      run() {
        prepare(rows, usersCsv)
        const csv = usersCsv(rows)
        const ours = fustorRun({
          name: 'csv-to-postgresql',
          yaml: `input:
  type: csv
  config: { path: ${csv} }
output:
  type: postgresql
  config:
    connection: ${pgConnection}
    write: { table: users_copy, mode: insert }
    pre_sql: ${truncate}
`,
        })
        if (pgCount() !== rows) throw new Error(`fustor copied ${pgCount()} rows, not ${rows}`)
        const copy = measure('psql \\copy', 'sh', ['-c', `psql -h ${PG.host} -U ${PG.user} -d ${DATABASE} -qc '${truncate}' && psql -h ${PG.host} -U ${PG.user} -d ${DATABASE} -qc "\\copy users_copy FROM '${csv}' CSV HEADER"`])
        if (pgCount() !== rows) throw new Error(`psql copied ${pgCount()} rows, not ${rows}`)
        return { ours, peers: [{ name: 'psql_copy', result: copy, bar: { maxTimeRatio: 1.3 } }] }
      },
    },
    {
      name: 'generate-10m-to-postgresql',
      describe: '10M generated users -> PostgreSQL (memory bound: <= 200 MiB RSS)',
      rows: 10_000_000,
      bar: { maxRssMiB: 200 },
      run() {
        prepare(rows, usersCsv)
        psql(`CREATE TABLE IF NOT EXISTS users_10m (${PG_USERS_COLUMNS.replace(' PRIMARY KEY', '')})`)
        const ours = fustorRun(
          {
            name: 'generate-10m-to-postgresql',
            yaml: `input:
  type: generate
  config: { preset: users, count: 10000000, seed: 7 }
output:
  type: postgresql
  config:
    connection: ${pgConnection}
    write: { table: users_10m, mode: insert }
    pre_sql: TRUNCATE users_10m
`,
          },
          {},
          1,
        )
        const copied = Number(psql('SELECT COUNT(*) FROM users_10m').trim())
        psql('DROP TABLE users_10m')
        if (copied !== 10_000_000) throw new Error(`fustor copied ${copied} rows, not 10000000`)
        return { ours }
      },
    },
  ]
  return available ? scenarios : scenarios.map((s) => skipped(s.name, s.describe))
}

/** pgloader is slow (~10 s per 1M rows): one run, and a failure is reported rather than fatal. */
function measureOnce(measure, label, command, args) {
  try {
    return { result: measure(label, command, args, { runs: 1 }) }
  } catch (error) {
    return { error: `failed: ${String(error.message).split('\n').slice(0, 3).join(' ')}` }
  }
}
