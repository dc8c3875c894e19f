/**
 * The expression language's public API: compile an expression or a condition against a schema into a
 * function over rows. See README.md in this folder and docs/expressions.md for the language.
 */
import { ConfigError } from '../core/errors.js'
import type { LogicalType, Row, Schema, Value } from '../core/schema.js'
import type { ColumnNode } from './ast.js'
import { checkExpression, checkFunctionCalls, visit } from './check-expression.js'
import { generateEvaluator, generateTest } from './generate-code.js'
import { parseExpression } from './parse-expression.js'

export { FUNCTION_NAMES } from './functions.js'
export type { ExprType } from './typed-node.js'

export interface CompiledExpression {
  readonly source: string
  /** Static result type; `null` when the expression is always NULL. */
  readonly type: LogicalType | 'null'
  /** Column names the expression reads (as in the schema), in order of first use. */
  readonly columns: readonly string[]
  /** The generated function itself. Throws RecordError when one row cannot be evaluated. */
  evaluate(row: Row): Value
}

export interface CompiledCondition {
  readonly source: string
  readonly columns: readonly string[]
  /** The generated function itself: true when the condition is TRUE; FALSE and NULL give false.
   * Throws RecordError when one row cannot be evaluated. */
  test(row: Row): boolean
}

/** Compiles an expression against a schema. Throws ConfigError (`expr.*`) with `offset` set. */
export function compileExpression(source: string, schema: Schema): CompiledExpression {
  const { node, columns } = checkExpression(parseExpression(source), source, schema)
  return { source, type: node.type, columns, evaluate: generateEvaluator(node) }
}

/** Compiles a condition (filter, switch case). Like compileExpression, and the result must be a bool. */
export function compileCondition(source: string, schema: Schema): CompiledCondition {
  const { node, columns } = checkExpression(parseExpression(source), source, schema)
  if (node.type !== 'bool' && node.type !== 'null') {
    throw new ConfigError('expr.type', `condition must be a bool, got ${node.type}`, {
      offset: node.start,
      hint: 'compare the value, for example: status = \'active\'',
    })
  }
  return { source, columns, test: generateTest(node) }
}

/**
 * Checks what can be checked without a schema (for lint): syntax, function names and argument counts.
 * Throws ConfigError with `offset` set.
 */
export function checkSyntax(source: string): void {
  checkFunctionCalls(parseExpression(source))
}

/** Column names an expression uses, as written, in order of first use. Throws ConfigError on a syntax error. */
export function referencedColumns(source: string): string[] {
  const names: string[] = []
  visit(parseExpression(source), (node) => {
    if (node.kind === 'column' && !names.includes((node as ColumnNode).name)) names.push((node as ColumnNode).name)
  })
  return names
}
