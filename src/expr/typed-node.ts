/**
 * The typed tree: what check-expression.ts makes of the syntax tree against a schema, and what
 * generate-code.ts turns into JavaScript. Every node knows its static type and whether it can be NULL;
 * implicit conversions are explicit `cast` nodes, so the generator never guesses.
 * Also the contract between the compiler and the function catalogue (functions.ts).
 */
import type { LogicalType, Value } from '../core/schema.js'
import type { CastTarget } from '../core/values.js'
import type { LikeMatcher } from './like-pattern.js'

/** A static type: a logical type, or `null` for an expression that is always NULL (`NULL`, `NULL + 1`). */
export type ExprType = LogicalType | 'null'

export type CompareOperator = '=' | '<>' | '<' | '<=' | '>' | '>='
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | 'div'

interface NodeBase {
  readonly type: ExprType
  /** False only when the node can never be NULL (a non-null literal, a NOT NULL column, ...). */
  readonly isNullable: boolean
  readonly start: number
  readonly end: number
}

export interface LiteralNode extends NodeBase {
  readonly kind: 'literal'
  readonly value: Value
}

export interface ColumnRefNode extends NodeBase {
  readonly kind: 'column'
  readonly index: number
  readonly name: string
}

export interface NotNode extends NodeBase {
  readonly kind: 'not'
  readonly operand: TypedNode
}

export interface LogicalNode extends NodeBase {
  readonly kind: 'and' | 'or'
  readonly left: TypedNode
  readonly right: TypedNode
}

/** `x IS [NOT] NULL`. */
export interface IsNullNode extends NodeBase {
  readonly kind: 'is_null'
  readonly operand: TypedNode
  readonly negated: boolean
}

/** `x IS [NOT] TRUE|FALSE`. */
export interface IsBoolNode extends NodeBase {
  readonly kind: 'is_bool'
  readonly operand: TypedNode
  readonly value: boolean
  readonly negated: boolean
}

export interface CompareNode extends NodeBase {
  readonly kind: 'compare'
  readonly op: CompareOperator
  readonly left: TypedNode
  readonly right: TypedNode
}

/** `a IS [NOT] DISTINCT FROM b`: comparison where NULL equals NULL. Never NULL. */
export interface DistinctNode extends NodeBase {
  readonly kind: 'distinct'
  readonly left: TypedNode
  readonly right: TypedNode
  readonly negated: boolean
}

/** `x IN (...)` when every list item is a non-null literal of x's type: a set lookup. */
export interface InSetNode extends NodeBase {
  readonly kind: 'in_set'
  readonly operand: TypedNode
  readonly values: readonly Value[]
  /** The list also held NULL: a value not found gives NULL instead of FALSE. */
  readonly hasNull: boolean
}

export interface LikeMatchNode extends NodeBase {
  readonly kind: 'like'
  readonly operand: TypedNode
  readonly pattern: TypedNode
  /** The escape character; backslash when ESCAPE is not given. */
  readonly escape: TypedNode
  readonly isCaseInsensitive: boolean
  /** Compiled at compile time when pattern and escape are literals. */
  readonly matcher: LikeMatcher | null
  readonly part: string
}

/** `a || b`: both text; NULL if either is NULL. */
export interface ConcatNode extends NodeBase {
  readonly kind: 'concat'
  readonly left: TypedNode
  readonly right: TypedNode
}

export interface ArithmeticNode extends NodeBase {
  readonly kind: 'arithmetic'
  readonly op: ArithmeticOperator
  readonly left: TypedNode
  readonly right: TypedNode
  /** The expression text, quoted in runtime errors (`division by zero in "a / b"`). */
  readonly part: string
}

export interface NegateNode extends NodeBase {
  readonly kind: 'negate'
  readonly operand: TypedNode
  readonly part: string
}

export interface CaseWhenNode extends NodeBase {
  readonly kind: 'case'
  readonly whens: readonly { readonly when: TypedNode; readonly then: TypedNode }[]
  readonly otherwise: TypedNode | null
}

/** CAST, TRY_CAST and implicit conversions; all behave as core/values.ts castValue. */
export interface CastNode extends NodeBase {
  readonly kind: 'cast'
  readonly operand: TypedNode
  readonly target: CastTarget
  readonly isTry: boolean
  readonly part: string
}

/** Evaluates `value` once and makes it available to `body` through `bound` nodes with the same id
 * (BETWEEN, simple CASE, IN and NULLIF read their operand several times). */
export interface BindNode extends NodeBase {
  readonly kind: 'bind'
  readonly id: number
  readonly value: TypedNode
  readonly body: TypedNode
}

export interface BoundNode extends NodeBase {
  readonly kind: 'bound'
  readonly id: number
}

export interface CallNode extends NodeBase {
  readonly kind: 'call'
  readonly fn: FunctionDefinition
  readonly args: readonly TypedNode[]
  /** What the function prepared at compile time (a compiled pattern, a unit, a JSON path). */
  readonly data: unknown
  readonly part: string
}

export type TypedNode =
  | LiteralNode
  | ColumnRefNode
  | NotNode
  | LogicalNode
  | IsNullNode
  | IsBoolNode
  | CompareNode
  | DistinctNode
  | InSetNode
  | LikeMatchNode
  | ConcatNode
  | ArithmeticNode
  | NegateNode
  | CaseWhenNode
  | CastNode
  | BindNode
  | BoundNode
  | CallNode

// ------------------------------------------------------------------------------ function catalogue

/** How a function argument is read. Conversions follow castValue; see docs/expressions.md. */
export type ParameterKind =
  /** Any type; a non-string is converted to its text form. */
  | 'text'
  /** An integer: int, bigint, or text converted to int. */
  | 'int'
  /** Any number type, kept; text is read as decimal. */
  | 'number'
  /** A float: other numbers and text are converted. */
  | 'float'
  /** date, time, timestamp, timestamptz; text is read as timestamp. */
  | 'temporal'
  /** json, or text holding JSON (parsed when evaluated). */
  | 'json'
  | 'bool'
  | 'any'

/** What a function's `check` can ask of the compiler. Errors it raises point at the offending argument. */
export interface CallChecker {
  readonly name: string
  readonly args: readonly TypedNode[]
  /** The argument converted to what `kind` asks for; throws ConfigError `expr.type` if it cannot be. */
  argument(index: number, kind: ParameterKind): TypedNode
  /** Arguments converted to their common type (numbers widen, dates widen, else text). */
  commonType(nodes: readonly TypedNode[]): { type: ExprType; nodes: TypedNode[] }
  /** The value of a string literal argument, or a ConfigError `expr.invalid_argument`. */
  literalText(index: number, what: string): string
  /** ConfigError `expr.invalid_argument` at the argument. */
  invalidArgument(index: number, message: string, hint?: string): never
  /** ConfigError `expr.type` at the argument. */
  typeError(index: number, message: string): never
  /** `left = right` etc. with the comparison rules of the language (types checked, literals adapted). */
  compare(op: CompareOperator, left: TypedNode, right: TypedNode, offset: number): TypedNode
  /** `left op right` with the arithmetic rules of the language. */
  arithmetic(op: ArithmeticOperator, left: TypedNode, right: TypedNode): TypedNode
  /** `CASE WHEN ... THEN ... ELSE ... END`; results converted to their common type. */
  caseWhen(whens: readonly { when: TypedNode; then: TypedNode }[], otherwise: TypedNode | null): TypedNode
  /** Evaluates `value` once for a body that refers to it several times. */
  bind(value: TypedNode, body: (ref: TypedNode) => TypedNode): TypedNode
  cast(node: TypedNode, type: LogicalType): TypedNode
  literal(value: Value, type: ExprType): TypedNode
  readonly start: number
  readonly end: number
  readonly part: string
}

export interface CheckedCall {
  readonly type: ExprType
  readonly args: readonly TypedNode[]
  readonly isNullable: boolean
  readonly data?: unknown
  /** The call is replaced by this node (MOD becomes `%`, NULLIF a CASE). */
  readonly replacement?: TypedNode
}

/** What a function's `generate` can ask of the code generator. */
export interface CallGenerator {
  /** JS expression evaluating a node to its value (null for NULL). */
  value(node: TypedNode): string
  /** JS expression that is true exactly when a bool node is TRUE. */
  truth(node: TypedNode): string
  /** A name in the generated function bound to `value` (a runtime function, a regex, a constant). */
  helper(value: unknown): string
  /** A fresh local variable. */
  temp(): string
  /** `null` if any argument is NULL, else `body(names of the argument values)`; arguments are evaluated
   * once, left to right, and evaluation stops at the first NULL. */
  strict(args: readonly TypedNode[], body: (refs: string[]) => string): string
  /** JS expression that is true when `a` and `b` (codes of non-null values of the given types) compare with `op`. */
  compare(op: CompareOperator, a: string, typeA: ExprType, b: string, typeB: ExprType): string
}

export interface FunctionDefinition {
  /** Upper-case name users write. */
  readonly name: string
  readonly minArgs: number
  readonly maxArgs: number
  /** `SUBSTRING(text, start [, length])`, for messages and docs. */
  readonly signature: string
  /** False for NOW(): such calls are never evaluated at compile time. */
  readonly isDeterministic: boolean
  check(call: CallChecker): CheckedCall
  generate(gen: CallGenerator, call: CallNode): string
}
