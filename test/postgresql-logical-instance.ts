/**
 * A throwaway PostgreSQL 15 with `wal_level=logical`, for the logical-replication (CDC) tests: the
 * machine's PostgreSQL on 5432 runs with `wal_level=replica`, and tests that drop slots or kill
 * walsenders must not touch a shared server.
 *
 * The server is made from the installed binaries (`/usr/lib/postgresql/15/bin/initdb` and
 * `postgres`, or the first `initdb` on PATH): run as the `postgres` OS user when the tests run as
 * root (PostgreSQL refuses root), with the data directory and the socket directory in a temporary
 * directory that user owns, trust authentication, on a free port of 127.0.0.1, with
 * `-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10`. `stop()` stops the
 * server and removes the directory; a process that exits without calling it still kills and removes
 * it (an exit hook).
 *
 * Tests ask first, and skip with the reason when the binaries are missing (under CI=true a missing
 * binary throws, as test/services.ts does for services):
 *
 *   const logical = postgresqlLogicalSupport()
 *   describe.skipIf(!logical.available)(`postgresql_cdc (${logical.reason})`, () => {
 *     let db: PostgresqlLogicalInstance
 *     beforeAll(async () => { db = await startPostgresqlLogicalInstance() })
 *     afterAll(async () => { await db?.stop() })
 *   })
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import pg from 'pg'

export interface LogicalSupport {
  readonly available: boolean
  /** For the suite title: the server binary found, or why the suite is skipped. */
  readonly reason: string
}

export interface PostgresqlLogicalInstance {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** The superuser (trust authentication: no password). */
  readonly user: string
  /** A new connected client as the superuser (the caller ends it). */
  client(database?: string): Promise<pg.Client>
  /** Runs statements as the superuser on a short-lived connection. */
  execute(database: string, ...statements: string[]): Promise<void>
  /** Stops the server (fast shutdown, then SIGKILL) and removes its directory. Safe to call twice. */
  stop(): Promise<void>
}

const VERSIONED_BIN = '/usr/lib/postgresql/15/bin'
const START_TIMEOUT_MS = 60_000
const SUPERUSER = 'postgres'

function findBinaries(): { initdb: string; postgres: string } | undefined {
  const dirs = [VERSIONED_BIN, ...(process.env.PATH ?? '').split(delimiter)]
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres') }
  }
  return undefined
}

/** The OS user the server runs as: `postgres` when we are root (it refuses root), else ourselves. */
function runAs(): { uid: number; gid: number; wrap: (command: string, args: string[]) => [string, string[]] } | undefined {
  if (process.getuid?.() !== 0) return { uid: -1, gid: -1, wrap: (command, args) => [command, args] }
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (id.status !== 0 || gid.status !== 0) return undefined
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()), wrap: (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]] }
}

/** Whether a server can be made here. Under CI=true a missing binary throws (the suite fails). */
export function postgresqlLogicalSupport(): LogicalSupport {
  const binaries = findBinaries()
  const user = runAs()
  if (binaries !== undefined && user !== undefined) return { available: true, reason: `throwaway ${binaries.postgres}` }
  const missing = binaries === undefined ? 'initdb and postgres (PostgreSQL 15 server binaries)' : 'the postgres OS user (needed to run the server as root)'
  const reason = `SKIPPED: ${missing} not found (apt-get install postgresql-15), so no logical-replication server can be started`
  if (process.env.CI === 'true') throw new Error(`${missing} is required under CI=true to test PostgreSQL CDC, but was not found`)
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

/** Makes, starts and waits for a server; throws with the server's log when it does not come up. */
export async function startPostgresqlLogicalInstance(serverArgs: readonly string[] = []): Promise<PostgresqlLogicalInstance> {
  const binaries = findBinaries()
  const user = runAs()
  if (binaries === undefined || user === undefined) throw new Error('PostgreSQL server binaries or the postgres OS user are missing')
  const root = mkdtempSync(join(tmpdir(), 'fustor-pg-logical-'))
  const dataDir = join(root, 'data')
  const socketDir = join(root, 'socket')
  const logFile = join(root, 'server.log')
  mkdirSync(socketDir)
  if (user.uid >= 0) {
    for (const path of [root, socketDir]) chownSync(path, user.uid, user.gid)
    chmodSync(root, 0o755)
  }
  const [initCommand, initArgs] = user.wrap(binaries.initdb, ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'])
  const initialized = spawnSync(initCommand, initArgs, { encoding: 'utf8', timeout: START_TIMEOUT_MS })
  if (initialized.status !== 0) {
    rmSync(root, { recursive: true, force: true })
    throw new Error(`initdb failed (${initialized.status ?? initialized.signal}): ${initialized.stderr || initialized.stdout}`)
  }
  const port = await freePort()
  const args = [
    '-D', dataDir,
    '-p', String(port),
    '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'wal_level=logical',
    '-c', 'max_replication_slots=10',
    '-c', 'max_wal_senders=10',
    // A throwaway server: durability costs time and buys nothing here.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'shared_buffers=64MB',
    ...serverArgs,
  ]
  const [serverCommand, wrappedArgs] = user.wrap(binaries.postgres, args)
  const log: string[] = []
  const child: ChildProcess = spawn(serverCommand, wrappedArgs, { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log.push(chunk)
    if (log.length > 200) log.splice(0, 100)
  })
  const serverLog = (): string => log.join('').split('\n').slice(-15).join('\n') || (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(no log)')
  const cleanUp = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    killServer(dataDir, 'SIGKILL')
    rmSync(root, { recursive: true, force: true })
  }
  process.once('exit', cleanUp)

  let isStopped = false
  const stop = async (): Promise<void> => {
    if (isStopped) return
    isStopped = true
    await stopServer(child, dataDir)
    rmSync(root, { recursive: true, force: true })
    process.removeListener('exit', cleanUp)
  }

  const client = async (database = 'postgres'): Promise<pg.Client> => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database })
    await c.connect()
    return c
  }
  try {
    await waitUntilAccepting(client, child, serverLog)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    host: '127.0.0.1',
    port,
    dataDir,
    user: SUPERUSER,
    client,
    execute: async (database, ...statements) => {
      const c = await client(database)
      try {
        for (const statement of statements) await c.query(statement)
      } finally {
        await c.end()
      }
    },
    stop,
  }
}

async function waitUntilAccepting(client: (database?: string) => Promise<pg.Client>, child: ChildProcess, serverLog: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  let lastError: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}) while starting:\n${serverLog()}`)
    try {
      const c = await client()
      await c.end()
      return
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`postgres did not accept connections within ${START_TIMEOUT_MS / 1000} s (${String(lastError)}):\n${serverLog()}`)
}

/** The postmaster's pid from its pid file: under runuser the child is runuser, not the server. */
function killServer(dataDir: string, signal: NodeJS.Signals): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    if (pid > 0) process.kill(pid, signal)
  } catch {
    // No pid file: the server is not running.
  }
}

async function stopServer(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // SIGINT is PostgreSQL's fast shutdown: it ends the sessions and the walsenders.
  killServer(dataDir, 'SIGINT')
  const timer = setTimeout(() => {
    killServer(dataDir, 'SIGKILL')
    child.kill('SIGKILL')
  }, 10_000)
  await exited
  clearTimeout(timer)
}
