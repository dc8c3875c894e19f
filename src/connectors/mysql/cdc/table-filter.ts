/**
 * Which tables' changes the `mysql_cdc` input captures: `tables` patterns included, `exclude_tables`
 * patterns taken out again. A pattern is `database.table`, or `table` in the connection's database;
 * `*` matches any run of characters and `?` one character, in either part (`shop.*`, `*.orders`,
 * `shop.order_?`). Names compare exactly, as MySQL on Linux does (`lower_case_table_names=0`). The
 * system databases (mysql, sys, information_schema, performance_schema) are captured only when a
 * pattern names them without a wildcard.
 */
import { ConfigError } from '../../../core/errors.js'
import { globRegExp, splitTablePattern } from '../../../sql/table-pattern.js'

const SYSTEM_DATABASES = new Set(['mysql', 'sys', 'information_schema', 'performance_schema'])

interface CompiledPattern {
  readonly database: RegExp
  readonly table: RegExp
  /** The database part has no wildcard: it may name a system database. */
  readonly isLiteralDatabase: boolean
}

export class TableFilter {
  private readonly decided = new Map<string, boolean>()

  private constructor(
    private readonly include: readonly CompiledPattern[],
    private readonly exclude: readonly CompiledPattern[],
  ) {}

  /** ConfigError `mysql_cdc.table_pattern` (path `tables[i]` or `exclude_tables[i]`) for a malformed pattern. */
  static of(tables: readonly string[], excludeTables: readonly string[], defaultDatabase: string): TableFilter {
    return new TableFilter(
      tables.map((pattern, i) => compile(pattern, defaultDatabase, `tables[${i}]`)),
      excludeTables.map((pattern, i) => compile(pattern, defaultDatabase, `exclude_tables[${i}]`)),
    )
  }

  /** Whether changes of `database.table` are captured. Cached: called for every table map event. */
  includes(database: string, table: string): boolean {
    const name = `${database}\u0000${table}`
    let decision = this.decided.get(name)
    if (decision === undefined) {
      decision = this.include.some((p) => matches(p, database, table)) && !this.exclude.some((p) => matches(p, database, table))
      // Bounded: a server has finitely many tables, and DDL-heavy workloads reuse names.
      if (this.decided.size > 10_000) this.decided.clear()
      this.decided.set(name, decision)
    }
    return decision
  }
}

function matches(pattern: CompiledPattern, database: string, table: string): boolean {
  if (!pattern.isLiteralDatabase && SYSTEM_DATABASES.has(database)) return false
  return pattern.database.test(database) && pattern.table.test(table)
}

function compile(pattern: string, defaultDatabase: string, path: string): CompiledPattern {
  const parts = splitTablePattern(pattern, '`')
  if (parts === undefined) {
    throw new ConfigError('mysql_cdc.table_pattern', `"${pattern}" is not a table pattern`, {
      path,
      hint: 'write database.table or table, with * and ? as wildcards: shop.*, shop.orders, orders_*',
    })
  }
  const [database, table] = parts.length === 2 ? parts : [defaultDatabase, parts[0]]
  return { database: globRegExp(database), table: globRegExp(table), isLiteralDatabase: !/[*?]/.test(database) }
}
