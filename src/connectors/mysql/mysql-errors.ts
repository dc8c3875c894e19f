/**
 * mysql2's errors (server errors with an errno, socket errors with a Node code, protocol errors)
 * as Fustor's: ConfigError for what the user must fix, TransientError for what may pass,
 * RecordError for values and rows the server refuses (src/sql/driver.ts has the contract).
 *
 * Messages name the place (host:port, database, table, column) and never hold the password
 * (invariant 6): mysql2's own messages do not either (the server says `using password: YES`).
 */
import { ConfigError, FatalError, FustorError, RecordError, TransientError } from '../../core/errors.js'

/** The fields of a mysql2 error this module reads. */
export interface MysqlError {
  readonly code?: string
  readonly errno?: number
  readonly sqlMessage?: string
  readonly message: string
}

export interface ConnectTarget {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly username: string
}

/** An error of mysql2 or of the socket under it (ours, FustorErrors, are not). */
export function isMysqlError(error: unknown): error is MysqlError & Error {
  if (!(error instanceof Error) || error instanceof FustorError) return false
  return typeof (error as MysqlError).errno === 'number' || typeof (error as MysqlError).code === 'string'
}

/** Server errors about a value or a row: the caller isolates the row at fault (RecordError). */
const VALUE_ERRORS = new Set([
  1048, // column cannot be null
  1263, // NULL supplied to NOT NULL column (multi-row insert)
  1264, // out of range
  1265, // data truncated (a value not in an ENUM, a too long value in LOAD DATA)
  1292, // incorrect date/datetime value
  1300, // invalid character string
  1366, // incorrect integer/decimal/string value
  1367, // illegal double value
  1406, // data too long
  1411, // incorrect value for a function
  1416, // cannot get geometry object from data
  1451, // a foreign key refers to the row
  1452, // foreign key constraint fails
  1690, // value out of range in an expression
  3140, // MySQL: invalid JSON text
  3156, // MySQL: invalid JSON value for CAST
  3819, // MySQL: check constraint violated
  4025, // MariaDB: CHECK constraint failed (MariaDB's JSON columns are LONGTEXT CHECK (json_valid))
])
const DUPLICATE_KEY_ERRORS = new Set([1062, 1586])

const DEADLOCK = 1213
const LOCK_WAIT_TIMEOUT = 1205
/** The server went away or dropped this session: it may come back. */
const CONNECTION_LOST_ERRORS = new Set([1053, 1927, 2006, 2013, 4031])
const CONNECTION_LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ERR_STREAM_DESTROYED'])
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST'])
const PERMISSION_ERRORS = new Set([1044, 1142, 1143, 1227, 1370])
/** LOAD DATA LOCAL refused: MariaDB 10.6+ (4166), MySQL 8 (3948), older servers (1148), the client library (2068). */
export const LOCAL_INFILE_REFUSED = new Set([1148, 2068, 3948, 4166])

/** An error of connecting (handshake, authentication, choosing the database). */
export function connectError(error: unknown, target: ConnectTarget): Error {
  if (!isMysqlError(error)) return error instanceof Error ? error : new Error(String(error))
  const where = `${target.host}:${target.port}`
  const options = { cause: error }
  switch (error.errno) {
    case 1045:
      return new ConfigError('mysql.auth_failed', `access denied for user "${target.username}" at ${where} (wrong user name or password)`, {
        ...options,
        path: 'connection.username',
        hint: 'check connection.username and connection.password',
      })
    case 1049:
      return new ConfigError('mysql.unknown_database', `database "${target.database}" does not exist on ${where}`, {
        ...options,
        path: 'connection.database',
        hint: 'SHOW DATABASES lists the databases',
      })
    case 1044:
      return new ConfigError('mysql.permission_denied', `user "${target.username}" may not use database "${target.database}" on ${where}`, { ...options, path: 'connection.database' })
    case 1040:
      return new TransientError('mysql.too_many_connections', `${where} has too many connections`, options)
  }
  const code = error.code ?? ''
  if (code === 'ENOTFOUND') {
    return new ConfigError('mysql.unknown_host', `host "${target.host}" not found`, { ...options, path: 'connection.host', hint: 'check connection.host' })
  }
  if (UNREACHABLE_CODES.has(code)) {
    return new TransientError('mysql.unreachable', `cannot connect to MySQL at ${where}: ${networkReason(code, error.message)}`, options)
  }
  if (CONNECTION_LOST_ERRORS.has(error.errno ?? 0)) return new TransientError('mysql.connection_lost', `the connection to ${where} was lost while connecting: ${error.message}`, options)
  return queryError(error, `connecting to ${where}`)
}

function networkReason(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running and listening on this port?)'
    case 'ETIMEDOUT':
      return 'timed out'
    default:
      return message
  }
}

/**
 * An error of a statement. `where` says what was being done (`writing db.t`, `query`), and leads
 * the message; the server's own message follows, since it names the value, column and row.
 */
export function queryError(error: unknown, where: string): Error {
  if (!isMysqlError(error)) return error instanceof Error ? error : new Error(String(error))
  const errno = error.errno ?? 0
  const text = error.sqlMessage ?? error.message
  const message = `${where}: ${text}`
  const options = { cause: error }
  if (VALUE_ERRORS.has(errno)) return new RecordError('mysql.value_rejected', message, { ...options, column: columnOf(text) })
  if (DUPLICATE_KEY_ERRORS.has(errno)) return new RecordError('mysql.duplicate_key', message, options)
  switch (errno) {
    case DEADLOCK:
      return new TransientError('mysql.deadlock', message, options)
    case LOCK_WAIT_TIMEOUT:
      return new TransientError('mysql.lock_timeout', message, options)
    case 1040:
      return new TransientError('mysql.too_many_connections', message, options)
    case 1146:
      return new ConfigError('mysql.unknown_table', `${where}: table ${quotedName(text) ?? '?'} does not exist`, options)
    case 1054:
      return new ConfigError('mysql.unknown_column', `${where}: unknown column ${quotedName(text) ?? '?'}${columnContext(text)}`, options)
    case 1064:
      return new ConfigError('mysql.syntax_error', message, options)
    case 1364:
      return new ConfigError('mysql.column_needs_value', `${where}: column ${quotedName(text) ?? '?'} has no default value and is not written`, {
        ...options,
        hint: 'write the column, or give it a DEFAULT in the table',
      })
    case 1792:
      return new ConfigError('mysql.read_only', `${where}: the connection is read-only (${text})`, options)
    case 1290:
    case 1836:
      // The server runs --read-only: a replica, or a primary being failed over.
      return new TransientError('mysql.server_read_only', message, options)
  }
  if (PERMISSION_ERRORS.has(errno)) return new ConfigError('mysql.permission_denied', message, options)
  if (CONNECTION_LOST_ERRORS.has(errno) || CONNECTION_LOST_CODES.has(error.code ?? '')) {
    return new TransientError('mysql.connection_lost', `${where}: the connection to the server was lost (${text})`, options)
  }
  if (UNREACHABLE_CODES.has(error.code ?? '')) return new TransientError('mysql.connection_lost', `${where}: ${text}`, options)
  if (errno === 1317) return new TransientError('mysql.interrupted', `${where}: the query was interrupted (KILL QUERY or a server timeout)`, options)
  if (errno > 0) return new FatalError('mysql.server_error', `${message} (error ${errno})`, options)
  return error
}

/** A server warning (SHOW WARNINGS) about a written value, as the error the same failure would be in strict mode. */
export function warningError(warning: { Level: string; Code: number; Message: string }, where: string): Error {
  return queryError(Object.assign(new Error(warning.Message), { errno: warning.Code, sqlMessage: warning.Message }), where)
}

/** `'db.t'` of `Table 'db.t' doesn't exist` or `'x'` of `Unknown column 'x' in 'field list'`. */
function quotedName(text: string): string | undefined {
  const match = /['`]([^'`]+)['`]/.exec(text)
  return match?.[1]
}

function columnContext(text: string): string {
  const match = /in '([^']+)'\s*$/.exec(text)
  return match ? ` (in ${match[1]})` : ''
}

/**
 * The column a server message names: `for column 'v' at row 1`, ``for column `db`.`t`.`n` ``,
 * `Column 'a' cannot be null`, MariaDB's ``CONSTRAINT `t.j` failed`` (a column's CHECK is named
 * after it), MySQL's `value for column 't.j'`.
 */
export function columnOf(text: string): string | undefined {
  const forColumn = /for column (?:`[^`]*`\.`[^`]*`\.`([^`]+)`|'(?:[^'.]+\.)?([^'.]+)'|`([^`]+)`)/.exec(text)
  if (forColumn) return forColumn[1] ?? forColumn[2] ?? forColumn[3]
  const cannotBeNull = /^Column '([^']+)' cannot be null/.exec(text)
  if (cannotBeNull) return cannotBeNull[1]
  const constraint = /^CONSTRAINT `(?:[^`.]+\.)?([^`]+)` failed/.exec(text)
  return constraint?.[1]
}
