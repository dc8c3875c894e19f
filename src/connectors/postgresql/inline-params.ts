/**
 * Bind parameters written into SQL text as literals, for `COPY (query) TO STDOUT`: COPY is a
 * utility statement and takes no bind parameters, yet the range and incremental queries of the
 * shared code carry `$1`, `$2`...
 *
 * Every value becomes a quoted literal of unknown type (`'42'`, `'2024-01-31T00:00:00Z'`), except
 * bytes (`'\x..'::bytea`) and NULL: the server then infers its type from where it stands, exactly
 * as it does for `pg`'s bind parameters (sent as untyped text), so a query means the same inlined
 * or bound. Strings are quoted by `pg`'s escapeLiteral (quotes doubled, backslashes in an E'' string).
 *
 * The placeholders are found by a scanner that skips string literals, quoted identifiers, dollar
 * quotes and comments, so that a `$1` inside them is left alone.
 */
import pg from 'pg'
import type { Value } from '../../core/schema.js'

/** A value as an SQL literal that the server types from its context. */
export function sqlLiteral(value: Value): string {
  if (value === null) return 'NULL'
  switch (typeof value) {
    case 'string':
      return pg.escapeLiteral(value)
    case 'number':
    case 'bigint':
    case 'boolean':
      return `'${String(value)}'`
    default:
      if (value instanceof Uint8Array) return `'\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}'::bytea`
      return pg.escapeLiteral(JSON.stringify(value))
  }
}

/** `sql` with each `$n` outside literals, identifiers and comments replaced by the literal of `params[n - 1]`. */
export function inlineParams(sql: string, params: readonly Value[]): string {
  if (params.length === 0) return sql
  let out = ''
  let from = 0
  let i = 0
  while (i < sql.length) {
    const c = sql.charCodeAt(i)
    if (c === 39 /* ' */) {
      i = endOfQuoted(sql, i, 39, isEscapeString(sql, i))
    } else if (c === 34 /* " */) {
      i = endOfQuoted(sql, i, 34, false)
    } else if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const newline = sql.indexOf('\n', i)
      i = newline < 0 ? sql.length : newline + 1
    } else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      i = endOfBlockComment(sql, i)
    } else if (c === 36 /* $ */ && !isIdentifierChar(sql.charCodeAt(i - 1))) {
      let end = i + 1
      while (isDigit(sql.charCodeAt(end))) end++
      if (end > i + 1) {
        const index = Number(sql.slice(i + 1, end))
        if (index < 1 || index > params.length) throw new Error(`parameter $${index} has no value (${params.length} given)`)
        out += sql.slice(from, i) + sqlLiteral(params[index - 1])
        from = end
        i = end
      } else {
        i = endOfDollarQuote(sql, i)
      }
    } else {
      i++
    }
  }
  return out + sql.slice(from)
}

/** `E'...'` (or `e'...'`) where backslash escapes the quote, as opposed to a standard string. */
function isEscapeString(sql: string, quote: number): boolean {
  const prefix = sql.charCodeAt(quote - 1)
  return (prefix === 69 || prefix === 101) && !isIdentifierChar(sql.charCodeAt(quote - 2))
}

/** Index after the closing quote of a literal or identifier opened at `start` (a doubled quote is one). */
function endOfQuoted(sql: string, start: number, quote: number, hasBackslashEscapes: boolean): number {
  for (let i = start + 1; i < sql.length; i++) {
    const c = sql.charCodeAt(i)
    if (hasBackslashEscapes && c === 92) i++
    else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i++
      else return i + 1
    }
  }
  return sql.length
}

/** Index after a block comment (they nest in PostgreSQL). */
function endOfBlockComment(sql: string, start: number): number {
  let depth = 0
  for (let i = start; i < sql.length; i++) {
    if (sql.charCodeAt(i) === 47 && sql.charCodeAt(i + 1) === 42) {
      depth++
      i++
    } else if (sql.charCodeAt(i) === 42 && sql.charCodeAt(i + 1) === 47) {
      depth--
      i++
      if (depth === 0) return i + 1
    }
  }
  return sql.length
}

/** Index after a `$tag$ ... $tag$` string opened at `start`, or after the `$` when it opens none. */
function endOfDollarQuote(sql: string, start: number): number {
  let end = start + 1
  while (end < sql.length && isIdentifierChar(sql.charCodeAt(end)) && sql.charCodeAt(end) !== 36) end++
  if (sql.charCodeAt(end) !== 36 || isDigit(sql.charCodeAt(start + 1))) return start + 1
  const tag = sql.slice(start, end + 1)
  const close = sql.indexOf(tag, end + 1)
  return close < 0 ? sql.length : close + tag.length
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** Letters, digits, `_`, `$` and non-ASCII: characters that continue an identifier. */
function isIdentifierChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 36 || c > 127
}
