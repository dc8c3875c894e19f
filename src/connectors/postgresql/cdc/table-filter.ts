/**
 * Which tables' changes the `postgresql_cdc` input captures: a pattern is `schema.table`, or `table`
 * in the `public` schema; `*` matches any run of characters and `?` one character, in either part
 * (`shop.*`, `*.orders`, `public.order_?`). A part may be quoted in double quotes to hold a dot.
 * Names compare exactly (PostgreSQL folds unquoted names to lower case when they are created, not
 * here). The system schemas (pg_catalog, information_schema, pg_toast...) are never captured:
 * logical decoding does not publish them.
 */
import { ConfigError } from '../../../core/errors.js'

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
  const parts = splitPattern(pattern)
  if (parts === undefined) {
    throw new ConfigError('postgresql_cdc.table_pattern', `"${pattern}" is not a table pattern`, {
      path,
      hint: 'write schema.table or table (in public), with * and ? as wildcards: shop.*, public.orders, orders_*',
    })
  }
  const [schema, table] = parts.length === 2 ? parts : ['public', parts[0]]
  return { schema: globRegExp(schema), table: globRegExp(table) }
}

/** `schema.table` or `table`; a part may be quoted in double quotes (`"my.schema".t`). */
function splitPattern(pattern: string): string[] | undefined {
  const parts: string[] = []
  let i = 0
  while (i <= pattern.length) {
    let part: string
    if (pattern[i] === '"') {
      const end = pattern.indexOf('"', i + 1)
      if (end < 0) return undefined
      part = pattern.slice(i + 1, end)
      i = end + 1
      if (i < pattern.length && pattern[i] !== '.') return undefined
    } else {
      const end = pattern.indexOf('.', i)
      part = pattern.slice(i, end < 0 ? pattern.length : end)
      i = end < 0 ? pattern.length : end
    }
    if (part === '') return undefined
    parts.push(part)
    i++
  }
  return parts.length === 1 || parts.length === 2 ? parts : undefined
}

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 's')
}
