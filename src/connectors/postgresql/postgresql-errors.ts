/**
 * PostgreSQL's errors as Fustor's (src/sql/driver.ts says what each kind means to the caller).
 *
 * Server errors carry a SQLSTATE; the classes decide the kind:
 *   08 connection, 40001/40P01 serialization and deadlock, 55P03 lock not available, 57P0x
 *   shutdown or startup, 57014 cancelled (statement_timeout), 53300 too many connections
 *                                   -> TransientError (may pass; retried)
 *   22 data exception, 23 integrity constraint violation
 *                                   -> RecordError in a write (the shared code isolates the rows);
 *                                      ConfigError in a read (a filter dividing by zero is the
 *                                      user's to fix: no row can be set aside)
 *   28 authentication, 3D000 database, 3F000 schema, 42 syntax, unknown table or column,
 *   permission, 25006 read-only    -> ConfigError naming what and where
 * Network errors: an unknown host is a ConfigError (ENOTFOUND: the name does not exist); EAI_AGAIN
 * (the resolver could not answer now), a refused, reset or timed-out connection and a connection
 * lost mid-way are TransientErrors. Anything else is returned unchanged: a bug, or fatal.
 *
 * Messages name the server (`host:port`), the database and the user, never the password
 * (invariant 6): PostgreSQL's own messages never hold it either.
 */
import pg from 'pg'
import { ConfigError, RecordError, TransientError } from '../../core/errors.js'

/** Where an operation ran, for messages. */
export interface ErrorPlace {
  /** `host:port`. */
  readonly server: string
  readonly database: string
  readonly user: string
  /** The table a write goes to (`schema.name`). */
  readonly table?: string
  /** Data and constraint errors are RecordErrors (writes) rather than ConfigErrors (reads). */
  readonly isWrite?: boolean
}

type ServerError = InstanceType<typeof pg.DatabaseError>

function isServerError(error: unknown): error is ServerError {
  return error instanceof pg.DatabaseError
}

const NETWORK_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'])

/** The error of a failed connect. */
export function connectError(error: unknown, place: ErrorPlace): Error {
  const server = place.server
  const code = (error as { code?: unknown } | null)?.code
  const message = (error as Error | null)?.message ?? String(error)
  if (isServerError(error)) {
    switch (error.code) {
      case '28P01':
      case '28000':
        return new ConfigError('postgresql.auth_failed', `cannot log in to ${server} as user "${place.user}": ${message}`, {
          hint: 'check the username and password, and that pg_hba.conf lets this user connect from here to this database',
          cause: error,
        })
      case '3D000':
        return new ConfigError('postgresql.unknown_database', `database "${place.database}" does not exist on ${server}`, {
          hint: 'check `database` (names are case-sensitive); `psql -l` lists the databases',
          cause: error,
        })
      case '42704':
      case '22023':
        return new ConfigError('postgresql.bad_option', `the server refused a connection option: ${message}`, {
          hint: 'check `options`: each one is a PostgreSQL setting (SHOW ALL lists them)',
          cause: error,
        })
    }
    return queryError(error, place)
  }
  switch (code) {
    case 'ENOTFOUND':
      return new ConfigError('postgresql.unknown_host', `unknown host "${hostOf(server)}" (no address for that name)`, { hint: 'check `host`', cause: error })
    case 'EAI_AGAIN':
      return new TransientError('postgresql.unreachable', `cannot resolve host "${hostOf(server)}" now (the name server did not answer)`, { cause: error })
    case 'ECONNREFUSED':
      return new TransientError('postgresql.unreachable', `cannot connect to ${server}: connection refused (is PostgreSQL running and listening there?)`, { cause: error })
  }
  if (typeof code === 'string' && NETWORK_LOST.has(code)) {
    return new TransientError('postgresql.unreachable', `cannot connect to ${server}: ${message}`, { cause: error })
  }
  if (message === 'timeout expired' || /connection timeout/i.test(message)) {
    return new TransientError('postgresql.connect_timeout', `cannot connect to ${server}: no answer within the connect timeout`, { cause: error })
  }
  if (/password must be a string|SASL|SCRAM/i.test(message)) {
    return new ConfigError('postgresql.auth_failed', `cannot log in to ${server} as user "${place.user}": the server asks for a password and none was given`, {
      hint: 'set `password` (e.g. `password: ${PGPASSWORD}`)',
      cause: error,
    })
  }
  if (/does not support SSL|ssl|tls|certificate|self.signed/i.test(message) || (typeof code === 'string' && /CERT|SSL|TLS/.test(code))) {
    return new ConfigError('postgresql.ssl_failed', `cannot connect to ${server} with TLS: ${message}`, {
      hint: 'check `ssl`: `mode: require` encrypts without checking the certificate, `verify` checks it against `ca`',
      cause: error,
    })
  }
  if (/terminated|closed/i.test(message)) {
    return new TransientError('postgresql.unreachable', `cannot connect to ${server}: ${message}`, { cause: error })
  }
  return error instanceof Error ? error : new Error(message)
}

/** The error of a failed statement, COPY or write. */
export function queryError(error: unknown, place: ErrorPlace): Error {
  if (!isServerError(error)) return clientError(error, place)
  const code = error.code ?? ''
  const message = error.message
  const where = `database "${place.database}" on ${place.server}`
  if (code.startsWith('22') || code.startsWith('23')) {
    if (place.isWrite) return recordError(error, place)
    return new ConfigError('postgresql.query_failed', `the query failed in ${where}: ${message}`, { cause: error })
  }
  switch (code) {
    case '40001':
      return new TransientError('postgresql.serialization_failure', `${message} (${where})`, { cause: error })
    case '40P01':
      return new TransientError('postgresql.deadlock', `${message} (${where})`, { cause: error })
    case '55P03':
      return new TransientError('postgresql.lock_timeout', `${message} (${where})`, { cause: error })
    case '57014':
      return new TransientError('postgresql.query_canceled', `${message} (${where})`, { cause: error })
    case '57P01':
    case '57P02':
    case '57P03':
    case '53300':
      return new TransientError('postgresql.server_unavailable', `${place.server} is not available: ${message}`, { cause: error })
    case '42P01': {
      const name = /relation "(.+)" does not exist/.exec(message)?.[1] ?? place.table ?? '?'
      return new ConfigError('postgresql.unknown_table', `table "${name}" does not exist in ${where}`, {
        hint: error.hint ?? 'check the table name and its schema (names are case-sensitive when quoted)',
        cause: error,
      })
    }
    case '42703':
      return new ConfigError('postgresql.unknown_column', `${message}${place.table ? ` in table ${place.table}` : ''} (${where})`, {
        hint: error.hint,
        cause: error,
      })
    case '3F000':
      return new ConfigError('postgresql.unknown_schema', `${message} (${where})`, { cause: error })
    case '42501':
      return new ConfigError('postgresql.permission_denied', `${message} for user "${place.user}" (${where})`, {
        hint: 'GRANT the user the privilege, or connect as another user',
        cause: error,
      })
    case '42P10':
      return new ConfigError('postgresql.no_unique_key', `${place.table ?? 'the table'} has no primary key or unique index on the key columns (${where})`, {
        hint: 'upsert needs a unique index on exactly the key columns; use mode `merge` or `replace`, which need none',
        cause: error,
      })
    case '25006':
      return new ConfigError('postgresql.read_only', `${message} (${where}; the connection is read-only)`, { cause: error })
  }
  if (code.startsWith('08')) return lost(error, place)
  if (code.startsWith('42')) {
    const at = error.position === undefined ? '' : ` at character ${error.position}`
    return new ConfigError('postgresql.invalid_sql', `${message}${at} (${where})`, { hint: error.hint, cause: error })
  }
  return error
}

/** A client-side error during a statement: the connection went away, or a bug. */
function clientError(error: unknown, place: ErrorPlace): Error {
  if (error instanceof ConfigError || error instanceof TransientError || error instanceof RecordError) return error
  const code = (error as { code?: unknown } | null)?.code
  const message = (error as Error | null)?.message ?? String(error)
  if ((typeof code === 'string' && NETWORK_LOST.has(code)) || /Connection terminated|not queryable|Client has encountered a connection error/i.test(message)) {
    return lost(error, place)
  }
  return error instanceof Error ? error : new Error(message)
}

function lost(error: unknown, place: ErrorPlace): TransientError {
  return new TransientError('postgresql.connection_lost', `lost the connection to ${place.server}: ${(error as Error).message}`, { cause: error })
}

/**
 * A value or row the server refused. COPY says where: `COPY t, line 3, column age: "abc"` (line n
 * is the n-th row written); constraint errors name the column or constraint in their fields.
 */
function recordError(error: ServerError, place: ErrorPlace): RecordError {
  const copyPlace = /\bline (\d+)(?:, column ([^:]+))?/.exec(error.where ?? '')
  const column = error.column ?? copyPlace?.[2]
  const parts = [`${place.table ?? 'the table'} refused a row: ${error.message}`]
  if (column !== undefined) parts.push(`column "${column}"`)
  if (copyPlace !== null) parts.push(`row ${copyPlace[1]} of the batch`)
  if (error.constraint !== undefined && column === undefined) parts.push(`constraint "${error.constraint}"`)
  const message = `${parts.join(', ')}${error.detail === undefined ? '' : `: ${error.detail}`}`
  if (error.code?.startsWith('23')) return new RecordError('postgresql.constraint_violation', message, { column, cause: error })
  return new RecordError('postgresql.invalid_value', message, { column, cause: error })
}

function hostOf(server: string): string {
  const colon = server.lastIndexOf(':')
  return colon < 0 ? server : server.slice(0, colon)
}
