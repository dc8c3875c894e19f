/**
 * LIKE / ILIKE patterns: `%` matches any run of characters (also none), `_` exactly one character,
 * and the escape character (backslash unless ESCAPE says otherwise, as in PostgreSQL) makes the next
 * character literal. Everything else is literal, regex metacharacters included. The match covers the
 * whole value. Common shapes (`abc%`, `%abc`, `%abc%`, no wildcard) avoid regular expressions.
 */

export type LikeMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains'; readonly text: string }
  | { readonly kind: 'regex'; readonly regex: RegExp }

type Token = { readonly literal: string } | { readonly wildcard: '%' | '_' }

/** Compiles a pattern. Throws RangeError with a user-facing message for an invalid pattern or escape. */
export function compileLikePattern(pattern: string, escape: string, isCaseInsensitive: boolean): LikeMatcher {
  if ([...escape].length > 1) throw new RangeError(`ESCAPE must be one character, got ${JSON.stringify(escape)}`)
  const tokens: Token[] = []
  let literal = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (escape !== '' && char === escape) {
      if (i + 1 >= pattern.length) throw new RangeError(`LIKE pattern ${JSON.stringify(pattern)} ends with the escape character`)
      literal += pattern[++i]
    } else if (char === '%' || char === '_') {
      if (literal) tokens.push({ literal })
      literal = ''
      // Runs of % are one %.
      const last = tokens[tokens.length - 1]
      if (!(char === '%' && last !== undefined && 'wildcard' in last && last.wildcard === '%')) tokens.push({ wildcard: char })
    } else {
      literal += char
    }
  }
  if (literal) tokens.push({ literal })
  if (!isCaseInsensitive) {
    const shape = tokens.map((token) => ('literal' in token ? 'L' : token.wildcard)).join('')
    const literalOf = (token: Token | undefined): string => (token !== undefined && 'literal' in token ? token.literal : '')
    switch (shape) {
      case '':
        return { kind: 'exact', text: '' }
      case 'L':
        return { kind: 'exact', text: literalOf(tokens[0]) }
      case '%':
        return { kind: 'any' }
      case 'L%':
        return { kind: 'prefix', text: literalOf(tokens[0]) }
      case '%L':
        return { kind: 'suffix', text: literalOf(tokens[1]) }
      case '%L%':
        return { kind: 'contains', text: literalOf(tokens[1]) }
    }
  }
  let source = '^'
  for (const token of tokens) {
    if ('literal' in token) source += token.literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
    else source += token.wildcard === '%' ? '[^]*' : '.'
  }
  // `s`: `_` matches a newline too; `u`: `_` matches one character even outside the BMP.
  return { kind: 'regex', regex: new RegExp(`${source}$`, isCaseInsensitive ? 'isu' : 'su') }
}

export function likeMatches(matcher: LikeMatcher, value: string): boolean {
  switch (matcher.kind) {
    case 'any':
      return true
    case 'exact':
      return value === matcher.text
    case 'prefix':
      return value.startsWith(matcher.text)
    case 'suffix':
      return value.endsWith(matcher.text)
    case 'contains':
      return value.includes(matcher.text)
    case 'regex':
      return matcher.regex.test(value)
  }
}
