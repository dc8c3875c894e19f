/**
 * The SQLite driver of the relational connectors (src/sql/driver.ts `SqlDriver`), on better-sqlite3.
 *
 * A "connection" is the database file opened in this process. An input opens it read-only and the
 * file must exist; an output creates it when absent (its directory must exist), and by default
 * switches it to WAL, so that readers (another pipeline, the user's sqlite3 shell) are not blocked
 * while a copy writes, with `synchronous=FULL`, so that a committed batch survives a power loss as
 * invariant 1 needs (better-sqlite3 builds SQLite with NORMAL as the WAL default, which does not).
 *
 * `connection.options` are PRAGMAs run after opening, in order, over the defaults
 * (`busy_timeout: 5000`, and for outputs `journal_mode: wal`, `synchronous: full`). Their names must
 * be PRAGMAs SQLite knows and their values plain numbers or words, so that nothing can be injected
 * through them.
 */
import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { ConfigError } from '../../core/errors.js'
import { didYouMean } from '../../core/suggest.js'
import type { ConnectionSettings, SqlConnection, SqlDriver } from '../../sql/driver.js'
import { SqliteConnection } from './sqlite-connection.js'
import { sqliteDialect } from './sqlite-dialect.js'
import { fustorErrorOf } from './sqlite-errors.js'

const READER_PRAGMAS: Readonly<Record<string, string>> = { busy_timeout: '5000' }
const WRITER_PRAGMAS: Readonly<Record<string, string>> = { busy_timeout: '5000', journal_mode: 'wal', synchronous: 'full' }

const PRAGMA_NAME = /^[a-z_]+$/
const PRAGMA_VALUE = /^(?:[+-]?\d+|[A-Za-z_][A-Za-z0-9_]*)$/

export const sqliteDriver: SqlDriver = {
  dialect: sqliteDialect,
  defaultPort: 0,
  connect: async (settings: ConnectionSettings): Promise<SqlConnection> => {
    const file = settings.host === '' ? settings.database : settings.host
    const db = openDatabase(file, settings.readOnly)
    try {
      runPragmas(db, file, { ...(settings.readOnly ? READER_PRAGMAS : WRITER_PRAGMAS), ...settings.options })
      // SQLite reads the file's header lazily: a file that is not a database fails only here.
      db.pragma('schema_version')
    } catch (error) {
      db.close()
      throw fustorErrorOf(error, { file })
    }
    return new SqliteConnection(db, file)
  },
}

function openDatabase(file: string, isReadOnly: boolean): Database.Database {
  if (file === '') throw new ConfigError('sqlite.path_missing', 'no sqlite database file given', { hint: 'connection: { path: data/app.db }' })
  const isMemory = file === ':memory:'
  if (!isMemory && isReadOnly && !isFile(file)) {
    throw new ConfigError('sqlite.file_not_found', `sqlite database file not found: ${file}`, { hint: `looked for ${resolve(file)}` })
  }
  if (!isMemory && !isReadOnly && !isDirectory(dirname(resolve(file)))) {
    throw new ConfigError('sqlite.directory_not_found', `the directory of sqlite database ${file} does not exist: ${dirname(resolve(file))}`, {
      hint: 'an output creates the database file, not its directory',
    })
  }
  try {
    return new Database(file, { readonly: isReadOnly, fileMustExist: isReadOnly })
  } catch (error) {
    throw fustorErrorOf(error, { file })
  }
}

function runPragmas(db: Database.Database, file: string, pragmas: Readonly<Record<string, string>>): void {
  let known: Set<string> | undefined
  // busy_timeout first, so that the pragmas after it wait for locks instead of failing.
  const names = Object.keys(pragmas).sort((a, b) => Number(b === 'busy_timeout') - Number(a === 'busy_timeout'))
  for (const name of names) {
    const value = pragmas[name]
    if (!PRAGMA_NAME.test(name)) {
      throw new ConfigError('sqlite.option_invalid', `connection option "${name}" of sqlite database ${file} is not a PRAGMA name (lowercase letters and _)`)
    }
    known ??= new Set((db.pragma('pragma_list') as { name: string }[]).map((row) => row.name))
    if (!known.has(name)) {
      throw new ConfigError('sqlite.unknown_pragma', `connection option "${name}" of sqlite database ${file} is not a PRAGMA SQLite knows${didYouMean(name, known)}`, {
        hint: 'connection options are PRAGMAs (https://sqlite.org/pragma.html), e.g. busy_timeout, journal_mode, synchronous, cache_size',
      })
    }
    if (!PRAGMA_VALUE.test(value)) {
      throw new ConfigError('sqlite.option_invalid', `connection option ${name} of sqlite database ${file} must be a number or a word, not ${JSON.stringify(value)}`)
    }
    db.pragma(`${name} = ${value}`)
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false
}
