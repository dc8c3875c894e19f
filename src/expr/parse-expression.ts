/**
 * Source text -> syntax tree (ast.ts), turning the generated parser's failures into ConfigErrors
 * with code `expr.syntax`, a readable message and the character offset of the problem.
 */
import { ConfigError } from '../core/errors.js'
import type { AstNode } from './ast.js'
import { parse, SyntaxError as PeggySyntaxError, type PeggyExpectation } from './sql.generated.js'

/** Parses an expression. Throws ConfigError `expr.syntax` with `offset` set. */
export function parseExpression(source: string): AstNode {
  try {
    return parse(source) as AstNode
  } catch (error) {
    if (error instanceof PeggySyntaxError) throw syntaxError(source, error)
    throw error
  }
}

/** Words that cannot be bare column names (sql.peggy `Reserved`). */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'BETWEEN', 'LIKE', 'ILIKE', 'ESCAPE', 'CASE', 'WHEN',
  'THEN', 'ELSE', 'END', 'CAST', 'TRY_CAST', 'AS', 'DISTINCT', 'CURRENT_DATE', 'CURRENT_TIMESTAMP',
])

// What the parser may expect where an operand starts, and where an operand could continue. A failure
// usually lists dozens of these; the message summarises them as "expression" and "an operator" and
// names the tokens that are neither (a missing ")" or THEN), which is what the user must fix.
const OPERAND_STARTS = new Set([
  '(', '[+-]', 'NOT', 'CASE', 'CAST', 'TRY_CAST', 'EXTRACT', 'SUBSTRING', 'CURRENT_DATE', 'CURRENT_TIMESTAMP',
  'TIMESTAMPTZ', 'TIMESTAMP', 'DATE', 'TIME', 'TRUE', 'FALSE', 'NULL', 'number', 'string', 'function name',
  'column name',
])
const CONTINUATIONS = new Set([
  '(', '::', '[%*/]', '[+-]', '||', 'NOT', 'BETWEEN', 'IN', 'LIKE', 'ILIKE', 'ESCAPE', 'IS', 'AND', 'OR', '<=', '>=',
  '<>', '!=', '==', '=', '[<>]',
])
// Alternatives of SUBSTRING(s FROM a FOR b) that are noise when the plain call form is what failed.
const SECONDARY = new Set(['FROM', 'FOR'])
const COMPARISON_TOKEN = /^(?:<=|>=|<>|!=|==|=|<|>)$/

function syntaxError(source: string, error: PeggySyntaxError): ConfigError {
  const offset = error.location.start.offset
  const found = tokenAt(source, offset)
  const quote = source[offset]
  if (quote === "'" || quote === '"' || quote === '`') {
    const closing = source.indexOf(quote, offset + 1)
    if (closing < 0) {
      const what = quote === "'" ? 'string' : 'quoted name'
      return new ConfigError('expr.syntax', `syntax error: unterminated ${what} ${found}`, { offset })
    }
  }
  const keys = [...new Set((error.expected ?? []).map(expectationKey))]
  const hasOperand = keys.some((key) => OPERAND_STARTS.has(key) && !CONTINUATIONS.has(key))
  const hasOperator = keys.some((key) => CONTINUATIONS.has(key) && !OPERAND_STARTS.has(key))
  let others = keys.filter(
    (key) => key !== 'end' && !(hasOperand && OPERAND_STARTS.has(key)) && !(hasOperator && CONTINUATIONS.has(key)),
  )
  if (others.some((key) => !SECONDARY.has(key))) others = others.filter((key) => !SECONDARY.has(key))
  const parts = others.map(displayExpectation)
  if (hasOperand) parts.push('expression')
  if (parts.length === 0) {
    if (hasOperator) parts.push('an operator')
    if (keys.includes('end')) parts.push('end of expression')
  }
  const foundText = found === undefined ? 'end of expression' : found
  const message = `syntax error: expected ${joinAlternatives(parts)} but found ${foundText}`
  return new ConfigError('expr.syntax', message, { offset, hint: hintFor(source, offset, hasOperand, hasOperator) })
}

function hintFor(source: string, offset: number, hasOperand: boolean, hasOperator: boolean): string | undefined {
  const word = /^[A-Za-z_]\w*/.exec(source.slice(offset))?.[0]
  if (hasOperand && word !== undefined && RESERVED_WORDS.has(word.toUpperCase())) {
    return `${word.toUpperCase()} is a keyword; to use a column named ${word}, quote it: "${word}"`
  }
  const operator = /^[<>=!]+/.exec(source.slice(offset))?.[0]
  if (hasOperator && operator !== undefined && COMPARISON_TOKEN.test(operator)) {
    return 'comparisons do not chain: write a < b AND b < c'
  }
  return undefined
}

function expectationKey(expectation: PeggyExpectation): string {
  switch (expectation.type) {
    case 'literal':
      return expectation.ignoreCase ? (expectation.text ?? '').toUpperCase() : (expectation.text ?? '')
    case 'class':
      return `[${(expectation.parts ?? []).map((part) => (typeof part === 'string' ? part : part.join(''))).join('')}]`
    case 'other':
      return expectation.description ?? ''
    case 'end':
      return 'end'
    case 'any':
      return 'any character'
  }
}

function displayExpectation(key: string): string {
  if (key === 'type name' || key === 'column name' || key === 'function name' || key === 'number' || key === 'string') return key
  return `"${key}"`
}

function joinAlternatives(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? 'end of expression'
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`
}

const TOKEN = /^(?:[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[\w$]*|'(?:''|[^'])*'?|"(?:""|[^"])*"?|`(?:``|[^`])*`?|<=|>=|<>|!=|==|\|\||::|\S)/

/** The token at an offset, quoted for a message (`"FROM"`, `"'abc'"`), or undefined at the end. */
function tokenAt(source: string, offset: number): string | undefined {
  if (offset >= source.length) return undefined
  const token = TOKEN.exec(source.slice(offset))?.[0] ?? source[offset]
  const shown = token.length > 30 ? `${token.slice(0, 27)}...` : token
  return `"${shown}"`
}
