/**
 * SQLite's errors as Fustor's (src/sql/driver.ts says what each kind means to the caller).
 *
 * better-sqlite3 throws a SqliteError whose `code` is SQLite's extended result code as text
 * (`SQLITE_CONSTRAINT_NOTNULL`, `SQLITE_BUSY_SNAPSHOT`), so the kind is decided by the code's
 * family; only SQLITE_ERROR, which covers every mistake in SQL text, is told apart by its message
 * (`no such table: x`), whose wording SQLite has kept stable for decades. Every message names the
 * database file, and the table or the SQL when there is one (invariant 4). A SQLite database has
 * no password, so nothing secret can appear here (invariant 6).
 */
import Database from 'better-sqlite3'
import { ConfigError, FatalError, RecordError, TransientError } from '../../core/errors.js'
import { didYouMean } from '../../core/suggest.js'

/** Where an error happened, for its message. */
export interface ErrorPlace {
  /** The database file as configured (`:memory:` for tests). */
  readonly file: string
  /** The statement that failed, when the error is about it. */
  readonly sql?: string
  /** `schema.name` of the table written or described. */
  readonly table?: string
  /** The tables of the database, for a "did you mean" on an unknown table. */
  readonly tableNames?: () => readonly string[]
}

const SQL_SNIPPET_CHARS = 120

/** The tables and views of a database, for a "did you mean"; none when even that fails. */
export function tableNamesOf(db: Database.Database): string[] {
  try {
    return db.prepare(`SELECT name FROM pragma_table_list WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).pluck().all() as string[]
  } catch {
    // Only a hint is lost; the error being reported is the one that matters.
    return []
  }
}

/**
 * The Fustor error for anything better-sqlite3 threw. Anything that is not a SqliteError (a
 * TypeError from binding a value of the wrong type) is a bug and is returned unchanged.
 */
export function fustorErrorOf(error: unknown, place: ErrorPlace): unknown {
  if (error instanceof RangeError && /parameter/i.test(error.message)) {
    // better-sqlite3's check of the values given for `?` placeholders.
    return new ConfigError('sqlite.parameters', `${error.message}${inSql(place)}`, { cause: error })
  }
  if (!(error instanceof Database.SqliteError)) return error
  const code = error.code
  const message = error.message
  const file = place.file
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new TransientError('sqlite.busy', `sqlite database ${file} is locked by another connection (${code}): ${message}`, {
      cause: error,
      hint: 'another process holds a write lock; raise `busy_timeout` in `connection.options` if this lasts',
    })
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new ConfigError('sqlite.cannot_open', `cannot open sqlite database ${file}: ${message}`, { cause: error })
  }
  if (code === 'SQLITE_NOTADB') {
    return new ConfigError('sqlite.not_a_database', `${file} is not a SQLite database`, { cause: error })
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new ConfigError('sqlite.read_only', `cannot write to sqlite database ${file}: ${message}`, {
      cause: error,
      hint: 'inputs open their database read-only; outputs need write permission on the file and its directory',
    })
  }
  if (code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new ConfigError('sqlite.permission_denied', `permission denied on sqlite database ${file}: ${message}`, { cause: error })
  }
  if (code === 'SQLITE_CONSTRAINT_DATATYPE' || code === 'SQLITE_MISMATCH') {
    return new RecordError('sqlite.datatype_mismatch', `${where(place)}: ${message}`, { cause: error, column: columnOfMessage(message) })
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new RecordError('sqlite.constraint_failed', `${where(place)}: ${message}`, { cause: error, column: columnOfMessage(message) })
  }
  if (code === 'SQLITE_TOOBIG') {
    return new RecordError('sqlite.too_big', `${where(place)}: ${message}`, { cause: error })
  }
  if (code === 'SQLITE_FULL') {
    return new FatalError('sqlite.disk_full', `sqlite database ${file}: ${message}`, { cause: error })
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new FatalError('sqlite.corrupt', `sqlite database ${file} is corrupt: ${message}`, { cause: error })
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new FatalError('sqlite.io_error', `i/o error on sqlite database ${file} (${code}): ${message}`, { cause: error })
  }
  if (code.startsWith('SQLITE_ERROR')) return sqlError(error, place)
  return error
}

/** SQLITE_ERROR: a mistake in the SQL or in what it names. */
function sqlError(error: Error, place: ErrorPlace): ConfigError {
  const message = error.message
  const noTable = /^no such table: (.+)$/.exec(message)
  if (noTable) {
    const name = noTable[1]
    const hint = place.tableNames === undefined ? '' : didYouMean(name.replace(/^main\./, ''), place.tableNames()).trim()
    return new ConfigError('sqlite.no_such_table', `no such table "${name}" in sqlite database ${place.file}${inSql(place)}`, {
      cause: error,
      hint: hint === '' ? undefined : hint,
    })
  }
  const noColumn = /^no such column: (.+)$/.exec(message) ?? /^table \S+ has no column named (.+)$/.exec(message)
  if (noColumn) {
    return new ConfigError('sqlite.no_such_column', `no such column "${noColumn[1]}"${place.table === undefined ? '' : ` in table ${place.table}`} of sqlite database ${place.file}${inSql(place)}`, {
      cause: error,
    })
  }
  if (/does not match any PRIMARY KEY or UNIQUE constraint/.test(message)) {
    return new ConfigError('sqlite.no_unique_key', `${where(place)}: ${message}`, { cause: error })
  }
  if (/^unknown database /.test(message)) {
    return new ConfigError('sqlite.no_such_schema', `${message} in sqlite database ${place.file} (attached databases are schemas)`, { cause: error })
  }
  if (/syntax error|incomplete input|unrecognized token/.test(message)) {
    return new ConfigError('sqlite.syntax_error', `${message}${inSql(place)}`, { cause: error })
  }
  return new ConfigError('sqlite.sql_error', `sqlite database ${place.file}: ${message}${inSql(place)}`, { cause: error })
}

function where(place: ErrorPlace): string {
  return place.table === undefined ? `sqlite database ${place.file}` : `table ${place.table} of sqlite database ${place.file}`
}

function inSql(place: ErrorPlace): string {
  return place.sql === undefined ? '' : inSqlText(place.sql)
}

/** ` in SQL "..."` with the statement on one line, cut to a readable length. */
export function inSqlText(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim()
  return ` in SQL "${oneLine.length > SQL_SNIPPET_CHARS ? `${oneLine.slice(0, SQL_SNIPPET_CHARS - 3)}...` : oneLine}"`
}

/**
 * The column a constraint message names: `NOT NULL constraint failed: users.email`,
 * `UNIQUE constraint failed: t.a, t.b` (the first), `cannot store TEXT value in INTEGER column t.a`.
 * CHECK and FOREIGN KEY failures name an expression or nothing: undefined.
 */
function columnOfMessage(message: string): string | undefined {
  return (CONSTRAINT_COLUMN.exec(message) ?? DATATYPE_COLUMN.exec(message))?.[1]
}

const CONSTRAINT_COLUMN = /(?:NOT NULL|UNIQUE|PRIMARY KEY) constraint failed: [^.,\s]+\.([^,\s]+)/
const DATATYPE_COLUMN = /value in \S+ column [^.,\s]+\.(\S+)/
