/**
 * The `pg.Client` settings of a connection: where to connect, TLS, and the session's startup
 * parameters.
 *
 * The session fixes how values print (TimeZone UTC, ISO dates, hex bytea, shortest exact floats,
 * UTF-8): the decoders (copy-text-decoder.ts) rely on it. The settings go in the startup packet's
 * `options` (`-c name=value`), so they cost no round trip, after the user's own, so they always hold.
 *
 * `pg`'s type parsers are replaced for this client only (never on `pg`'s global registry, which
 * other code in the process may use): every value arrives as the server's text.
 */
import type pg from 'pg'
import { ConfigError } from '../../core/errors.js'
import type { ConnectionSettings } from '../../sql/driver.js'

/** Settings the decoders depend on. */
const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  client_encoding: 'UTF8',
  TimeZone: 'UTC',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
}

/** Options that are `pg` client settings rather than server settings. */
const CLIENT_OPTIONS = new Set(['application_name', 'options', 'connect_timeout'])

const rawText = (value: string): string => value
const RAW_TEXT_TYPES = { getTypeParser: () => rawText } as unknown as pg.CustomTypesConfig

/** `pg` client settings: the connection, TLS, and the startup parameters. */
export function clientConfig(settings: ConnectionSettings): pg.ClientConfig {
  const options = settings.options
  const connectTimeoutSeconds = options.connect_timeout === undefined ? undefined : Number(options.connect_timeout)
  return {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.username,
    password: settings.password,
    ssl: sslConfig(settings),
    connectionTimeoutMillis: connectTimeoutSeconds !== undefined && connectTimeoutSeconds > 0 ? connectTimeoutSeconds * 1000 : settings.connectTimeoutMs,
    application_name: options.application_name ?? 'fustor',
    options: startupOptions(settings),
    types: RAW_TEXT_TYPES,
    keepAlive: true,
  }
}

function sslConfig(settings: ConnectionSettings): pg.ClientConfig['ssl'] {
  const ssl = settings.ssl
  if (ssl === undefined) return false
  return { rejectUnauthorized: ssl.mode === 'verify', ca: ssl.ca, cert: ssl.cert, key: ssl.key }
}

/** The `options` startup parameter: `-c name=value` for each server setting, the session's last. */
function startupOptions(settings: ConnectionSettings): string {
  const parts: string[] = []
  if (settings.options.options !== undefined) parts.push(settings.options.options)
  const setting = (name: string, value: string): void => {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) {
      throw new ConfigError('postgresql.bad_option', `"${name}" is not a PostgreSQL setting name`, { path: `connection.options.${name}` })
    }
    parts.push(`-c ${name}=${value.replace(/[\\ ]/g, '\\$&')}`)
  }
  for (const [name, value] of Object.entries(settings.options)) if (!CLIENT_OPTIONS.has(name)) setting(name, value)
  for (const [name, value] of Object.entries(SESSION_SETTINGS)) setting(name, value)
  // The same setting SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY changes.
  if (settings.readOnly) setting('default_transaction_read_only', 'on')
  return parts.join(' ')
}
