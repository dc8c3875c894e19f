/**
 * Passwords and TLS, which the machine's PostgreSQL cannot show (it trusts 127.0.0.1 and has no
 * TLS): a throwaway server of the same installation, started here with scram-sha-256 passwords and
 * a self-signed certificate, stopped at the end. Skipped, with the reason, when initdb or openssl
 * is missing (or, running as root, when there is no `postgres` user to run the server as).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../core/errors.js'
import type { ConnectionSettings } from '../../sql/driver.js'
import { service } from '../../../test/services.js'
import { postgresqlDriver } from './postgresql-driver.js'

const PASSWORD = 'Corr3ct-Horse!'

interface Tools {
  readonly bindir: string
  /** Prefix to run the server's programs as a non-root user (initdb refuses root). */
  readonly runAs: readonly string[]
  readonly owner: { uid: number; gid: number } | undefined
}

function findTools(): Tools | string {
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  const bindir = pgConfig.status === 0 ? pgConfig.stdout.trim() : ''
  if (!existsSync(join(bindir, 'initdb'))) return 'initdb not found (pg_config --bindir)'
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl not found'
  if (userInfo().uid !== 0) return { bindir, runAs: [], owner: undefined }
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (id.status !== 0) return 'running as root and there is no postgres user to run a server as'
  return { bindir, runAs: ['runuser', '-u', 'postgres', '--'], owner: { uid: Number(id.stdout), gid: Number(gid.stdout) } }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

const pgService = await service('postgresql')
const tools = findTools()
const reason = typeof tools === 'string' ? `SKIPPED: ${tools}` : 'throwaway server'
if (typeof tools === 'string') console.warn(`postgresql-auth.integration.test.ts ${reason}`)

describe.skipIf(typeof tools === 'string')(`postgresql passwords and TLS (${reason})`, () => {
  const { bindir, runAs, owner } = tools as Tools
  let dir: string
  let port: number
  let certificate: string

  function run(program: string, args: readonly string[]): void {
    const [command, ...prefix] = runAs.length > 0 ? runAs : [join(bindir, program)]
    execFileSync(command, runAs.length > 0 ? [...prefix, join(bindir, program), ...args] : args, { stdio: 'pipe' })
  }

  function settings(overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
    return {
      host: '127.0.0.1',
      port,
      database: 'postgres',
      username: 'postgres',
      password: PASSWORD,
      options: {},
      ssl: undefined,
      readOnly: false,
      connectTimeoutMs: 5000,
      ...overrides,
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-pg-auth-'))
    port = await freePort()
    const own = (path: string) => owner && chownSync(path, owner.uid, owner.gid)
    own(dir)
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt')], { stdio: 'pipe' })
    chmodSync(join(dir, 'server.key'), 0o600)
    own(join(dir, 'server.key'))
    own(join(dir, 'server.crt'))
    certificate = readFileSync(join(dir, 'server.crt'), 'utf8')
    writeFileSync(join(dir, 'password'), PASSWORD)
    own(join(dir, 'password'))
    run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${join(dir, 'password')}`, '-N'])
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on -c ssl_cert_file=${join(dir, 'server.crt')} -c ssl_key_file=${join(dir, 'server.key')}`
    run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o', options, '-w', 'start'])
  }, 60_000)

  afterAll(() => {
    if (dir === undefined) return
    try {
      if (existsSync(join(dir, 'data', 'postmaster.pid'))) run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  async function connectError(overrides: Partial<ConnectionSettings>): Promise<Error> {
    return postgresqlDriver.connect(settings(overrides)).then(
      async (connection) => {
        await connection.close()
        throw new Error('expected the connection to fail')
      },
      (error: unknown) => error as Error,
    )
  }

  it('logs in with the right password, over plain TCP by default', async () => {
    const connection = await postgresqlDriver.connect(settings())
    try {
      expect((await connection.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([[false]])
    } finally {
      await connection.close()
    }
  })

  it('a wrong password is postgresql.auth_failed naming user and server, never the password', async () => {
    const error = await connectError({ password: 'Wr0ng-Horse!' })
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).code).toBe('postgresql.auth_failed')
    expect(error.message).toContain('"postgres"')
    expect(error.message).toContain(`127.0.0.1:${port}`)
    expect(error.message).not.toContain('Wr0ng-Horse!')
    expect(JSON.stringify({ ...error, message: error.message, hint: (error as ConfigError).hint })).not.toContain('Wr0ng-Horse!')
  })

  it('no password where one is asked is postgresql.auth_failed saying so', async () => {
    const error = await connectError({ password: undefined })
    expect((error as ConfigError).code).toBe('postgresql.auth_failed')
    expect(error.message).toContain('asks for a password')
  })

  it('ssl require encrypts without checking the certificate', async () => {
    const connection = await postgresqlDriver.connect(settings({ ssl: { mode: 'require' } }))
    try {
      expect((await connection.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([[true]])
      // COPY runs over the TLS socket as over plain TCP.
      const sql = 'SELECT g, repeat($1, g % 100) FROM generate_series(1, 20000) g'
      let rows = 0
      for await (const chunk of connection.stream(sql, ['é'], await connection.describeQuery(sql, ['é']), 1000, { zeroDates: 'error' })) rows += chunk.rows.length
      expect(rows).toBe(20000)
    } finally {
      await connection.close()
    }
  })

  it('ssl verify checks the certificate against the given authority', async () => {
    const connection = await postgresqlDriver.connect(settings({ ssl: { mode: 'verify', ca: certificate } }))
    await connection.close()
    const untrusted = await connectError({ ssl: { mode: 'verify' } })
    expect(untrusted).toBeInstanceOf(ConfigError)
    expect((untrusted as ConfigError).code).toBe('postgresql.ssl_failed')
    expect(untrusted.message).toContain(`127.0.0.1:${port}`)
  })

  it.skipIf(!pgService.available)('ssl against a server without TLS is postgresql.ssl_failed', async (context) => {
    const plain = { port: pgService.port, host: pgService.host, password: undefined }
    const machine = await postgresqlDriver.connect(settings(plain))
    const [[ssl]] = (await machine.query('SHOW ssl')).rows
    await machine.close()
    if (ssl !== 'off') context.skip()
    const error = await connectError({ ...plain, ssl: { mode: 'require' } })
    expect((error as ConfigError).code).toBe('postgresql.ssl_failed')
  })
})
