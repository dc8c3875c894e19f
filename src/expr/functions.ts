/**
 * The function catalogue: every function the expression language knows, with how its arguments are
 * typed (`check`) and the JavaScript it becomes (`generate`). docs/expressions.md documents each one
 * with examples that a test runs; a function added here needs its section there.
 *
 * Unless a function says otherwise it is strict: a NULL argument gives NULL, and arguments are
 * converted as their ParameterKind says (typed-node.ts).
 */
import { ConfigError } from '../core/errors.js'
import { checkTemporalPattern, formatTemporal, parseTemporal } from '../core/datetime-format.js'
import type { JsonValue, LogicalType, Value } from '../core/schema.js'
import { didYouMean } from '../core/suggest.js'
import { epochMicrosToTimestamptz } from '../core/temporal.js'
import { parseValue } from '../core/values.js'
import { extractJsonPath, parseJsonPath, type JsonPath } from './json-path.js'
import { absDecimal, ceilDecimal, floorDecimal, power, roundNumber, squareRoot } from './numeric-functions.js'
import { rethrowInPart, throwInvalidArgument, throwInvalidValue, throwOverflow } from './record-errors.js'
import {
  addToTemporal,
  DATE_PART_FIELDS,
  extractField,
  fieldProblem,
  parseDatePartField,
  parseUnit,
  TEMPORAL_UNITS,
  temporalDifference,
  truncateTemporal,
  unitProblem,
  type DatePartField,
  type TemporalType,
  type TemporalUnit,
} from './temporal-arithmetic.js'
import {
  leftText,
  padText,
  positionOf,
  replaceAllText,
  rightText,
  splitPart,
  substring,
  textLength,
  trimCharacters,
} from './text-functions.js'
import type { CallChecker, CallGenerator, CallNode, CheckedCall, ExprType, FunctionDefinition, ParameterKind, TypedNode } from './typed-node.js'

const catalogue = new Map<string, FunctionDefinition>()

function register(names: readonly string[], definition: Omit<FunctionDefinition, 'name'>): void {
  for (const name of names) catalogue.set(name, { ...definition, name })
}

function quote(text: string): string {
  return JSON.stringify(text)
}

interface ScalarSpec {
  readonly signature: string
  /** One kind per parameter; trailing ones from `minArgs` on are optional. */
  readonly params: readonly ParameterKind[]
  readonly minArgs?: number
  readonly returns: ExprType | ((args: readonly TypedNode[]) => ExprType)
  /** The result can be NULL although no argument is (REGEXP_EXTRACT without a match). */
  readonly mayReturnNull?: boolean
  /** Compile-time preparation (a compiled pattern...), stored as the call's `data`. */
  readonly prepare?: (call: CallChecker, args: readonly TypedNode[]) => unknown
  /** The call's code from the (non-null) argument values. */
  readonly code: (refs: readonly string[], gen: CallGenerator, call: CallNode) => string
}

/** A strict function: NULL in, NULL out. */
function scalar(names: readonly string[], spec: ScalarSpec): void {
  register(names, {
    minArgs: spec.minArgs ?? spec.params.length,
    maxArgs: spec.params.length,
    signature: spec.signature,
    isDeterministic: true,
    check(call): CheckedCall {
      const args = call.args.map((_, i) => call.argument(i, spec.params[i]))
      const type = typeof spec.returns === 'function' ? spec.returns(args) : spec.returns
      const isNullable = spec.mayReturnNull === true || args.some((arg) => arg.isNullable)
      return { type, args, isNullable, data: spec.prepare?.(call, args) }
    },
    generate(gen, call) {
      return gen.strict(call.args, (refs) => spec.code(refs, gen, call))
    },
  })
}

/** `helper(a, b, ..., "part")`. */
function callCode(gen: CallGenerator, fn: unknown, refs: readonly string[], call?: CallNode): string {
  const args = call === undefined ? refs : [...refs, quote(call.part)]
  return `${gen.helper(fn)}(${args.join(', ')})`
}

function isLiteral(node: TypedNode | undefined): boolean {
  return node !== undefined && node.kind === 'literal'
}

function literalString(node: TypedNode | undefined): string | undefined {
  return node !== undefined && node.kind === 'literal' && typeof node.value === 'string' ? node.value : undefined
}

// ---------------------------------------------------------------------------------------------- text

scalar(['UPPER'], { signature: 'UPPER(text)', params: ['text'], returns: 'string', code: ([s]) => `${s}.toUpperCase()` })
scalar(['LOWER'], { signature: 'LOWER(text)', params: ['text'], returns: 'string', code: ([s]) => `${s}.toLowerCase()` })

for (const [name, method, where] of [
  ['TRIM', 'trim', 'both'],
  ['LTRIM', 'trimStart', 'start'],
  ['RTRIM', 'trimEnd', 'end'],
] as const) {
  scalar([name], {
    signature: `${name}(text [, characters])`,
    params: ['text', 'text'],
    minArgs: 1,
    returns: 'string',
    code: ([s, chars], gen) => (chars === undefined ? `${s}.${method}()` : `${gen.helper(trimCharacters)}(${s}, ${chars}, ${quote(where)})`),
  })
}

scalar(['SUBSTRING', 'SUBSTR'], {
  signature: 'SUBSTRING(text, start [, length])',
  params: ['text', 'int', 'int'],
  minArgs: 2,
  returns: 'string',
  code: ([s, start, length], gen, call) => callCode(gen, substring, [s, start, length ?? 'undefined'], call),
})

register(['LENGTH', 'CHAR_LENGTH'], {
  minArgs: 1,
  maxArgs: 1,
  signature: 'LENGTH(text)',
  isDeterministic: true,
  check(call) {
    const arg = call.args[0].type === 'bytes' ? call.args[0] : call.argument(0, 'text')
    return { type: 'int', args: [arg], isNullable: arg.isNullable }
  },
  generate(gen, call) {
    const isBytes = call.args[0].type === 'bytes'
    return gen.strict(call.args, ([s]) => (isBytes ? `${s}.length` : `${gen.helper(textLength)}(${s})`))
  },
})

scalar(['REPLACE'], {
  signature: 'REPLACE(text, search, replacement)',
  params: ['text', 'text', 'text'],
  returns: 'string',
  code: (refs, gen) => callCode(gen, replaceAllText, refs),
})
scalar(['LEFT'], { signature: 'LEFT(text, n)', params: ['text', 'int'], returns: 'string', code: (refs, gen) => callCode(gen, leftText, refs) })
scalar(['RIGHT'], { signature: 'RIGHT(text, n)', params: ['text', 'int'], returns: 'string', code: (refs, gen) => callCode(gen, rightText, refs) })
for (const [name, isLeft] of [
  ['LPAD', true],
  ['RPAD', false],
] as const) {
  scalar([name], {
    signature: `${name}(text, length [, fill])`,
    params: ['text', 'int', 'text'],
    minArgs: 2,
    returns: 'string',
    code: ([s, length, fill], gen) => callCode(gen, padText, [s, length, fill ?? '" "', String(isLeft)]),
  })
}
scalar(['STRPOS'], { signature: 'STRPOS(text, search)', params: ['text', 'text'], returns: 'int', code: (refs, gen) => callCode(gen, positionOf, refs) })
scalar(['SPLIT_PART'], {
  signature: 'SPLIT_PART(text, delimiter, n)',
  params: ['text', 'text', 'int'],
  returns: 'string',
  code: (refs, gen, call) => callCode(gen, splitPart, refs, call),
})
for (const [name, method] of [
  ['STARTS_WITH', 'startsWith'],
  ['ENDS_WITH', 'endsWith'],
  ['CONTAINS', 'includes'],
] as const) {
  scalar([name], { signature: `${name}(text, search)`, params: ['text', 'text'], returns: 'bool', code: ([s, search]) => `${s}.${method}(${search})` })
}

register(['CONCAT'], {
  minArgs: 1,
  maxArgs: Infinity,
  signature: 'CONCAT(value, ...)',
  isDeterministic: true,
  check(call) {
    const args = call.args.map((_, i) => call.argument(i, 'text'))
    return { type: 'string', args, isNullable: false }
  },
  generate(gen, call) {
    // NULL arguments are skipped (PostgreSQL's CONCAT); `||` is the strict alternative.
    const parts = call.args
      .filter((arg) => !(arg.kind === 'literal' && arg.value === null))
      .map((arg) => {
        if (!arg.isNullable) return gen.value(arg)
        const local = gen.temp()
        return `((${local} = ${gen.value(arg)}) == null ? "" : ${local})`
      })
    return `(${['""', ...parts].join(' + ')})`
  },
})

function joinWithSeparator(separator: string, ...values: (string | null)[]): string {
  let out = ''
  let isFirst = true
  for (const value of values) {
    if (value == null) continue
    out += isFirst ? value : separator + value
    isFirst = false
  }
  return out
}

register(['CONCAT_WS'], {
  minArgs: 2,
  maxArgs: Infinity,
  signature: 'CONCAT_WS(separator, value, ...)',
  isDeterministic: true,
  check(call) {
    const args = call.args.map((_, i) => call.argument(i, 'text'))
    return { type: 'string', args, isNullable: args[0].isNullable }
  },
  generate(gen, call) {
    const values = call.args.slice(1).map((arg) => gen.value(arg))
    return gen.strict([call.args[0]], ([separator]) => `${gen.helper(joinWithSeparator)}(${[separator, ...values].join(', ')})`)
  },
})

// ----------------------------------------------------------------------------------- regular expressions

const dynamicRegexCache = new Map<string, RegExp>()
const MAX_CACHED_REGEXES = 256

/** ECMAScript regular expression with the user's flags (i, m, s) plus ours. Throws on a bad one. */
function compileRegex(pattern: string, flags: string, extraFlags: string): RegExp {
  if (!/^[ims]*$/.test(flags)) throw new RangeError(`invalid regular expression flags ${quote(flags)}: use i, m or s`)
  return new RegExp(pattern, [...new Set(flags + extraFlags)].join(''))
}

function dynamicRegex(pattern: string, flags: string, extraFlags: string, part: string): RegExp {
  const key = `${flags}/${extraFlags}/${pattern}`
  let regex = dynamicRegexCache.get(key)
  if (regex === undefined) {
    try {
      regex = compileRegex(pattern, flags, extraFlags)
    } catch (error) {
      return throwInvalidArgument((error as Error).message, part)
    }
    if (dynamicRegexCache.size >= MAX_CACHED_REGEXES) dynamicRegexCache.clear()
    dynamicRegexCache.set(key, regex)
  }
  // A global regex is stateful (lastIndex); String.replace resets it, and only replace uses `g`.
  return regex
}

/** A regex compiled at compile time when pattern and flags are literals; a ConfigError if it is invalid. */
function prepareRegex(call: CallChecker, patternIndex: number, flagsIndex: number, extraFlags: string): RegExp | undefined {
  const pattern = literalString(call.args[patternIndex])
  const flagsNode = call.args[flagsIndex]
  const flags = flagsNode === undefined ? '' : literalString(flagsNode)
  if (pattern === undefined || flags === undefined) return undefined
  try {
    return compileRegex(pattern, flags, extraFlags)
  } catch (error) {
    const index = /flags/.test((error as Error).message) ? flagsIndex : patternIndex
    return call.invalidArgument(index, `invalid regular expression in ${call.name}: ${(error as Error).message}`)
  }
}

function regexpLike(text: string, pattern: string, flags: string, part: string): boolean {
  return dynamicRegex(pattern, flags, '', part).test(text)
}

function regexpReplace(text: string, pattern: string, replacement: string, flags: string, part: string): string {
  return text.replace(dynamicRegex(pattern, flags, 'g', part), replacement)
}

function regexpExtract(text: string, regex: RegExp, group: number, part: string): string | null {
  if (group < 0) throwInvalidArgument(`invalid group ${group}`, part)
  const match = regex.exec(text)
  return match === null ? null : (match[group] ?? null)
}

function regexpExtractDynamic(text: string, pattern: string, group: number, part: string): string | null {
  return regexpExtract(text, dynamicRegex(pattern, '', '', part), group, part)
}

scalar(['REGEXP_LIKE'], {
  signature: 'REGEXP_LIKE(text, pattern [, flags])',
  params: ['text', 'text', 'text'],
  minArgs: 2,
  returns: 'bool',
  prepare: (call) => prepareRegex(call, 1, 2, ''),
  code: ([s, pattern, flags], gen, call) =>
    call.data instanceof RegExp ? `${gen.helper(call.data)}.test(${s})` : callCode(gen, regexpLike, [s, pattern, flags ?? '""'], call),
})

scalar(['REGEXP_REPLACE'], {
  signature: 'REGEXP_REPLACE(text, pattern, replacement [, flags])',
  params: ['text', 'text', 'text', 'text'],
  minArgs: 3,
  returns: 'string',
  prepare: (call) => prepareRegex(call, 1, 3, 'g'),
  code: ([s, pattern, replacement, flags], gen, call) =>
    call.data instanceof RegExp
      ? `${s}.replace(${gen.helper(call.data)}, ${replacement})`
      : callCode(gen, regexpReplace, [s, pattern, replacement, flags ?? '""'], call),
})

scalar(['REGEXP_EXTRACT'], {
  signature: 'REGEXP_EXTRACT(text, pattern [, group])',
  params: ['text', 'text', 'int'],
  minArgs: 2,
  returns: 'string',
  mayReturnNull: true,
  prepare: (call) => {
    const regex = prepareRegex(call, 1, 3, '')
    const group = call.args[2]
    if (regex !== undefined && group !== undefined && group.kind === 'literal' && typeof group.value === 'number') {
      const groups = new RegExp(`${regex.source}|`).exec('')!.length - 1
      if (group.value < 0 || group.value > groups) call.invalidArgument(2, `group ${group.value} does not exist in pattern ${quote(regex.source)}`)
    }
    return regex
  },
  code: ([s, pattern, group], gen, call) =>
    call.data instanceof RegExp
      ? callCode(gen, regexpExtract, [s, gen.helper(call.data), group ?? '0'], call)
      : callCode(gen, regexpExtractDynamic, [s, pattern, group ?? '0'], call),
})

// -------------------------------------------------------------------------------------- conditionals

register(['COALESCE'], {
  minArgs: 1,
  maxArgs: Infinity,
  signature: 'COALESCE(value, ...)',
  isDeterministic: true,
  check(call) {
    const { type, nodes } = call.commonType(call.args)
    return { type, args: nodes, isNullable: nodes.every((node) => node.isNullable) }
  },
  generate(gen, call) {
    const args = call.args
    let code = gen.value(args[args.length - 1])
    for (let i = args.length - 2; i >= 0; i--) {
      const arg = args[i]
      if (arg.kind === 'literal' && arg.value === null) continue
      if (!arg.isNullable) {
        code = gen.value(arg)
        continue
      }
      const local = gen.temp()
      code = `((${local} = ${gen.value(arg)}) != null ? ${local} : ${code})`
    }
    return code
  },
})

function replacedBy(build: (call: CallChecker) => TypedNode): Omit<FunctionDefinition, 'name' | 'minArgs' | 'maxArgs' | 'signature'> {
  return {
    isDeterministic: true,
    check(call) {
      const replacement = build(call)
      return { type: replacement.type, args: call.args, isNullable: replacement.isNullable, replacement }
    },
    generate() {
      throw new Error('a replaced call is never generated')
    },
  }
}

register(['NULLIF'], {
  minArgs: 2,
  maxArgs: 2,
  signature: 'NULLIF(value, other)',
  ...replacedBy((call) => {
    const [value, other] = call.args
    return call.bind(value, (ref) =>
      call.caseWhen([{ when: call.compare('=', ref, other, other.start), then: call.literal(null, ref.type) }], ref),
    )
  }),
})

register(['IF'], {
  minArgs: 3,
  maxArgs: 3,
  signature: 'IF(condition, then, else)',
  ...replacedBy((call) => {
    const condition = call.argument(0, 'bool')
    return call.caseWhen([{ when: condition, then: call.args[1] }], call.args[2])
  }),
})

for (const [name, op] of [
  ['GREATEST', '>'],
  ['LEAST', '<'],
] as const) {
  register([name], {
    minArgs: 1,
    maxArgs: Infinity,
    signature: `${name}(value, ...)`,
    isDeterministic: true,
    check(call) {
      const { type, nodes } = call.commonType(call.args)
      if (type === 'bytes' || type === 'json') call.typeError(0, `${name} cannot compare ${type} values`)
      return { type, args: nodes, isNullable: nodes.every((node) => node.isNullable) }
    },
    generate(gen, call) {
      // NULLs are ignored; the result is NULL only when every argument is (PostgreSQL's rule).
      const best = gen.temp()
      const steps = [`${best} = ${gen.value(call.args[0])}`]
      for (const arg of call.args.slice(1)) {
        const local = gen.temp()
        steps.push(`(${local} = ${gen.value(arg)}) != null && (${best} == null || ${gen.compare(op, local, call.type, best, call.type)}) && (${best} = ${local})`)
      }
      return `(${steps.join(', ')}, ${best})`
    },
  })
}

// ------------------------------------------------------------------------------------------- numbers

function sameType(args: readonly TypedNode[]): ExprType {
  return args[0].type
}

register(['ABS'], {
  minArgs: 1,
  maxArgs: 1,
  signature: 'ABS(number)',
  isDeterministic: true,
  check(call) {
    const arg = call.argument(0, 'number')
    return { type: arg.type, args: [arg], isNullable: arg.isNullable }
  },
  generate(gen, call) {
    const part = quote(call.part)
    return gen.strict(call.args, ([x]) => {
      switch (call.type) {
        case 'int':
          return `(${x} === -2147483648 ? ${gen.helper(throwOverflow)}("int", ${part}) : Math.abs(${x}))`
        case 'bigint':
          return `(${x} < 0n ? (${x} === -9223372036854775808n ? ${gen.helper(throwOverflow)}("bigint", ${part}) : -${x}) : ${x})`
        case 'decimal':
          return `${gen.helper(absDecimal)}(${x})`
        default:
          return `Math.abs(${x})`
      }
    })
  },
})

scalar(['ROUND'], {
  signature: 'ROUND(number [, digits])',
  params: ['number', 'int'],
  minArgs: 1,
  returns: sameType,
  code: ([x, digits], gen, call) => callCode(gen, roundNumber, [x, digits ?? '0', quote(call.type)], call),
})

for (const [names, method, decimalFn] of [
  [['CEIL', 'CEILING'], 'ceil', ceilDecimal],
  [['FLOOR'], 'floor', floorDecimal],
] as const) {
  scalar(names, {
    signature: `${names[0]}(number)`,
    params: ['number'],
    returns: sameType,
    code: ([x], gen, call) =>
      call.type === 'decimal' ? `${gen.helper(decimalFn)}(${x})` : call.type === 'float' ? `Math.${method}(${x})` : x,
  })
}

register(['MOD'], {
  minArgs: 2,
  maxArgs: 2,
  signature: 'MOD(a, b)',
  ...replacedBy((call) => call.arithmetic('%', call.args[0], call.args[1])),
})

register(['DIV'], {
  minArgs: 2,
  maxArgs: 2,
  signature: 'DIV(a, b)',
  ...replacedBy((call) => call.arithmetic('div', call.args[0], call.args[1])),
})

scalar(['POWER', 'POW'], {
  signature: 'POWER(base, exponent)',
  params: ['float', 'float'],
  returns: 'float',
  code: (refs, gen, call) => callCode(gen, power, refs, call),
})

scalar(['SQRT'], { signature: 'SQRT(number)', params: ['float'], returns: 'float', code: (refs, gen, call) => callCode(gen, squareRoot, refs, call) })

// ---------------------------------------------------------------------------------------- date, time

let clockMillis = Number.NaN
let clockText = ''

/** The current time; the string is rebuilt only when the millisecond changes. */
function now(): string {
  const millis = Date.now()
  if (millis !== clockMillis) {
    clockMillis = millis
    clockText = epochMicrosToTimestamptz(millis * 1000)
  }
  return clockText
}

function currentDate(): string {
  return now().slice(0, 10)
}

register(['NOW', 'CURRENT_TIMESTAMP'], {
  minArgs: 0,
  maxArgs: 0,
  signature: 'NOW()',
  isDeterministic: false,
  check: () => ({ type: 'timestamptz', args: [], isNullable: false }),
  generate: (gen) => `${gen.helper(now)}()`,
})

register(['CURRENT_DATE'], {
  minArgs: 0,
  maxArgs: 0,
  signature: 'CURRENT_DATE',
  isDeterministic: false,
  check: () => ({ type: 'date', args: [], isNullable: false }),
  generate: (gen) => `${gen.helper(currentDate)}()`,
})

/** A literal date pattern is checked now, its error pointing at the directive inside the expression. */
function checkPatternArgument(call: CallChecker, index: number, isForParsing: boolean): void {
  const node = call.args[index]
  const pattern = literalString(node)
  if (pattern === undefined) return
  try {
    // Parsing refuses more directives than formatting (week numbers); trying it checks them.
    if (isForParsing) parseTemporal('', pattern, 'timestamp')
    else checkTemporalPattern(pattern)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    throw new ConfigError(error.code, error.message, { offset: node.start + 1 + (error.offset ?? 0), hint: error.hint })
  }
}

function formatInExpression(value: string, type: LogicalType, pattern: string, part: string): string {
  try {
    return formatTemporal(value, type, pattern)
  } catch (error) {
    if (error instanceof ConfigError) throwInvalidArgument(error.message, part)
    return rethrowInPart(error, part)
  }
}

function parseInExpression(text: string, pattern: string, type: LogicalType, part: string): string {
  let parsed: string | undefined
  try {
    parsed = parseTemporal(text, pattern, type)
  } catch (error) {
    if (error instanceof ConfigError) throwInvalidArgument(error.message, part)
    throw error
  }
  if (parsed === undefined) return throwInvalidValue(`invalid ${type} ${quote(text)} for pattern ${quote(pattern)}`, part)
  return parsed
}

scalar(['DATE_FORMAT'], {
  signature: 'DATE_FORMAT(value, pattern)',
  params: ['temporal', 'text'],
  returns: 'string',
  prepare: (call) => checkPatternArgument(call, 1, false),
  code: ([value, pattern], gen, call) => callCode(gen, formatInExpression, [value, quote(call.args[0].type), pattern], call),
})

const PARSE_TYPES = ['date', 'time', 'timestamp', 'timestamptz']

register(['DATE_PARSE'], {
  minArgs: 2,
  maxArgs: 3,
  signature: "DATE_PARSE(text, pattern [, 'date'|'time'|'timestamp'|'timestamptz'])",
  isDeterministic: true,
  check(call) {
    const args = [call.argument(0, 'text'), call.argument(1, 'text')]
    checkPatternArgument(call, 1, true)
    const type = call.args.length > 2 ? call.literalText(2, 'the result type').toLowerCase() : 'timestamp'
    if (!PARSE_TYPES.includes(type)) call.invalidArgument(2, `DATE_PARSE cannot produce ${quote(type)}${didYouMean(type, PARSE_TYPES)}`)
    return { type: type as LogicalType, args, isNullable: args.some((arg) => arg.isNullable), data: type }
  },
  generate(gen, call) {
    return gen.strict(call.args, ([text, pattern]) => callCode(gen, parseInExpression, [text, pattern, quote(call.data as string)], call))
  },
})

function unitArgument(call: CallChecker, index: number): TemporalUnit {
  const text = call.literalText(index, 'the unit')
  const unit = parseUnit(text)
  if (unit === undefined) call.invalidArgument(index, `unknown unit ${quote(text)} in ${call.name}${didYouMean(text, TEMPORAL_UNITS)}`)
  return unit
}

function temporalType(node: TypedNode): TemporalType {
  return node.type as TemporalType
}

register(['DATE_TRUNC'], {
  minArgs: 2,
  maxArgs: 2,
  signature: "DATE_TRUNC('unit', value)",
  isDeterministic: true,
  check(call) {
    const unit = unitArgument(call, 0)
    const value = call.argument(1, 'temporal')
    if (value.type !== 'null') {
      const problem = unitProblem('DATE_TRUNC', unit, temporalType(value))
      if (problem) call.invalidArgument(0, problem)
    }
    return { type: value.type, args: [value], isNullable: value.isNullable, data: unit }
  },
  generate(gen, call) {
    return gen.strict(call.args, ([value]) => callCode(gen, truncateTemporal, [value, quote(call.type), quote(call.data as string)]))
  },
})

register(['DATE_PART', 'EXTRACT'], {
  minArgs: 2,
  maxArgs: 2,
  signature: "DATE_PART('field', value)",
  isDeterministic: true,
  check(call) {
    const text = call.literalText(0, 'the field')
    const field = parseDatePartField(text)
    if (field === undefined) return call.invalidArgument(0, `unknown field ${quote(text)} in ${call.name}${didYouMean(text, DATE_PART_FIELDS)}`)
    const value = call.argument(1, 'temporal')
    if (value.type !== 'null') {
      const problem = fieldProblem(field, temporalType(value))
      if (problem) call.invalidArgument(0, problem)
    }
    const type: ExprType = field === 'second' || field === 'epoch' ? 'decimal' : 'int'
    return { type, args: [value], isNullable: value.isNullable, data: field }
  },
  generate(gen, call) {
    const field = call.data as DatePartField
    return gen.strict(call.args, ([value]) => callCode(gen, extractField, [value, quote(call.args[0].type), quote(field)]))
  },
})

register(['DATE_ADD'], {
  minArgs: 3,
  maxArgs: 3,
  signature: "DATE_ADD('unit', amount, value)",
  isDeterministic: true,
  check(call) {
    const unit = unitArgument(call, 0)
    const amount = call.argument(1, 'int')
    const value = call.argument(2, 'temporal')
    if (value.type !== 'null') {
      const problem = unitProblem('DATE_ADD', unit, temporalType(value))
      if (problem) call.invalidArgument(0, problem)
    }
    return { type: value.type, args: [amount, value], isNullable: amount.isNullable || value.isNullable, data: unit }
  },
  generate(gen, call) {
    return gen.strict(call.args, ([amount, value]) =>
      callCode(gen, addToTemporal, [value, quote(call.type), quote(call.data as string), amount], call),
    )
  },
})

register(['DATE_DIFF'], {
  minArgs: 3,
  maxArgs: 3,
  signature: "DATE_DIFF('unit', start, end)",
  isDeterministic: true,
  check(call) {
    const unit = unitArgument(call, 0)
    const start = call.argument(1, 'temporal')
    const end = call.argument(2, 'temporal')
    const { type, nodes } = call.commonType([start, end])
    if (type !== 'null' && type !== 'date' && type !== 'time' && type !== 'timestamp' && type !== 'timestamptz') {
      call.typeError(1, `DATE_DIFF cannot compare ${start.type} with ${end.type}`)
    }
    if (type !== 'null') {
      const problem = unitProblem('DATE_DIFF', unit, type as TemporalType)
      if (problem) call.invalidArgument(0, problem)
    }
    return { type: 'bigint', args: nodes, isNullable: start.isNullable || end.isNullable, data: { unit, type } }
  },
  generate(gen, call) {
    const { unit, type } = call.data as { unit: TemporalUnit; type: TemporalType }
    return gen.strict(call.args, ([start, end]) => callCode(gen, temporalDifference, [quote(unit), start, end, quote(type)]))
  },
})

// ---------------------------------------------------------------------------------------------- json

const dynamicPathCache = new Map<string, JsonPath>()

function jsonAt(document: Value, isText: boolean, path: JsonPath | string, part: string): JsonValue | undefined {
  let value: JsonValue
  if (isText) {
    try {
      value = parseValue(document as string, 'json') as JsonValue
    } catch (error) {
      return rethrowInPart(error, part)
    }
  } else {
    value = document as JsonValue
  }
  let steps: JsonPath
  if (typeof path === 'string') {
    let cached = dynamicPathCache.get(path)
    if (cached === undefined) {
      try {
        cached = parseJsonPath(path)
      } catch (error) {
        return throwInvalidArgument((error as Error).message, part)
      }
      if (dynamicPathCache.size >= MAX_CACHED_REGEXES) dynamicPathCache.clear()
      dynamicPathCache.set(path, cached)
    }
    steps = cached
  } else {
    steps = path
  }
  return extractJsonPath(value, steps)
}

function jsonExtract(document: Value, isText: boolean, path: JsonPath | string, part: string): Value {
  const value = jsonAt(document, isText, path, part)
  return value === undefined ? null : (value as Value)
}

function jsonExtractText(document: Value, isText: boolean, path: JsonPath | string, part: string): string | null {
  const value = jsonAt(document, isText, path, part)
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? value : JSON.stringify(value)
}

for (const [name, fn, type] of [
  ['JSON_EXTRACT', jsonExtract, 'json'],
  ['JSON_EXTRACT_TEXT', jsonExtractText, 'string'],
] as const) {
  scalar([name], {
    signature: `${name}(json, path)`,
    params: ['json', 'text'],
    returns: type,
    mayReturnNull: true,
    prepare: (call) => {
      const path = literalString(call.args[1])
      if (path === undefined) return undefined
      try {
        return parseJsonPath(path)
      } catch (error) {
        return call.invalidArgument(1, (error as Error).message)
      }
    },
    code: ([document, path], gen, call) => {
      const isText = call.args[0].type === 'string'
      const steps = isLiteral(call.args[1]) && call.data !== undefined ? gen.helper(call.data) : path
      return callCode(gen, fn, [document, String(isText), steps], call)
    },
  })
}

/** Every function by upper-case name (aliases included). */
export const FUNCTIONS: ReadonlyMap<string, FunctionDefinition> = catalogue

/** Function names, for documentation and "did you mean". */
export const FUNCTION_NAMES: readonly string[] = [...catalogue.keys()].sort()
