/**
 * Typed tree -> one JavaScript function (`new Function`), reading columns as `row[i]`.
 *
 * Each node becomes a JS expression in one of three modes:
 * - value:  evaluates to the SQL value, `null` for NULL;
 * - truth:  a JS boolean, true exactly when a bool node is TRUE (FALSE and NULL give false);
 * - falsity: true exactly when it is FALSE.
 * A condition is generated in truth mode, where three-valued logic needs no temporaries:
 * `a AND b` is TRUE iff both are TRUE, `NOT a` is TRUE iff a is FALSE. So `age > 18 AND status = 'x'`
 * becomes `row[0] != null && row[0] > 18 && row[1] === "x"` with no call at all.
 * Runtime functions and constants are closure variables (`h0`, `h1`...) of the generated function,
 * locals are `t0`, `t1`...; a value is computed once and kept in a local when it is used twice.
 */
import { addDecimal, multiplyDecimal, subtractDecimal } from '../core/decimal.js'
import type { Row, Value } from '../core/schema.js'
import { castValue, type CastTarget } from '../core/values.js'
import { compareDecimalText, compareMixed, compareSame, compareTimestamptz, isNumericType } from './compare-values.js'
import { compileLikePattern, likeMatches, type LikeMatcher } from './like-pattern.js'
import {
  divideDecimals,
  integerDivideDecimals,
  moduloDecimals,
  negateDecimal,
} from './numeric-functions.js'
import { rethrowInPart, throwDivisionByZero, throwInvalidArgument, throwOverflow } from './record-errors.js'
import { addDays, daysBetween } from './temporal-arithmetic.js'
import type {
  ArithmeticNode,
  CallGenerator,
  CastNode,
  CompareOperator,
  ExprType,
  LikeMatchNode,
  TypedNode,
} from './typed-node.js'

const JS_OPERATORS: Readonly<Record<CompareOperator, string>> = {
  '=': '===',
  '<>': '!==',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
}

/** Types whose values JavaScript's operators compare correctly (same type on both sides). */
const NATIVE_ORDER: ReadonlySet<ExprType> = new Set(['int', 'float', 'bigint', 'string', 'date', 'time', 'timestamp', 'uuid', 'bool'])

/** Values stored as strings, whose text form is the value itself. */
const TEXT_STORED: ReadonlySet<ExprType> = new Set(['string', 'decimal', 'date', 'time', 'timestamp', 'timestamptz', 'uuid'])

function isSimple(node: TypedNode): boolean {
  if (node.kind === 'cast') return isIdentity(node) && isSimple(node.operand)
  return node.kind === 'literal' || node.kind === 'column' || node.kind === 'bound'
}

function isIdentity(node: CastNode): boolean {
  return !node.isTry && node.target.precision === undefined && isIdentityCast(node.operand.type, node.target.type)
}

function isNullLiteral(node: TypedNode): boolean {
  return node.kind === 'literal' && node.value === null
}

function castOrThrow(value: Value, target: CastTarget, from: ExprType, part: string): Value {
  try {
    return castValue(value, target, from === 'null' ? undefined : from)
  } catch (error) {
    return rethrowInPart(error, part)
  }
}

function tryCast(value: Value, target: CastTarget, from: ExprType): Value {
  try {
    return castValue(value, target, from === 'null' ? undefined : from)
  } catch {
    // TRY_CAST turns any conversion failure into NULL; that is its purpose.
    return null
  }
}

const dynamicLikeCache = new Map<string, LikeMatcher>()
const MAX_CACHED_PATTERNS = 256

function likeDynamic(value: string, pattern: string, escape: string, isCaseInsensitive: boolean, part: string): boolean {
  const key = `${isCaseInsensitive ? 'i' : 's'}${escape.length}${escape}${pattern}`
  let matcher = dynamicLikeCache.get(key)
  if (matcher === undefined) {
    try {
      matcher = compileLikePattern(pattern, escape, isCaseInsensitive)
    } catch (error) {
      return throwInvalidArgument((error as Error).message, part)
    }
    if (dynamicLikeCache.size >= MAX_CACHED_PATTERNS) dynamicLikeCache.clear()
    dynamicLikeCache.set(key, matcher)
  }
  return likeMatches(matcher, value)
}

export class CodeGenerator implements CallGenerator {
  private tempCount = 0
  private readonly helperNames = new Map<unknown, string>()
  private readonly helperValues: unknown[] = []
  private readonly boundNames = new Map<number, string>()

  helper(value: unknown): string {
    let name = this.helperNames.get(value)
    if (name === undefined) {
      name = `h${this.helperValues.length}`
      this.helperNames.set(value, name)
      this.helperValues.push(value)
    }
    return name
  }

  temp(): string {
    return `t${this.tempCount++}`
  }

  /** Compiles `body` (a JS expression over `row`) into a function. */
  build<T>(body: string, name: string): (row: Row) => T {
    const locals = Array.from({ length: this.tempCount }, (_, i) => `t${i}`)
    const declaration = locals.length > 0 ? `let ${locals.join(', ')}; ` : ''
    const source = `return function ${name}(row) { ${declaration}return ${body} }`
    const names = [...this.helperNames.values()]
    return new Function(...names, source)(...this.helperValues) as (row: Row) => T
  }

  literal(value: Value): string {
    if (value === null) return 'null'
    switch (typeof value) {
      case 'number':
        if (Number.isNaN(value)) return 'NaN'
        if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '(-Infinity)'
        return value < 0 || Object.is(value, -0) ? `(${Object.is(value, -0) ? '-0' : String(value)})` : String(value)
      case 'bigint':
        return value < 0n ? `(${value}n)` : `${value}n`
      case 'string':
        return JSON.stringify(value)
      case 'boolean':
        return value ? 'true' : 'false'
      default:
        // A json or bytes constant is copied for each row: whoever receives a value may change it.
        return `${this.helper(structuredClone)}(${this.helper(value)})`
    }
  }

  private quote(text: string): string {
    return JSON.stringify(text)
  }

  strict(args: readonly TypedNode[], body: (refs: string[]) => string): string {
    return this.guarded(args, body, 'value')
  }

  /**
   * Evaluates arguments once, left to right, stopping at the first NULL. In value mode the result is
   * `null` for a NULL argument; in truth mode it is `false`.
   */
  private guarded(args: readonly TypedNode[], body: (refs: string[]) => string, mode: 'value' | 'truth'): string {
    const checks: string[] = []
    const refs: string[] = []
    for (const arg of args) {
      if (isNullLiteral(arg)) return mode === 'value' ? 'null' : 'false'
      const code = this.value(arg)
      if (isSimple(arg)) {
        refs.push(code)
        if (arg.isNullable) checks.push(mode === 'value' ? `${code} == null` : `${code} != null`)
        continue
      }
      const local = this.temp()
      refs.push(local)
      if (mode === 'value') checks.push(arg.isNullable ? `(${local} = ${code}) == null` : `(${local} = ${code}, false)`)
      else checks.push(arg.isNullable ? `(${local} = ${code}) != null` : `(${local} = ${code}, true)`)
    }
    const result = body(refs)
    if (checks.length === 0) return result
    return mode === 'value' ? `(${checks.join(' || ')} ? null : ${result})` : `(${checks.join(' && ')} && ${result})`
  }

  compare(op: CompareOperator, a: string, typeA: ExprType, b: string, typeB: ExprType): string {
    const js = JS_OPERATORS[op]
    if (typeA === typeB) {
      if (NATIVE_ORDER.has(typeA)) return `(${a} ${js} ${b})`
      if (typeA === 'decimal') return `(${this.helper(compareDecimalText)}(${a}, ${b}) ${js} 0)`
      if (typeA === 'timestamptz') {
        return op === '=' || op === '<>' ? `(${a} ${js} ${b})` : `(${this.helper(compareTimestamptz)}(${a}, ${b}) ${js} 0)`
      }
      return `(${this.helper(compareSame)}(${a}, ${b}, ${this.quote(typeA)}) ${js} 0)`
    }
    const isNumberPair = isNumericType(typeA) && isNumericType(typeB) && typeA !== 'decimal' && typeB !== 'decimal'
    if (isNumberPair) {
      // number against bigint: JavaScript compares them exactly, but only == sees 1 and 1n as equal.
      const loose = op === '=' ? '==' : op === '<>' ? '!=' : js
      return `(${a} ${loose} ${b})`
    }
    if (typeA === 'date' && typeB === 'timestamp') return `((${a} + "T00:00:00") ${js} ${b})`
    if (typeA === 'timestamp' && typeB === 'date') return `(${a} ${js} (${b} + "T00:00:00"))`
    return `(${this.helper(compareMixed)}(${a}, ${this.quote(typeA)}, ${b}, ${this.quote(typeB)}) ${js} 0)`
  }

  value(node: TypedNode): string {
    switch (node.kind) {
      case 'literal':
        return this.literal(node.value)
      case 'column':
        return `row[${node.index}]`
      case 'bound': {
        const name = this.boundNames.get(node.id)
        if (name === undefined) throw new Error(`bound value ${node.id} used outside its bind`)
        return name
      }
      case 'bind': {
        const local = this.temp()
        this.boundNames.set(node.id, local)
        return `(${local} = ${this.value(node.value)}, ${this.value(node.body)})`
      }
      case 'not':
        return this.strict([node.operand], ([x]) => `!${x}`)
      case 'and': {
        const left = this.temp()
        const right = this.temp()
        return `((${left} = ${this.value(node.left)}) === false ? false : (${right} = ${this.value(node.right)}) === false ? false : ${left} == null || ${right} == null ? null : true)`
      }
      case 'or': {
        const left = this.temp()
        const right = this.temp()
        return `((${left} = ${this.value(node.left)}) === true ? true : (${right} = ${this.value(node.right)}) === true ? true : ${left} == null || ${right} == null ? null : false)`
      }
      case 'is_null':
        return `(${this.value(node.operand)} ${node.negated ? '!=' : '=='} null)`
      case 'is_bool':
        return `(${this.value(node.operand)} ${node.negated ? '!==' : '==='} ${node.value})`
      case 'compare':
        return this.strict([node.left, node.right], ([a, b]) => this.compare(node.op, a, node.left.type, b, node.right.type))
      case 'distinct': {
        const [a, b] = [this.temp(), this.temp()]
        const equal = this.compare('=', a, node.left.type, b, node.right.type)
        const isDistinct = `(${a} == null ? ${b} != null : ${b} == null ? true : !${equal})`
        return `(${a} = ${this.value(node.left)}, ${b} = ${this.value(node.right)}, ${node.negated ? `!${isDistinct}` : isDistinct})`
      }
      case 'in_set': {
        const found = this.setMembership(node.operand, node.values)
        return `(${found.setup}${found.ref} == null ? null : ${found.test} ? true : ${node.hasNull ? 'null' : 'false'})`
      }
      case 'like':
        return this.strict([node.operand, node.pattern, node.escape], ([x, p, e]) => this.likeTest(node, x, p, e))
      case 'concat':
        return this.strict([node.left, node.right], ([a, b]) => `(${a} + ${b})`)
      case 'arithmetic':
        return this.strict([node.left, node.right], ([a, b]) => this.arithmetic(node, a, b))
      case 'negate':
        return this.strict([node.operand], ([x]) => this.negate(node.type, x, node.part))
      case 'case': {
        let code = node.otherwise === null ? 'null' : this.value(node.otherwise)
        for (let i = node.whens.length - 1; i >= 0; i--) {
          code = `(${this.truth(node.whens[i].when)} ? ${this.value(node.whens[i].then)} : ${code})`
        }
        return code
      }
      case 'cast':
        // A conversion that changes nothing (int to float, a decimal to its text) is no code at all.
        if (isIdentity(node)) return this.value(node.operand)
        return this.strict([node.operand], ([x]) => this.cast(node, x))
      case 'call':
        return node.fn.generate(this, node)
    }
  }

  truth(node: TypedNode): string {
    switch (node.kind) {
      case 'literal':
        return node.value === true ? 'true' : 'false'
      case 'column':
        return `(row[${node.index}] === true)`
      case 'not':
        return this.falsity(node.operand)
      case 'and':
        return `(${this.truth(node.left)} && ${this.truth(node.right)})`
      case 'or':
        return `(${this.truth(node.left)} || ${this.truth(node.right)})`
      case 'compare': {
        const { left, right, op } = node
        // `x = 'a'` with a non-null literal is false for NULL without a check.
        if (op === '=' && isSimple(left) && right.kind === 'literal' && right.value !== null && left.type === right.type && NATIVE_ORDER.has(left.type)) {
          return `(${this.value(left)} === ${this.value(right)})`
        }
        return this.guarded([left, right], ([a, b]) => this.compare(op, a, left.type, b, right.type), 'truth')
      }
      case 'in_set': {
        const found = this.setMembership(node.operand, node.values)
        return `(${found.setup}${found.test})`
      }
      case 'like':
        return this.guarded([node.operand, node.pattern, node.escape], ([x, p, e]) => this.likeTest(node, x, p, e), 'truth')
      case 'bind': {
        const local = this.temp()
        this.boundNames.set(node.id, local)
        return `(${local} = ${this.value(node.value)}, ${this.truth(node.body)})`
      }
      case 'is_null':
      case 'is_bool':
      case 'distinct':
        return this.value(node)
      default:
        return `(${this.value(node)} === true)`
    }
  }

  falsity(node: TypedNode): string {
    switch (node.kind) {
      case 'literal':
        return node.value === false ? 'true' : 'false'
      case 'column':
        return `(row[${node.index}] === false)`
      case 'not':
        return this.truth(node.operand)
      case 'and':
        return `(${this.falsity(node.left)} || ${this.falsity(node.right)})`
      case 'or':
        return `(${this.falsity(node.left)} && ${this.falsity(node.right)})`
      case 'compare': {
        const { left, right, op } = node
        return this.guarded([left, right], ([a, b]) => `!${this.compare(op, a, left.type, b, right.type)}`, 'truth')
      }
      case 'like':
        return this.guarded([node.operand, node.pattern, node.escape], ([x, p, e]) => `!${this.likeTest(node, x, p, e)}`, 'truth')
      case 'bind': {
        const local = this.temp()
        this.boundNames.set(node.id, local)
        return `(${local} = ${this.value(node.value)}, ${this.falsity(node.body)})`
      }
      case 'is_null':
      case 'is_bool':
      case 'distinct':
        return `!${this.value(node)}`
      default:
        return `(${this.value(node)} === false)`
    }
  }

  /** A test for membership of a non-null operand in a list of literals of its own type; false for NULL. */
  private setMembership(operand: TypedNode, values: readonly Value[]): { setup: string; ref: string; test: string } {
    let setup = ''
    let ref = this.value(operand)
    if (!isSimple(operand)) {
      const local = this.temp()
      setup = `${local} = ${ref}, `
      ref = local
    }
    // A few comparisons beat a hash lookup; a long list is a Set.
    const test =
      values.length <= 8
        ? `(${values.map((value) => `${ref} === ${this.literal(value)}`).join(' || ')})`
        : `${this.helper(new Set(values))}.has(${ref})`
    return { setup, ref, test }
  }

  private likeTest(node: LikeMatchNode, x: string, pattern: string, escape: string): string {
    const matcher = node.matcher
    if (matcher === null) {
      return `${this.helper(likeDynamic)}(${x}, ${pattern}, ${escape}, ${node.isCaseInsensitive}, ${this.quote(node.part)})`
    }
    switch (matcher.kind) {
      case 'any':
        return 'true'
      case 'exact':
        return `(${x} === ${this.quote(matcher.text)})`
      case 'prefix':
        return `${x}.startsWith(${this.quote(matcher.text)})`
      case 'suffix':
        return `${x}.endsWith(${this.quote(matcher.text)})`
      case 'contains':
        return `${x}.includes(${this.quote(matcher.text)})`
      case 'regex':
        return `${this.helper(matcher.regex)}.test(${x})`
    }
  }

  private arithmetic(node: ArithmeticNode, a: string, b: string): string {
    const part = this.quote(node.part)
    const overflow = (type: string): string => `${this.helper(throwOverflow)}(${this.quote(type)}, ${part})`
    const { op, right } = node
    // A literal divisor that is not zero needs no check.
    const isSafeDivisor = right.kind === 'literal' && right.value !== null && right.value !== 0 && right.value !== 0n
    const zeroCheck = (zero: string): string =>
      isSafeDivisor ? '' : `${b} === ${zero} ? ${this.helper(throwDivisionByZero)}(${part}) : `
    switch (node.type) {
      case 'int': {
        if (node.left.type === 'date') return `${this.helper(daysBetween)}(${a}, ${b})`
        const local = this.temp()
        if (op === '%') return `(${zeroCheck('0')}${a} % ${b} + 0)`
        if (op === 'div') return `(${zeroCheck('0')}(${local} = Math.trunc(${a} / ${b})) > 2147483647 ? ${overflow('int')} : ${local} + 0)`
        // The exact result of + - * on two int32 is within 2^62, so the range check is exact; `+ 0` turns -0 into 0.
        return `((${local} = ${a} ${op} ${b}) > 2147483647 || ${local} < -2147483648 ? ${overflow('int')} : ${local} + 0)`
      }
      case 'bigint': {
        const local = this.temp()
        if (op === '%') return `(${zeroCheck('0n')}${a} % ${b})`
        const expression = op === 'div' ? `${a} / ${b}` : `${a} ${op} ${b}`
        const check = op === 'div' ? zeroCheck('0n') : ''
        return `(${check}(${local} = ${expression}) > 9223372036854775807n || ${local} < -9223372036854775808n ? ${overflow('bigint')} : ${local})`
      }
      case 'float':
        if (op === '/' || op === '%') return `(${zeroCheck('0')}${a} ${op} ${b})`
        if (op === 'div') return `(${zeroCheck('0')}Math.trunc(${a} / ${b}))`
        return `(${a} ${op} ${b})`
      case 'decimal':
        switch (op) {
          case '+':
            return `${this.helper(addDecimal)}(${a}, ${b})`
          case '-':
            return `${this.helper(subtractDecimal)}(${a}, ${b})`
          case '*':
            return `${this.helper(multiplyDecimal)}(${a}, ${b})`
          case '/':
            return `${this.helper(divideDecimals)}(${a}, ${b}, ${part})`
          case '%':
            return `${this.helper(moduloDecimals)}(${a}, ${b}, ${part})`
          case 'div':
            return `${this.helper(integerDivideDecimals)}(${a}, ${b}, ${part})`
        }
        break
      case 'date': {
        const [date, days] = node.left.type === 'date' ? [a, b] : [b, a]
        return `${this.helper(addDays)}(${date}, ${op === '-' ? `-${days}` : days}, ${part})`
      }
    }
    throw new Error(`no code for ${node.left.type} ${op} ${node.right.type}`)
  }

  private negate(type: ExprType, x: string, part: string): string {
    const overflow = `${this.helper(throwOverflow)}(${this.quote(type)}, ${this.quote(part)})`
    switch (type) {
      case 'int':
        return `(${x} === -2147483648 ? ${overflow} : 0 - ${x})`
      case 'bigint':
        return `(${x} === -9223372036854775808n ? ${overflow} : -${x})`
      case 'decimal':
        return `${this.helper(negateDecimal)}(${x})`
      default:
        return `(-${x})`
    }
  }

  private cast(node: CastNode, x: string): string {
    const from = node.operand.type
    const target = node.target
    const to = target.type
    const hasPrecision = target.precision !== undefined
    if (!node.isTry && !hasPrecision) {
      if (from === to) return x
      const inline = inlineCast(from, to, x)
      if (inline !== undefined) return inline
    }
    const fn = node.isTry ? tryCast : castOrThrow
    return `${this.helper(fn)}(${x}, ${this.helper(target)}, ${this.quote(from)}, ${this.quote(node.part)})`
  }
}

function isIdentityCast(from: ExprType, to: ExprType): boolean {
  return from === to || (from === 'int' && to === 'float') || (to === 'string' && TEXT_STORED.has(from))
}

/** Conversions that need no call; each gives exactly what castValue gives. */
function inlineCast(from: ExprType, to: ExprType, x: string): string | undefined {
  if (to === 'string') {
    if (TEXT_STORED.has(from)) return x
    if (from === 'int' || from === 'bigint' || from === 'float') return `String(${x})`
    if (from === 'bool') return `(${x} ? "true" : "false")`
    return undefined
  }
  if (from === 'int' && to === 'float') return x
  if (from === 'int' && to === 'bigint') return `BigInt(${x})`
  if ((from === 'int' || from === 'bigint') && to === 'decimal') return `String(${x})`
  if ((from === 'bigint' || from === 'decimal') && to === 'float') return `Number(${x})`
  if (from === 'date' && to === 'timestamp') return `(${x} + "T00:00:00")`
  if (from === 'date' && to === 'timestamptz') return `(${x} + "T00:00:00Z")`
  if (from === 'timestamp' && to === 'timestamptz') return `(${x} + "Z")`
  return undefined
}

export function generateEvaluator(node: TypedNode): (row: Row) => Value {
  const generator = new CodeGenerator()
  return generator.build<Value>(generator.value(node), 'evaluate')
}

export function generateTest(node: TypedNode): (row: Row) => boolean {
  const generator = new CodeGenerator()
  return generator.build<boolean>(generator.truth(node), 'test')
}

/** Evaluates a node that reads no column (constant folding). Throws what evaluation throws. */
export function evaluateConstant(node: TypedNode): Value {
  return generateEvaluator(node)([])
}
