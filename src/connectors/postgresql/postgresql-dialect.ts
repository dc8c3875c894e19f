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
  // The planner's estimate, kept by ANALYZE and autovacuum: -1 before the first.
  estimateRows: (table) => ({
    sql: 'SELECT c.reltuples::bigint FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)',
    params: [table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`],
  }),
}
