// Types of the parser that scripts/generate-grammars.mjs generates from sql.peggy (sql.generated.js is
// build output and not in git). Hand-written: keep in step with what parse-expression.ts uses.

export interface PeggyExpectation {
  readonly type: 'literal' | 'class' | 'any' | 'end' | 'other'
  readonly text?: string
  readonly ignoreCase?: boolean
  readonly parts?: readonly (string | readonly [string, string])[]
  readonly inverted?: boolean
  readonly description?: string
}

export class SyntaxError extends Error {
  readonly expected: readonly PeggyExpectation[] | null
  readonly found: string | null
  readonly location: { readonly start: { readonly offset: number }; readonly end: { readonly offset: number } }
}

export function parse(input: string, options?: { readonly grammarSource?: string }): unknown
