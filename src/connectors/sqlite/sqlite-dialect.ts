/**
 * SQLite's SQL dialect for the shared relational code (src/sql/driver.ts `SqlDialect`): identifiers
 * in double quotes, `?` parameters, the column types of docs/types/sqlite.md, and `main` (the file
 * opened, as opposed to attached databases) as the default schema.
 */
import { ConfigError } from '../../core/errors.js'
import type { SqlDialect } from '../../sql/driver.js'
import { sqliteColumnType } from './sqlite-types.js'

/**
 * `"name"` with `"` doubled, which SQLite reads back as the name whatever it holds (keywords,
 * blanks, quotes). A NUL cannot be part of an SQLite identifier: refused rather than cut short.
 */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) {
    throw new ConfigError('sqlite.identifier_invalid', `the name ${JSON.stringify(name)} holds a NUL character, which an SQLite identifier cannot`)
  }
  return `"${name.replaceAll('"', '""')}"`
}

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  quoteIdentifier,
  placeholder: () => '?',
  columnType: sqliteColumnType,
  defaultSchema: () => 'main',
  // SQLite keeps no row count: the largest rowid is one index lookup, and exact for tables never deleted from.
  estimateRows: (table) => ({
    sql: `SELECT MAX(rowid) FROM ${table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`}`,
    params: [],
  }),
}
