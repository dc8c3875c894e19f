/**
 * A throwaway MariaDB server with the binary log on in ROW format, for the binlog (CDC) tests: the
 * machine's MariaDB on 3306 may run without a binlog, and tests that purge binlogs or kill the
 * replication thread must not touch a shared server.
 *
 * The server is made from the installed binaries: `mariadb-install-db` into a temporary directory,
 * then `mariadbd` on a free port of 127.0.0.1 with `--log-bin --binlog-format=ROW
 * --binlog-row-image=FULL --server-id=1`. Grants stay on (replication needs real users): root has no
 * password from 127.0.0.1, and `cdc` / `cdc-secret` holds what a CDC reader needs (REPLICATION
 * SLAVE, BINLOG MONITOR, SELECT). `stop()` kills the server and removes the directory; a process
 * that exits without calling it still kills and removes it (an exit hook).
 *
 * Tests ask first, and skip with the reason when the binaries are missing (under CI=true a missing
 * binary throws, as test/services.ts does for services):
 *
 *   const binlog = mariadbBinlogSupport()
 *   describe.skipIf(!binlog.available)(`mysql_cdc (${binlog.reason})`, () => {
 *     let db: MariadbBinlogInstance
 *     beforeAll(async () => { db = await startMariadbBinlogInstance() })
 *     afterAll(async () => { await db?.stop() })
 *   })
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import mysql from 'mysql2/promise'

export interface BinlogSupport {
  readonly available: boolean
  /** For the suite title: the server binary found, or why the suite is skipped. */
  readonly reason: string
}

export interface MariadbBinlogInstance {
  readonly host: string
  readonly port: number
  readonly socket: string
  readonly dataDir: string
  /** The replication user a CDC input connects as. */
  readonly cdcUser: { readonly username: string; readonly password: string }
  /** A new connection as root over TCP (the caller ends it), in UTC, with multiple statements allowed. */
  admin(database?: string): Promise<mysql.Connection>
  /** Runs statements as root on a short-lived connection. */
  execute(...statements: string[]): Promise<void>
  /** Shuts the server down and starts it again on the same data and port (a server restart). */
  restart(): Promise<void>
  /** Kills the server (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  stop(): Promise<void>
}

export interface BinlogInstanceOptions {
  /** More `mariadbd` options, e.g. `--max-binlog-size=4096` or `--binlog-row-metadata=FULL`. */
  readonly serverArgs?: readonly string[]
}

const SEARCH_PATH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin']
const CDC_USER = { username: 'cdc', password: 'cdc-secret' }
const START_TIMEOUT_MS = 60_000

function findBinary(...names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of SEARCH_PATH) {
      if (dir !== '' && existsSync(join(dir, name))) return join(dir, name)
    }
  }
  return undefined
}

/** Whether a server can be made here. Under CI=true a missing binary throws (the suite fails). */
export function mariadbBinlogSupport(): BinlogSupport {
  const server = findBinary('mariadbd', 'mysqld')
  const install = findBinary('mariadb-install-db', 'mysql_install_db')
  if (server !== undefined && install !== undefined) return { available: true, reason: `throwaway ${server}` }
  const missing = server === undefined ? 'mariadbd' : 'mariadb-install-db'
  const reason = `SKIPPED: ${missing} is not installed (apt-get install mariadb-server), so no binlog server can be started`
  if (process.env.CI === 'true') throw new Error(`${missing} is required under CI=true to test binlog CDC, but is not installed`)
  console.warn(reason)
  return { available: false, reason }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Makes, starts and prepares a server; throws with the server's log when it does not come up. */
export async function startMariadbBinlogInstance(options: BinlogInstanceOptions = {}): Promise<MariadbBinlogInstance> {
  const server = findBinary('mariadbd', 'mysqld')
  const install = findBinary('mariadb-install-db', 'mysql_install_db')
  if (server === undefined || install === undefined) throw new Error('mariadbd or mariadb-install-db is not installed')
  const root = mkdtempSync(join(tmpdir(), 'fustor-mariadb-binlog-'))
  const dataDir = join(root, 'data')
  const socket = join(root, 'mariadb.sock')
  const logFile = join(root, 'error.log')
  // mariadbd refuses to run as root unless told to.
  const asUser = process.getuid?.() === 0 ? ['--user=root'] : []
  const small = ['--innodb-buffer-pool-size=64M', '--innodb-log-file-size=16M']
  const installed = spawnSync(install, ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asUser, ...small], {
    encoding: 'utf8',
    timeout: START_TIMEOUT_MS,
  })
  if (installed.status !== 0) {
    rmSync(root, { recursive: true, force: true })
    throw new Error(`mariadb-install-db failed (${installed.status ?? installed.signal}): ${installed.stderr || installed.stdout}`)
  }
  const port = await freePort()
  const serverArgs = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(root, 'mariadb.pid')}`,
    `--log-error=${logFile}`,
    `--log-bin=${join(dataDir, 'binlog')}`,
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--server-id=1',
    // A throwaway server: the doublewrite buffer costs time and buys nothing. Commits stay durable
    // (innodb_flush_log_at_trx_commit=1): with 0 the server keeps binlog files needed for crash
    // recovery for a second longer, and PURGE BINARY LOGS silently leaves them.
    '--innodb-doublewrite=0',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    ...asUser,
    ...small,
    ...(options.serverArgs ?? []),
  ]
  let child = spawn(server, serverArgs, { stdio: 'ignore' })
  const cleanUp = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(root, { recursive: true, force: true })
  }
  process.once('exit', cleanUp)
  const serverLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '(no log)')

  let isStopped = false
  const stop = async (): Promise<void> => {
    if (isStopped) return
    isStopped = true
    await killProcess(child)
    rmSync(root, { recursive: true, force: true })
    process.removeListener('exit', cleanUp)
  }

  try {
    await waitUntilAccepting(socket, child, serverLog)
    const setup = await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true })
    try {
      await setup.query(
        `CREATE USER '${CDC_USER.username}'@'127.0.0.1' IDENTIFIED BY '${CDC_USER.password}';
         GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO '${CDC_USER.username}'@'127.0.0.1';`,
      )
    } finally {
      await setup.end()
    }
  } catch (error) {
    await stop()
    throw error
  }

  const admin = (database?: string): Promise<mysql.Connection> =>
    mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database, multipleStatements: true, timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true })
  return {
    host: '127.0.0.1',
    port,
    socket,
    dataDir,
    cdcUser: CDC_USER,
    admin,
    execute: async (...statements) => {
      const connection = await admin()
      try {
        for (const statement of statements) await connection.query(statement)
      } finally {
        await connection.end()
      }
    },
    restart: async () => {
      await killProcess(child)
      child = spawn(server, serverArgs, { stdio: 'ignore' })
      await waitUntilAccepting(socket, child, serverLog)
    },
    stop,
  }
}

async function waitUntilAccepting(socket: string, child: ChildProcess, serverLog: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  let lastError: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}) while starting:\n${serverLog()}`)
    if (existsSync(socket)) {
      try {
        const connection = await mysql.createConnection({ socketPath: socket, user: 'root' })
        await connection.end()
        return
      } catch (error) {
        lastError = error
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`mariadbd did not accept connections within ${START_TIMEOUT_MS / 1000} s (${String(lastError)}):\n${serverLog()}`)
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
