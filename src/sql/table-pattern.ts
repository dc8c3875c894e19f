/**
 * Table name patterns of the CDC inputs' `tables` (mysql_cdc, postgresql_cdc): `schema.table` or
 * `table`, `*` and `?` as wildcards in either part, and a part in the database's identifier quotes
 * (backticks or double quotes) to hold a dot.
 */

/** The one or two parts of a pattern, or undefined when it is malformed (an empty part, an unclosed quote, three parts). */
export function splitTablePattern(pattern: string, quote: '`' | '"'): string[] | undefined {
  const parts: string[] = []
  let i = 0
  while (i <= pattern.length) {
    let part: string
    if (pattern[i] === quote) {
      const end = pattern.indexOf(quote, i + 1)
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

/** A whole-name matcher of a part with `*` (any run of characters) and `?` (one character). */
export function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 's')
}
