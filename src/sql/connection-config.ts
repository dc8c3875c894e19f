/**
 * The `connection` / `url` config of every relational input and output (seed 002 §4.1 reader
 * template), and its resolution into the ConnectionSettings a driver connects with.
 */
import { readFileSync } from 'node:fs'
import Type, { type Static } from 'typebox'
import { secret } from '../core/component.js'
import { parseDuration } from '../core/duration.js'
import { ConfigError } from '../core/errors.js'
import type { ConnectionSettings, SqlDialectName, SslSettings } from './driver.js'

const URL_SCHEMES: Record<SqlDialectName, readonly string[]> = {
  postgresql: ['postgres:', 'postgresql:'],
  mysql: ['mysql:', 'mariadb:'],
  sqlite: ['sqlite:', 'file:'],
}

const ssl = Type.Object(
  {
    mode: Type.Enum(['disable', 'require', 'verify'], {
      description: '`disable`: plain connection; `require`: encrypted, server certificate not checked; `verify`: encrypted and the certificate checked against `ca` (or the system roots).',
      default: 'disable',
    }),
    ca: Type.Optional(Type.String({ description: 'PEM file of the certificate authority to trust.', examples: ['/etc/ssl/db-ca.pem'] })),
    cert: Type.Optional(Type.String({ description: 'PEM file of the client certificate.', examples: ['/etc/ssl/client.pem'] })),
    key: Type.Optional(Type.String(secret({ description: 'PEM file of the client key.', examples: ['/etc/ssl/client.key'] }))),
  },
  { description: 'TLS to the server.', default: { mode: 'disable' } },
)

/** The `connection` object for postgresql and mysql. */
export function serverConnectionSchema(defaultPort: number, exampleDatabase: string, exampleUser: string) {
  return Type.Object(
    {
      host: Type.String({ description: 'Server host name or address.', default: '127.0.0.1', examples: ['db.internal'] }),
      port: Type.Integer({ description: 'Server port.', minimum: 1, maximum: 65535, default: defaultPort }),
      database: Type.String({ description: 'Database to connect to.', examples: [exampleDatabase] }),
      username: Type.String({ description: 'User name.', default: exampleUser, examples: ['etl_user'] }),
      password: Type.Optional(Type.String(secret({ description: 'Password. Write `${DB_PASSWORD}` to take it from the environment.', examples: ['${DB_PASSWORD}'] }))),
      options: Type.Record(Type.String(), Type.String(), {
        description: 'Driver options passed through (postgresql: `application_name`, `statement_timeout`...; mysql: `charset`, `timezone`...).',
        default: {},
        examples: [{ application_name: 'fustor' }],
      }),
      ssl,
      connect_timeout: Type.String({ description: 'Give up connecting after this long (a transient error, retried).', default: '10s', examples: ['30s'] }),
    },
    { description: 'Where the database is. Either this or `url`.' },
  )
}

/** The `connection` object for sqlite. */
export const sqliteConnectionSchema = Type.Object(
  {
    path: Type.String({ description: 'The database file.', examples: ['data/app.db'] }),
    options: Type.Record(Type.String(), Type.String(), {
      description: 'PRAGMAs run after opening, e.g. `busy_timeout: "5000"`, `journal_mode: wal`.',
      default: {},
      examples: [{ busy_timeout: '5000' }],
    }),
  },
  { description: 'The database file. Either this or `url`.' },
)

export const urlSchema = Type.String(
  secret({
    description: 'The connection as a URL instead of `connection` (it may hold a password, so it is treated as a secret).',
    examples: ['postgres://etl_user:${DB_PASSWORD}@db.internal:5432/analytics?sslmode=require'],
  }),
)

type ServerConnection = Static<ReturnType<typeof serverConnectionSchema>>
type SqliteConnection = Static<typeof sqliteConnectionSchema>

export interface ConnectionFields {
  readonly connection?: ServerConnection | SqliteConnection
  readonly url?: string
}

/**
 * ConnectionSettings from a component config. `path` is the component config's path prefix for
 * errors (`connection`, `url` are under it). Throws ConfigError for a missing or malformed connection.
 */
export function resolveConnection(dialect: SqlDialectName, defaultPort: number, fields: ConnectionFields, readOnly: boolean): ConnectionSettings {
  if (fields.connection !== undefined && fields.url !== undefined) {
    throw new ConfigError('sql.connection_twice', 'give either `connection` or `url`, not both', { path: 'url' })
  }
  if (fields.url !== undefined) return fromUrl(dialect, defaultPort, fields.url, readOnly)
  if (fields.connection === undefined) {
    throw new ConfigError('sql.connection_missing', 'no `connection` (or `url`): where is the database?', {
      hint: dialect === 'sqlite' ? 'connection: { path: data/app.db }' : 'connection: { host: 127.0.0.1, database: mydb, username: me, password: ${DB_PASSWORD} }',
    })
  }
  if (dialect === 'sqlite') {
    const c = fields.connection as SqliteConnection
    return { host: c.path, port: 0, database: c.path, username: '', password: undefined, options: c.options ?? {}, ssl: undefined, readOnly, connectTimeoutMs: 10_000 }
  }
  const c = fields.connection as ServerConnection
  return {
    host: c.host,
    port: c.port,
    database: c.database,
    username: c.username,
    password: c.password,
    options: c.options ?? {},
    ssl: sslSettings(c.ssl),
    readOnly,
    connectTimeoutMs: durationMs(c.connect_timeout ?? '10s', 'connection.connect_timeout'),
  }
}

function sslSettings(config: ServerConnection['ssl'] | undefined): SslSettings | undefined {
  if (config === undefined || config.mode === 'disable') return undefined
  const read = (file: string | undefined, field: string): string | undefined => {
    if (file === undefined) return undefined
    try {
      return readFileSync(file, 'utf8')
    } catch (error) {
      throw new ConfigError('sql.ssl_file', `cannot read ${file}: ${(error as Error).message}`, { path: `connection.ssl.${field}` })
    }
  }
  return { mode: config.mode as 'require' | 'verify', ca: read(config.ca, 'ca'), cert: read(config.cert, 'cert'), key: read(config.key, 'key') }
}

function fromUrl(dialect: SqlDialectName, defaultPort: number, text: string, readOnly: boolean): ConnectionSettings {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // The URL may hold a password: never repeat it.
    throw new ConfigError('sql.url_invalid', 'the url is not a valid URL', { path: 'url', hint: `e.g. ${URL_SCHEMES[dialect][0]}//user:password@host:port/database` })
  }
  if (!URL_SCHEMES[dialect].includes(url.protocol)) {
    throw new ConfigError('sql.url_scheme', `the url's scheme is ${url.protocol.replace(':', '')}, a ${dialect} url starts with ${URL_SCHEMES[dialect].map((s) => `${s}//`).join(' or ')}`, {
      path: 'url',
    })
  }
  const options: Record<string, string> = {}
  for (const [key, value] of url.searchParams) options[key] = value
  if (dialect === 'sqlite') {
    const path = decodeURIComponent(url.host + url.pathname)
    return { host: path, port: 0, database: path, username: '', password: undefined, options, ssl: undefined, readOnly, connectTimeoutMs: 10_000 }
  }
  const sslmode = options.sslmode ?? options.ssl_mode
  delete options.sslmode
  delete options.ssl_mode
  const ssl: SslSettings | undefined =
    sslmode === undefined || sslmode === 'disable' || sslmode === 'prefer' || sslmode === 'allow'
      ? undefined
      : { mode: sslmode === 'verify-ca' || sslmode === 'verify-full' || sslmode === 'verify' ? 'verify' : 'require' }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (database === '') throw new ConfigError('sql.url_database', 'the url names no database (the path after the host)', { path: 'url' })
  return {
    host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')) || '127.0.0.1',
    port: url.port === '' ? defaultPort : Number(url.port),
    database,
    username: decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    options,
    ssl,
    readOnly,
    connectTimeoutMs: 10_000,
  }
}

function durationMs(text: string, path: string): number {
  const ms = parseDuration(text)
  if (ms === undefined) throw new ConfigError('config.duration', `"${text}" is not a duration`, { path, hint: 'e.g. 500ms, 10s, 1m' })
  return ms
}
