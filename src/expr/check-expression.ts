/**
 * Syntax tree + schema -> typed tree (typed-node.ts). Resolves columns and functions, gives every node
 * its static type, makes implicit conversions explicit, adapts string literals to the type they are
 * compared with (`created_at > '2024-01-01'` compares timestamps) and folds constant parts.
 * Every error is a ConfigError whose `offset` points into the source (invariant 4).
 */
import { normalizeDecimal } from '../core/decimal.js'
import { ConfigError } from '../core/errors.js'
import { parseTypeName, TYPE_NAMES, type Column, type LogicalType, type Schema, type Value } from '../core/schema.js'
import { didYouMean } from '../core/suggest.js'
import { BIGINT_MAX, BIGINT_MIN, castValue, INT_MAX, INT_MIN, type CastTarget } from '../core/values.js'
import type { AstNode, BinaryNode, CallNode as AstCallNode } from './ast.js'
import { isComparable, isDatetimeType, isNumericType } from './compare-values.js'
import { FUNCTIONS, FUNCTION_NAMES } from './functions.js'
import { evaluateConstant } from './generate-code.js'
import { compileLikePattern } from './like-pattern.js'
import type {
  ArithmeticOperator,
  CallChecker,
  CheckedCall,
  CompareOperator,
  ExprType,
  FunctionDefinition,
  LiteralNode,
  ParameterKind,
  TypedNode,
} from './typed-node.js'

export interface CheckedExpression {
  readonly node: TypedNode
  /** Names of the columns the expression reads, in order of first use. */
  readonly columns: readonly string[]
}

export function checkExpression(ast: AstNode, source: string, schema: Schema): CheckedExpression {
  const checker = new Checker(source, schema)
  const node = checker.check(ast)
  return { node, columns: checker.columns }
}

/** Checks function names and argument counts only: what can be checked without a schema. */
export function checkFunctionCalls(ast: AstNode): void {
  visit(ast, (node) => {
    if (node.kind === 'call') checkArgumentCount(node, lookupFunction(node))
  })
}

/** Calls `visitor` on every node of a syntax tree, parents first. */
export function visit(node: AstNode, visitor: (node: AstNode) => void): void {
  visitor(node)
  for (const child of astChildren(node)) visit(child, visitor)
}

function astChildren(node: AstNode): AstNode[] {
  switch (node.kind) {
    case 'unary':
      return [node.operand]
    case 'binary':
      return [node.left, node.right]
    case 'is':
      return node.right === null ? [node.operand] : [node.operand, node.right]
    case 'between':
      return [node.operand, node.low, node.high]
    case 'in':
      return [node.operand, ...node.list]
    case 'like':
      return node.escape === null ? [node.operand, node.pattern] : [node.operand, node.pattern, node.escape]
    case 'case':
      return [
        ...(node.operand === null ? [] : [node.operand]),
        ...node.whens.flatMap((clause) => [clause.when, clause.then]),
        ...(node.otherwise === null ? [] : [node.otherwise]),
      ]
    case 'cast':
      return [node.operand]
    case 'call':
      return [...node.args]
    default:
      return []
  }
}

function lookupFunction(node: AstCallNode): FunctionDefinition {
  const fn = FUNCTIONS.get(node.name.toUpperCase())
  if (fn === undefined) {
    throw new ConfigError('expr.unknown_function', `unknown function "${node.name}" in expression${didYouMean(node.name, FUNCTION_NAMES)}`, {
      offset: node.nameStart,
    })
  }
  return fn
}

function checkArgumentCount(node: AstCallNode, fn: FunctionDefinition): void {
  const count = node.args.length
  if (count >= fn.minArgs && count <= fn.maxArgs) return
  const name = node.name.toUpperCase()
  const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments')
  const expected =
    fn.maxArgs === Infinity
      ? `at least ${fn.minArgs} ${plural(fn.minArgs)}`
      : fn.minArgs === fn.maxArgs
        ? `${fn.minArgs} ${plural(fn.minArgs)}`
        : `${fn.minArgs} to ${fn.maxArgs} arguments`
  throw new ConfigError('expr.argument_count', `${name} takes ${expected}, got ${count}`, {
    offset: node.nameStart,
    hint: `usage: ${fn.signature}`,
  })
}

const NUMERIC_RANK: Readonly<Record<string, number>> = { int: 0, bigint: 1, decimal: 2, float: 3 }
const DATETIME_RANK: Readonly<Record<string, number>> = { date: 0, timestamp: 1, timestamptz: 2 }
const NUMBER_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/
/** Types whose literals a JavaScript Set (SameValueZero) tells apart exactly: IN lists become set lookups. */
const SET_TYPES: ReadonlySet<ExprType> = new Set(['int', 'bigint', 'float', 'string', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid'])
const ARITHMETIC_NAMES: Readonly<Record<ArithmeticOperator, string>> = { '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', div: 'DIV' }

/** The literal a number is written as: int or bigint by range, decimal with a point, float with an exponent. */
function numberLiteral(text: string): { value: Value; type: LogicalType } {
  if (/[eE]/.test(text)) return { value: Number(text), type: 'float' }
  if (text.includes('.')) return { value: normalizeDecimal(text) ?? text, type: 'decimal' }
  const n = BigInt(text)
  if (n >= BigInt(INT_MIN) && n <= BigInt(INT_MAX)) return { value: Number(n), type: 'int' }
  if (n >= BIGINT_MIN && n <= BIGINT_MAX) return { value: n, type: 'bigint' }
  return { value: normalizeDecimal(text) ?? text, type: 'decimal' }
}

function widest(a: ExprType, b: ExprType): ExprType | undefined {
  if (a === b) return a
  if (a === 'null') return b
  if (b === 'null') return a
  if (isNumericType(a) && isNumericType(b)) return NUMERIC_RANK[a] > NUMERIC_RANK[b] ? a : b
  if (isDatetimeType(a) && isDatetimeType(b)) return DATETIME_RANK[a] > DATETIME_RANK[b] ? a : b
  return undefined
}

function isStringLiteral(node: TypedNode): node is LiteralNode & { value: string } {
  return node.kind === 'literal' && node.type === 'string' && typeof node.value === 'string'
}

class Checker {
  readonly columns: string[] = []
  private nextBindId = 0

  constructor(
    private readonly source: string,
    private readonly schema: Schema,
  ) {}

  private part(node: { start: number; end: number }): string {
    return this.source.slice(node.start, node.end)
  }

  private error(code: string, message: string, offset: number, hint?: string): never {
    throw new ConfigError(code, message, { offset, hint })
  }

  check(node: AstNode): TypedNode {
    return this.fold(this.checkNode(node))
  }

  private checkNode(node: AstNode): TypedNode {
    const range = { start: node.start, end: node.end }
    switch (node.kind) {
      case 'number': {
        const { value, type } = numberLiteral(node.text)
        return { kind: 'literal', value, type, isNullable: false, ...range }
      }
      case 'string':
        return { kind: 'literal', value: node.value, type: 'string', isNullable: false, ...range }
      case 'boolean':
        return { kind: 'literal', value: node.value, type: 'bool', isNullable: false, ...range }
      case 'null':
        return { kind: 'literal', value: null, type: 'null', isNullable: true, ...range }
      case 'typed_literal': {
        let value: Value
        try {
          value = castValue(node.text, node.typeName)
        } catch {
          return this.error('expr.invalid_literal', `invalid ${node.typeName} ${JSON.stringify(node.text)}`, node.start)
        }
        return { kind: 'literal', value, type: node.typeName, isNullable: false, ...range }
      }
      case 'column': {
        const { column, index } = this.resolveColumn(node.name, node.isQuoted, node.start)
        if (!this.columns.includes(column.name)) this.columns.push(column.name)
        return { kind: 'column', index, name: column.name, type: column.type, isNullable: column.nullable !== false, ...range }
      }
      case 'unary': {
        const operand = this.check(node.operand)
        if (node.op === 'NOT') {
          this.expectBool(operand, 'NOT')
          return { kind: 'not', operand, type: operand.type === 'null' ? 'null' : 'bool', isNullable: operand.isNullable, ...range }
        }
        const number = this.numericOperand(operand, node.op, node.start)
        if (node.op === '+') return number
        return { kind: 'negate', operand: number, type: number.type, isNullable: number.isNullable, part: this.part(node), ...range }
      }
      case 'binary':
        return this.checkBinary(node)
      case 'is': {
        const operand = this.check(node.operand)
        if (node.test === 'null') return { kind: 'is_null', operand, negated: node.negated, type: 'bool', isNullable: false, ...range }
        if (node.test === 'distinct') {
          const [left, right] = this.comparablePair(operand, this.check(node.right as AstNode), node.start)
          return { kind: 'distinct', left, right, negated: node.negated, type: 'bool', isNullable: false, ...range }
        }
        this.expectBool(operand, `IS ${node.negated ? 'NOT ' : ''}${node.test.toUpperCase()}`)
        return { kind: 'is_bool', operand, value: node.test === 'true', negated: node.negated, type: 'bool', isNullable: false, ...range }
      }
      case 'between': {
        const operand = this.check(node.operand)
        const low = this.check(node.low)
        const high = this.check(node.high)
        const between = this.bind(operand, (ref) =>
          this.logical('and', this.compare('>=', ref, low, node.start), this.compare('<=', ref, high, node.start), range),
        )
        return node.negated ? this.negated(between, range) : between
      }
      case 'in': {
        const found = this.checkIn(this.check(node.operand), node.list.map((item) => this.check(item)), node.start, range)
        return node.negated ? this.negated(found, range) : found
      }
      case 'like':
        return this.checkLike(node)
      case 'case': {
        const whens = node.whens.map((clause) => ({ when: this.check(clause.when), then: this.check(clause.then) }))
        const otherwise = node.otherwise === null ? null : this.check(node.otherwise)
        if (node.operand === null) {
          for (const clause of whens) this.expectBool(clause.when, 'WHEN')
          return this.caseWhen(whens, otherwise, range)
        }
        const operand = this.check(node.operand)
        return this.bind(operand, (ref) =>
          this.caseWhen(
            whens.map((clause) => ({ when: this.compare('=', ref, clause.when, clause.when.start), then: clause.then })),
            otherwise,
            range,
          ),
        )
      }
      case 'cast': {
        const operand = this.check(node.operand)
        const parsed = parseTypeName(node.typeName.text)
        if (parsed === undefined) {
          const name = node.typeName.text.replace(/\(.*$/, '').trim()
          return this.error('expr.unknown_type', `unknown type "${node.typeName.text}" in CAST${didYouMean(name, TYPE_NAMES)}`, node.typeName.start)
        }
        const target: CastTarget = operand.kind === 'column' ? { ...parsed, name: operand.name } : parsed
        return {
          kind: 'cast',
          operand,
          target,
          isTry: node.isTry,
          type: parsed.type,
          isNullable: operand.isNullable || node.isTry,
          part: this.part(node),
          ...range,
        }
      }
      case 'call':
        return this.checkCall(node)
    }
  }

  private resolveColumn(name: string, isQuoted: boolean, offset: number): { column: Column; index: number } {
    const columns = this.schema.columns
    for (let i = 0; i < columns.length; i++) if (columns[i].name === name) return { column: columns[i], index: i }
    if (!isQuoted) {
      // A bare name also finds a column that differs only in case, when only one does.
      const lower = name.toLowerCase()
      const matches = columns.map((column, index) => ({ column, index })).filter(({ column }) => column.name.toLowerCase() === lower)
      if (matches.length === 1) return matches[0]
    }
    const names = columns.map((column) => column.name)
    return this.error('expr.unknown_column', `unknown column "${name}" in expression${didYouMean(name, names)}`, offset)
  }

  private expectBool(node: TypedNode, what: string): void {
    if (node.type !== 'bool' && node.type !== 'null') {
      this.error('expr.type', `${what} expects a bool, got ${node.type}`, node.start)
    }
  }

  private numericOperand(node: TypedNode, op: string, offset: number): TypedNode {
    if (isNumericType(node.type) || node.type === 'null') return node
    if (node.type === 'string') return this.castTo(node, 'decimal', this.part(node))
    return this.error('expr.type', `cannot apply ${op} to ${node.type}`, offset)
  }

  private negated(node: TypedNode, range: { start: number; end: number }): TypedNode {
    return { kind: 'not', operand: node, type: node.type === 'null' ? 'null' : 'bool', isNullable: node.isNullable, ...range }
  }

  private logical(kind: 'and' | 'or', left: TypedNode, right: TypedNode, range: { start: number; end: number }): TypedNode {
    return this.fold({ kind, left, right, type: 'bool', isNullable: left.isNullable || right.isNullable, ...range })
  }

  private checkBinary(node: BinaryNode): TypedNode {
    const range = { start: node.start, end: node.end }
    const left = this.check(node.left)
    const right = this.check(node.right)
    switch (node.op) {
      case 'AND':
      case 'OR':
        this.expectBool(left, node.op)
        this.expectBool(right, node.op)
        return this.logical(node.op === 'AND' ? 'and' : 'or', left, right, range)
      case '=':
      case '<>':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.compare(node.op, left, right, node.opStart, range)
      case '||': {
        const part = this.part(node)
        const text = (operand: TypedNode): TypedNode => (operand.type === 'string' || operand.type === 'null' ? operand : this.castTo(operand, 'string', part))
        const [a, b] = [text(left), text(right)]
        return this.fold({ kind: 'concat', left: a, right: b, type: 'string', isNullable: a.isNullable || b.isNullable, ...range })
      }
      default:
        return this.arithmetic(node.op, left, right, node.opStart, range)
    }
  }

  // ------------------------------------------------------------------------------------ comparisons

  /**
   * A string literal meeting a typed value becomes a literal of that type, as in PostgreSQL
   * (`d > '2024-01-01'`). For numbers only text that is a number is converted: `'abc' > 9` stays a
   * text comparison. For other types a literal that does not convert is an error.
   */
  private adaptLiteral(node: TypedNode, type: ExprType, isStrict: boolean): TypedNode | undefined {
    if (!isStringLiteral(node) || type === 'string' || type === 'json' || type === 'null' || type === 'bytes') return node
    const text = node.value
    if (isNumericType(type)) {
      if (!NUMBER_TEXT.test(text)) return node
      const trimmed = text.trim().replace(/^\+/, '')
      const literal = type === 'float' ? { value: Number(trimmed), type: 'float' as const } : numberLiteral(trimmed)
      return { ...node, ...literal }
    }
    try {
      return { ...node, value: castValue(text, type), type }
    } catch (error) {
      if (!isStrict) return undefined
      const message = `invalid ${type} ${JSON.stringify(text)}`
      return this.error('expr.invalid_literal', message, node.start, (error as Error).message === message ? undefined : (error as Error).message)
    }
  }

  private comparablePair(left: TypedNode, right: TypedNode, offset: number): [TypedNode, TypedNode] {
    const a = this.adaptLiteral(left, right.type, true) as TypedNode
    const b = this.adaptLiteral(right, a.type, true) as TypedNode
    if (!isComparable(a.type, b.type)) this.error('expr.type', `cannot compare ${a.type} with ${b.type}`, offset)
    return [a, b]
  }

  compare(op: CompareOperator, left: TypedNode, right: TypedNode, offset: number, range?: { start: number; end: number }): TypedNode {
    const [a, b] = this.comparablePair(left, right, offset)
    const where = range ?? { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) }
    const type = a.type === 'null' || b.type === 'null' ? 'null' : 'bool'
    return this.fold({ kind: 'compare', op, left: a, right: b, type, isNullable: a.isNullable || b.isNullable, ...where })
  }

  private checkIn(operand: TypedNode, list: TypedNode[], offset: number, range: { start: number; end: number }): TypedNode {
    const items = list.map((item) => this.adaptNumber(this.adaptLiteral(item, operand.type, true) as TypedNode, operand.type))
    for (const item of items) {
      if (!isComparable(operand.type, item.type)) this.error('expr.type', `cannot compare ${operand.type} with ${item.type} in IN list`, item.start)
    }
    const isSet = SET_TYPES.has(operand.type) && items.every((item) => item.kind === 'literal' && (item.value === null || item.type === operand.type))
    if (isSet) {
      const values = items.filter((item) => item.kind === 'literal' && item.value !== null).map((item) => (item as LiteralNode).value)
      const hasNull = values.length < items.length
      if (values.length === 0) return { kind: 'literal', value: null, type: 'bool', isNullable: true, ...range }
      return this.fold({ kind: 'in_set', operand, values: [...new Set(values)], hasNull, type: 'bool', isNullable: operand.isNullable || hasNull, ...range })
    }
    // x IN (a, b) is x = a OR x = b, NULL semantics included.
    return this.bind(operand, (ref) =>
      items.map((item) => this.compare('=', ref, item, offset)).reduce((found, next) => this.logical('or', found, next, range)),
    )
  }

  /** A number literal in the operand's number type when that is exact (`bigint_col IN (1, 2)`). */
  private adaptNumber(node: TypedNode, type: ExprType): TypedNode {
    if (node.kind !== 'literal' || node.value === null || node.type === type) return node
    if (node.type === 'int' && type === 'bigint') return { ...node, value: BigInt(node.value as number), type }
    if (node.type === 'int' && type === 'float') return { ...node, type }
    return node
  }

  private checkLike(node: Extract<AstNode, { kind: 'like' }>): TypedNode {
    const range = { start: node.start, end: node.end }
    const part = this.part(node)
    const text = (operand: TypedNode): TypedNode => (operand.type === 'string' || operand.type === 'null' ? operand : this.castTo(operand, 'string', part))
    const operand = text(this.check(node.operand))
    const pattern = text(this.check(node.pattern))
    const escape: TypedNode =
      node.escape === null
        ? { kind: 'literal', value: '\\', type: 'string', isNullable: false, start: node.end, end: node.end }
        : text(this.check(node.escape))
    let matcher = null
    if (isStringLiteral(pattern) && isStringLiteral(escape)) {
      try {
        matcher = compileLikePattern(pattern.value, escape.value, node.isCaseInsensitive)
      } catch (error) {
        const at = /ESCAPE/.test((error as Error).message) ? escape.start : pattern.start
        this.error('expr.invalid_argument', (error as Error).message, at)
      }
    }
    const like: TypedNode = this.fold({
      kind: 'like',
      operand,
      pattern,
      escape,
      isCaseInsensitive: node.isCaseInsensitive,
      matcher,
      part,
      type: 'bool',
      isNullable: operand.isNullable || pattern.isNullable || escape.isNullable,
      ...range,
    })
    return node.negated ? this.negated(like, range) : like
  }

  // ----------------------------------------------------------------------------------- conversions

  /** Converts a node to `type`: a literal at once, anything else through a cast node. */
  castTo(node: TypedNode, type: LogicalType, part: string): TypedNode {
    if (node.type === type || node.type === 'null') return node
    const target: CastTarget = node.kind === 'column' ? { type, name: node.name } : { type }
    return this.fold({ kind: 'cast', operand: node, target, isTry: false, type, isNullable: node.isNullable, part, start: node.start, end: node.end })
  }

  /**
   * The common type of several values (CASE results, COALESCE, GREATEST...): numbers widen to the
   * widest number type, dates to the widest of date < timestamp < timestamptz; string literals take
   * the others' type when they convert; any other mix with a string is text.
   */
  commonType(nodes: readonly TypedNode[], what: string, part: string): { type: ExprType; nodes: TypedNode[] } {
    let type: ExprType = 'null'
    let isText = false
    let conflict: TypedNode | undefined
    for (const node of nodes) {
      if (isStringLiteral(node) || node.type === 'null') continue
      if (node.type === 'string') {
        isText = true
        continue
      }
      const next = widest(type, node.type)
      if (next === undefined) conflict ??= node
      else type = next
    }
    if (!isText && conflict !== undefined) this.error('expr.type', `cannot mix ${type} and ${conflict.type} in ${what}`, conflict.start)
    let adapted: TypedNode[] = [...nodes]
    if (isText || (type === 'null' && nodes.some(isStringLiteral))) {
      type = 'string'
    } else if (type !== 'null') {
      const target = type
      const converted = nodes.map((node) => this.adaptLiteral(node, target, false))
      // A string literal that does not convert (COALESCE(d, 'never')) makes the result text.
      if (converted.some((node) => node === undefined || isStringLiteral(node))) type = 'string'
      else adapted = converted as TypedNode[]
    }
    const finalType = type
    return {
      type: finalType,
      nodes: adapted.map((node) => (finalType === 'null' || node.type === finalType ? node : this.castTo(node, finalType, part))),
    }
  }

  caseWhen(
    whens: readonly { when: TypedNode; then: TypedNode }[],
    otherwise: TypedNode | null,
    range: { start: number; end: number },
  ): TypedNode {
    const part = this.part(range)
    const results = [...whens.map((clause) => clause.then), ...(otherwise === null ? [] : [otherwise])]
    const { type, nodes } = this.commonType(results, 'CASE', part)
    const converted = whens.map((clause, i) => ({ when: clause.when, then: nodes[i] }))
    const elseNode = otherwise === null ? null : nodes[nodes.length - 1]
    const isNullable = elseNode === null || elseNode.isNullable || converted.some((clause) => clause.then.isNullable)
    return this.fold({ kind: 'case', whens: converted, otherwise: elseNode, type, isNullable, ...range })
  }

  bind(value: TypedNode, body: (ref: TypedNode) => TypedNode): TypedNode {
    if (value.kind === 'literal' || value.kind === 'column' || value.kind === 'bound') return body(value)
    const id = this.nextBindId++
    const ref: TypedNode = { kind: 'bound', id, type: value.type, isNullable: value.isNullable, start: value.start, end: value.end }
    const result = body(ref)
    return { kind: 'bind', id, value, body: result, type: result.type, isNullable: result.isNullable, start: result.start, end: result.end }
  }

  // ------------------------------------------------------------------------------------- arithmetic

  arithmetic(op: ArithmeticOperator, left: TypedNode, right: TypedNode, offset: number, range: { start: number; end: number }): TypedNode {
    const part = this.part(range)
    const name = ARITHMETIC_NAMES[op]
    // date + int, int + date, date - int: days; date - date: days between.
    if (op === '+' || op === '-') {
      const isDays = (node: TypedNode): boolean => node.type === 'int' || node.type === 'bigint'
      if ((left.type === 'date' && isDays(right)) || (op === '+' && isDays(left) && right.type === 'date')) {
        const days = (node: TypedNode): TypedNode => this.castTo(node, 'int', part)
        const [a, b] = left.type === 'date' ? [left, days(right)] : [days(left), right]
        return this.fold({ kind: 'arithmetic', op, left: a, right: b, type: 'date', isNullable: a.isNullable || b.isNullable, part, ...range })
      }
      if (op === '-' && left.type === 'date' && right.type === 'date') {
        return this.fold({ kind: 'arithmetic', op, left, right, type: 'int', isNullable: left.isNullable || right.isNullable, part, ...range })
      }
    }
    let a = this.adaptLiteral(left, right.type, true) as TypedNode
    let b = this.adaptLiteral(right, a.type, true) as TypedNode
    if (a.type === 'string' && b.type === 'string') {
      this.error('expr.type', `cannot apply ${name} to string and string`, offset, op === '+' ? 'join strings with || or CONCAT' : 'CAST the operands to a number type')
    }
    const operandType = (node: TypedNode, other: TypedNode): ExprType => {
      if (node.type === 'string') return other.type === 'float' ? 'float' : 'decimal'
      return node.type
    }
    const typeA = operandType(a, b)
    const typeB = operandType(b, a)
    for (const type of [typeA, typeB]) {
      if (type !== 'null' && !isNumericType(type)) {
        this.error('expr.type', `cannot apply ${name} to ${a.type} and ${b.type}`, offset)
      }
    }
    let type = widest(typeA, typeB) as ExprType
    if (op === '/' && (type === 'int' || type === 'bigint')) type = 'float'
    if (type === 'null') return { kind: 'literal', value: null, type: 'null', isNullable: true, ...range }
    a = this.castTo(a, type as LogicalType, part)
    b = this.castTo(b, type as LogicalType, part)
    return this.fold({ kind: 'arithmetic', op, left: a, right: b, type, isNullable: a.isNullable || b.isNullable, part, ...range })
  }

  // -------------------------------------------------------------------------------------- functions

  private checkCall(node: AstCallNode): TypedNode {
    const fn = lookupFunction(node)
    checkArgumentCount(node, fn)
    const args = node.args.map((arg) => this.check(arg))
    const checker = new FunctionCallChecker(this, node.name.toUpperCase(), args, this.part(node), node)
    const checked: CheckedCall = fn.check(checker)
    if (checked.replacement !== undefined) return checked.replacement
    return this.fold({
      kind: 'call',
      fn,
      args: checked.args,
      data: checked.data,
      part: this.part(node),
      type: checked.type,
      isNullable: checked.isNullable,
      start: node.start,
      end: node.end,
    })
  }

  // ---------------------------------------------------------------------------------------- folding

  /** A node whose inputs are all literals is evaluated now, unless evaluating fails (then it fails per row). */
  fold(node: TypedNode): TypedNode {
    if (!isFoldable(node)) return node
    try {
      const value = evaluateConstant(node)
      return { kind: 'literal', value, type: node.type, isNullable: value === null, start: node.start, end: node.end }
    } catch {
      // Left to fail at run time on each row: it may sit in a branch no row reaches.
      return node
    }
  }
}

function typedChildren(node: TypedNode): readonly TypedNode[] | undefined {
  switch (node.kind) {
    case 'not':
    case 'is_null':
    case 'is_bool':
    case 'in_set':
    case 'negate':
    case 'cast':
      return [node.operand]
    case 'and':
    case 'or':
    case 'compare':
    case 'distinct':
    case 'concat':
    case 'arithmetic':
      return [node.left, node.right]
    case 'like':
      return [node.operand, node.pattern, node.escape]
    case 'case':
      return [...node.whens.flatMap((clause) => [clause.when, clause.then]), ...(node.otherwise === null ? [] : [node.otherwise])]
    case 'call':
      return node.fn.isDeterministic ? node.args : undefined
    default:
      return undefined
  }
}

function isFoldable(node: TypedNode): boolean {
  const children = typedChildren(node)
  return children !== undefined && children.every((child) => child.kind === 'literal')
}

/** The compiler side of CallChecker for one call. */
class FunctionCallChecker implements CallChecker {
  readonly start: number
  readonly end: number

  constructor(
    private readonly checker: Checker,
    readonly name: string,
    readonly args: readonly TypedNode[],
    readonly part: string,
    private readonly call: AstCallNode,
  ) {
    this.start = call.start
    this.end = call.end
  }

  private offsetOf(index: number): number {
    return this.args[index]?.start ?? this.call.nameStart
  }

  argument(index: number, kind: ParameterKind): TypedNode {
    const node = this.args[index]
    const type = node.type
    if (type === 'null' || kind === 'any') return node
    const convert = (to: LogicalType): TypedNode => this.checker.castTo(node, to, this.part)
    switch (kind) {
      case 'text':
        return type === 'string' ? node : convert('string')
      case 'int':
        if (type === 'int') return node
        if (type === 'bigint' || type === 'string') return convert('int')
        if (node.kind === 'literal' && type === 'decimal' && /^-?\d+(\.0*)?$/.test(String(node.value))) return convert('int')
        return this.typeError(index, `${this.name} argument ${index + 1} must be an integer, got ${type}`)
      case 'number':
        if (isNumericType(type)) return node
        if (type === 'string') return convert('decimal')
        return this.typeError(index, `${this.name} argument ${index + 1} must be a number, got ${type}`)
      case 'float':
        if (isNumericType(type) || type === 'string') return convert('float')
        return this.typeError(index, `${this.name} argument ${index + 1} must be a number, got ${type}`)
      case 'temporal':
        if (type === 'date' || type === 'time' || type === 'timestamp' || type === 'timestamptz') return node
        if (type === 'string') return convert('timestamp')
        return this.typeError(index, `${this.name} argument ${index + 1} must be a date, time or timestamp, got ${type}`)
      case 'json':
        if (type === 'json' || type === 'string') return node
        return this.typeError(index, `${this.name} argument ${index + 1} must be json or text, got ${type}`)
      case 'bool':
        if (type === 'bool') return node
        return this.typeError(index, `${this.name} argument ${index + 1} must be a bool, got ${type}`)
    }
  }

  commonType(nodes: readonly TypedNode[]): { type: ExprType; nodes: TypedNode[] } {
    return this.checker.commonType(nodes, this.name, this.part)
  }

  literalText(index: number, what: string): string {
    const node = this.args[index]
    if (node.kind === 'literal' && typeof node.value === 'string' && node.type === 'string') return node.value
    return this.invalidArgument(index, `${this.name} needs ${what} as a string literal`)
  }

  invalidArgument(index: number, message: string, hint?: string): never {
    throw new ConfigError('expr.invalid_argument', message, { offset: this.offsetOf(index), hint })
  }

  typeError(index: number, message: string): never {
    throw new ConfigError('expr.type', message, { offset: this.offsetOf(index) })
  }

  compare(op: CompareOperator, left: TypedNode, right: TypedNode, offset: number): TypedNode {
    return this.checker.compare(op, left, right, offset)
  }

  arithmetic(op: ArithmeticOperator, left: TypedNode, right: TypedNode): TypedNode {
    return this.checker.arithmetic(op, left, right, this.call.nameStart, { start: this.start, end: this.end })
  }

  caseWhen(whens: readonly { when: TypedNode; then: TypedNode }[], otherwise: TypedNode | null): TypedNode {
    return this.checker.caseWhen(whens, otherwise, { start: this.start, end: this.end })
  }

  bind(value: TypedNode, body: (ref: TypedNode) => TypedNode): TypedNode {
    return this.checker.bind(value, body)
  }

  cast(node: TypedNode, type: LogicalType): TypedNode {
    return this.checker.castTo(node, type, this.part)
  }

  literal(value: Value, type: ExprType): TypedNode {
    return { kind: 'literal', value, type, isNullable: value === null, start: this.start, end: this.end }
  }
}
