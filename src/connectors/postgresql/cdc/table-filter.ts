/**
 * Which tables' changes the `postgresql_cdc` input captures: a pattern is `schema.table`, or `table`
 * in the `public` schema; `*` matches any run of characters and `?` one character, in either part
 * (`shop.*`, `*.orders`, `public.order_?`). A part may be quoted in double quotes to hold a dot.
 * Names compare exactly (PostgreSQL folds unquoted names to lower case when they are created, not
 * here). The system schemas (pg_catalog, information_schema, pg_toast...) are never captured:
 * logical decoding does not publish them.
 */
import { ConfigError } from '../../../core/errors.js'
import { globRegExp, splitTablePattern } from '../../../sql/table-pattern.js'

interface CompiledPattern {
  readonly schema: RegExp
  readonly table: RegExp
}

export class TableFilter {
  private constructor(private readonly include: readonly CompiledPattern[]) {}

  /** ConfigError `postgresql_cdc.table_pattern` (path `tables[i]`) for a malformed pattern. */
  static of(tables: readonly string[]): TableFilter {
    return new TableFilter(tables.map((pattern, i) => compile(pattern, `tables[${i}]`)))
  }

  includes(schema: string, table: string): boolean {
    if (schema === 'information_schema' || schema.startsWith('pg_')) return false
    return this.include.some((p) => p.schema.test(schema) && p.table.test(table))
  }
}

function compile(pattern: string, path: string): CompiledPattern {
  const parts = splitTablePattern(pattern, '"')
  if (parts === undefined) {
    throw new ConfigError('postgresql_cdc.table_pattern', `"${pattern}" is not a table pattern`, {
      path,
      hint: 'write schema.table or table (in public), with * and ? as wildcards: shop.*, public.orders, orders_*',
    })
  }
  const [schema, table] = parts.length === 2 ? parts : ['public', parts[0]]
  return { schema: globRegExp(schema), table: globRegExp(table) }
}
