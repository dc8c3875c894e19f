/**
 * The syntax tree the grammar (sql.peggy) builds: what was written, before any type is known.
 * Every node carries `start`/`end`, character offsets into the expression source, so that errors
 * point at the place (ConfigError `offset`) and runtime errors can quote the part that failed.
 */

export interface SourceRange {
  readonly start: number
  readonly end: number
}

export type BinaryOperator =
  | 'OR'
  | 'AND'
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | '||'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'

export interface NumberNode extends SourceRange {
  readonly kind: 'number'
  /** As written, with a leading `-` when a minus sign was folded into the literal. */
  readonly text: string
}

export interface StringNode extends SourceRange {
  readonly kind: 'string'
  readonly value: string
}

export interface BooleanNode extends SourceRange {
  readonly kind: 'boolean'
  readonly value: boolean
}

export interface NullNode extends SourceRange {
  readonly kind: 'null'
}

/** `DATE '2024-01-31'`, `TIMESTAMP '...'`, `TIMESTAMPTZ '...'`, `TIME '...'`. */
export interface TypedLiteralNode extends SourceRange {
  readonly kind: 'typed_literal'
  readonly typeName: 'date' | 'time' | 'timestamp' | 'timestamptz'
  readonly text: string
}

export interface ColumnNode extends SourceRange {
  readonly kind: 'column'
  readonly name: string
  /** Written in double quotes or backticks: matched exactly, never case-insensitively. */
  readonly isQuoted: boolean
}

export interface UnaryNode extends SourceRange {
  readonly kind: 'unary'
  readonly op: '-' | '+' | 'NOT'
  readonly operand: AstNode
}

export interface BinaryNode extends SourceRange {
  readonly kind: 'binary'
  readonly op: BinaryOperator
  /** Offset of the operator, where type errors about the operation point. */
  readonly opStart: number
  readonly left: AstNode
  readonly right: AstNode
}

/** `x IS [NOT] NULL|TRUE|FALSE`, `x IS [NOT] DISTINCT FROM y`. */
export interface IsNode extends SourceRange {
  readonly kind: 'is'
  readonly test: 'null' | 'true' | 'false' | 'distinct'
  readonly negated: boolean
  readonly operand: AstNode
  /** The right-hand side of DISTINCT FROM. */
  readonly right: AstNode | null
}

export interface BetweenNode extends SourceRange {
  readonly kind: 'between'
  readonly negated: boolean
  readonly operand: AstNode
  readonly low: AstNode
  readonly high: AstNode
}

export interface InNode extends SourceRange {
  readonly kind: 'in'
  readonly negated: boolean
  readonly operand: AstNode
  readonly list: readonly AstNode[]
}

export interface LikeNode extends SourceRange {
  readonly kind: 'like'
  readonly negated: boolean
  readonly isCaseInsensitive: boolean
  readonly operand: AstNode
  readonly pattern: AstNode
  readonly escape: AstNode | null
}

export interface CaseNode extends SourceRange {
  readonly kind: 'case'
  /** The `x` of `CASE x WHEN v THEN ...`; null for the searched form `CASE WHEN cond THEN ...`. */
  readonly operand: AstNode | null
  readonly whens: readonly { readonly when: AstNode; readonly then: AstNode }[]
  readonly otherwise: AstNode | null
}

export interface TypeNameNode extends SourceRange {
  readonly text: string
}

/** `CAST(x AS type)`, `TRY_CAST(x AS type)` and `x::type`. */
export interface CastNode extends SourceRange {
  readonly kind: 'cast'
  readonly operand: AstNode
  readonly typeName: TypeNameNode
  readonly isTry: boolean
}

export interface CallNode extends SourceRange {
  readonly kind: 'call'
  /** As written (`upper`); function names are case-insensitive. */
  readonly name: string
  readonly nameStart: number
  readonly args: readonly AstNode[]
}

export type AstNode =
  | NumberNode
  | StringNode
  | BooleanNode
  | NullNode
  | TypedLiteralNode
  | ColumnNode
  | UnaryNode
  | BinaryNode
  | IsNode
  | BetweenNode
  | InNode
  | LikeNode
  | CaseNode
  | CastNode
  | CallNode
