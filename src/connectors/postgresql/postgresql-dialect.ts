/**
 * PostgreSQL's SQL dialect for the SQL the shared code builds (range queries, CREATE TABLE).
 */
import type { SqlDialect } from '../../sql/driver.js'
import { columnTypeOf } from './postgresql-types.js'

/** `"name"` with inner double quotes doubled: any name is safe in SQL text. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export const postgresqlDialect: SqlDialect = {
  name: 'postgresql',
  quoteIdentifier,
  placeholder: (n) => `$${n}`,
  columnType: columnTypeOf,
  // Tables without a schema resolve through the search_path, which starts with `public` unless changed.
  defaultSchema: () => 'public',
}
