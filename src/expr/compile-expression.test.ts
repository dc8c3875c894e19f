import { describe, expect, test } from 'vitest'
import { ConfigError, RecordError } from '../core/errors.js'
import { schemaOf, type Row, type Schema, type Value } from '../core/schema.js'
import { checkSyntax, compileCondition, compileExpression, FUNCTION_NAMES, referencedColumns } from './index.js'

const schema: Schema = schemaOf([
  { name: 'i', type: 'int' },
  { name: 'i2', type: 'int' },
  { name: 'big', type: 'bigint' },
  { name: 'dec', type: 'decimal' },
  { name: 'dec2', type: 'decimal' },
  { name: 'f', type: 'float' },
  { name: 's', type: 'string' },
  { name: 's2', type: 'string' },
  { name: 'b', type: 'bool' },
  { name: 'b2', type: 'bool' },
  { name: 'd', type: 'date' },
  { name: 'ts', type: 'timestamp' },
  { name: 'tz', type: 'timestamptz' },
  { name: 't', type: 'time' },
  { name: 'j', type: 'json' },
  { name: 'bin', type: 'bytes' },
  { name: 'u', type: 'uuid' },
  { name: 'n', type: 'int' },
  { name: 'age', type: 'int' },
  { name: 'first name', type: 'string' },
  { name: 'Status', type: 'string' },
  { name: 'id', type: 'int', nullable: false },
])

type Values = Partial<Record<string, Value>>

function rowOf(values: Values): Row {
  return schema.columns.map((column) => values[column.name] ?? null)
}

function evaluate(source: string, values: Values = {}): Value {
  return compileExpression(source, schema).evaluate(rowOf(values))
}

function typeOf(source: string): string {
  return compileExpression(source, schema).type
}

/**
 * A bool expression's value, checked three ways: evaluate, test (the filter's TRUE-only view) and
 * test of its negation (which exercises the generator's FALSE path).
 */
function bool(source: string, values: Values = {}): boolean | null {
  const value = evaluate(source, values)
  const row = rowOf(values)
  expect(compileCondition(source, schema).test(row), `test(${source})`).toBe(value === true)
  expect(compileCondition(`NOT (${source})`, schema).test(row), `test(NOT (${source}))`).toBe(value === false)
  return value as boolean | null
}

function recordError(source: string, values: Values = {}): RecordError {
  const compiled = compileExpression(source, schema)
  try {
    compiled.evaluate(rowOf(values))
  } catch (error) {
    if (error instanceof RecordError) return error
    throw error
  }
  throw new Error(`expected ${source} to fail`)
}

function configError(action: () => unknown): ConfigError {
  try {
    action()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

function compileError(source: string): ConfigError {
  return configError(() => compileExpression(source, schema))
}

describe('literals', () => {
  test.each([
    ['42', 42, 'int'],
    ['2147483647', 2147483647, 'int'],
    ['-2147483648', -2147483648, 'int'],
    ['2147483648', 2147483648n, 'bigint'],
    ['-9223372036854775808', -9223372036854775808n, 'bigint'],
    ['9223372036854775808', '9223372036854775808', 'decimal'],
    ['1.50', '1.50', 'decimal'],
    ['.5', '0.5', 'decimal'],
    ['-0.25', '-0.25', 'decimal'],
    ['1e3', 1000, 'float'],
    ['2.5E-1', 0.25, 'float'],
    ["'it''s'", "it's", 'string'],
    ["''", '', 'string'],
    ['TRUE', true, 'bool'],
    ['false', false, 'bool'],
    ['NULL', null, 'null'],
    ["DATE '2024-01-31'", '2024-01-31', 'date'],
    ["timestamp '2024-01-31 10:00'", '2024-01-31T10:00:00', 'timestamp'],
    ["TIMESTAMPTZ '2024-01-31 10:00:00.50+02'", '2024-01-31T08:00:00.5Z', 'timestamptz'],
    ["TIME '10:30'", '10:30:00', 'time'],
  ])('%s', (source, value, type) => {
    expect(evaluate(source)).toEqual(value)
    expect(typeOf(source)).toBe(type)
  })

  test('an invalid typed literal points at it', () => {
    const error = compileError("i > 1 OR d = DATE '2024-13-01'")
    expect(error.code).toBe('expr.invalid_literal')
    expect(error.message).toBe('invalid date "2024-13-01"')
    expect(error.offset).toBe(13)
  })
})

describe('identifiers', () => {
  test('double quotes and backticks name columns with spaces; doubled quotes escape', () => {
    expect(evaluate('"first name"', { 'first name': 'Ada' })).toBe('Ada')
    expect(evaluate('`first name`', { 'first name': 'Ada' })).toBe('Ada')
    const quoted = schemaOf([
      { name: 'a"b', type: 'int' },
      { name: 'c`d', type: 'int' },
    ])
    expect(compileExpression('"a""b" + `c``d`', quoted).evaluate([1, 2])).toBe(3)
  })

  test('a bare name matches a column differing only in case; a quoted name matches exactly', () => {
    expect(evaluate('status', { Status: 'on' })).toBe('on')
    expect(evaluate('AGE', { age: 3 })).toBe(3)
    expect(compileError('"status"').code).toBe('expr.unknown_column')
  })

  test('keywords are case-insensitive', () => {
    expect(bool("i between 1 AND 10 aNd s Like 'a%' Or NOT TRUE", { i: 5, s: 'ab' })).toBe(true)
  })

  test('a reserved word must be quoted to be a column name', () => {
    const withEnd = schemaOf([{ name: 'end', type: 'int' }])
    expect(compileExpression('"end" + 1', withEnd).evaluate([1])).toBe(2)
    const error = configError(() => compileExpression('end + 1', withEnd))
    expect(error.code).toBe('expr.syntax')
    expect(error.message).toBe('syntax error: expected expression but found "end"')
    expect(error.hint).toBe('END is a keyword; to use a column named end, quote it: "end"')
  })

  test('comments', () => {
    expect(evaluate('i + /* one */ 1 -- the rest is ignored\n + 1', { i: 1 })).toBe(3)
  })

  test('columns lists the schema names used, once, in order', () => {
    expect(compileExpression('AGE + i + age + "first name"', schema).columns).toEqual(['age', 'i', 'first name'])
    expect(compileCondition('b AND i > 1', schema).columns).toEqual(['b', 'i'])
  })
})

describe('precedence', () => {
  test.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['2 * 3 % 4', 2],
    ['-2 * 3', -6],
    ["'a' || 1 + 2", 'a3'],
    ["'a' || 'b' = 'ab'", true],
    ['TRUE OR FALSE AND FALSE', true],
    ['NOT FALSE AND FALSE', false],
    ['NOT b = FALSE', true],
    ['1 < 2 IS TRUE', true],
    ['i BETWEEN 1 AND 3 = TRUE', true],
    ['NOT i IS NULL', true],
    ['- - 5', 5],
    ['1::bigint + 1', 2n],
    ['-i::decimal', '-2'],
  ])('%s', (source, value) => {
    expect(evaluate(source, { i: 2, b: true })).toEqual(value)
  })
})

describe('three-valued logic', () => {
  const values = [true, false, null] as const
  const and = (a: boolean | null, b: boolean | null): boolean | null => (a === false || b === false ? false : a === null || b === null ? null : true)
  const or = (a: boolean | null, b: boolean | null): boolean | null => (a === true || b === true ? true : a === null || b === null ? null : false)
  for (const a of values) {
    for (const b of values) {
      test(`${a} AND ${b}, ${a} OR ${b}`, () => {
        expect(bool('b AND b2', { b: a, b2: b })).toBe(and(a, b))
        expect(bool('b OR b2', { b: a, b2: b })).toBe(or(a, b))
        expect(bool('NOT (b AND b2)', { b: a, b2: b })).toBe(and(a, b) === null ? null : !and(a, b))
        expect(bool('NOT b OR b2', { b: a, b2: b })).toBe(or(a === null ? null : !a, b))
      })
    }
    test(`NOT ${a}, IS tests`, () => {
      expect(bool('NOT b', { b: a })).toBe(a === null ? null : !a)
      expect(bool('b IS NULL', { b: a })).toBe(a === null)
      expect(bool('b IS NOT NULL', { b: a })).toBe(a !== null)
      expect(bool('b IS TRUE', { b: a })).toBe(a === true)
      expect(bool('b IS NOT TRUE', { b: a })).toBe(a !== true)
      expect(bool('b IS FALSE', { b: a })).toBe(a === false)
      expect(bool('b IS NOT FALSE', { b: a })).toBe(a !== false)
    })
  }

  test('literal NULL in logic', () => {
    expect(bool('NULL AND FALSE')).toBe(false)
    expect(bool('NULL AND TRUE')).toBe(null)
    expect(bool('NULL OR TRUE')).toBe(true)
    expect(bool('NULL OR FALSE')).toBe(null)
    expect(bool('NOT NULL')).toBe(null)
  })

  test('AND does not evaluate its right side after FALSE', () => {
    expect(evaluate('i2 <> 0 AND i / i2 > 1', { i: 1, i2: 0 })).toBe(false)
    expect(evaluate('i2 = 0 OR i / i2 > 1', { i: 1, i2: 0 })).toBe(true)
  })
})

describe('comparisons', () => {
  test.each([
    ['i = 2', true],
    ['i <> 2', false],
    ['i != 3', true],
    ['i == 2', true],
    ['i < 3', true],
    ['i <= 2', true],
    ['i > 2', false],
    ['i >= 3', false],
    ["s = 'abc'", true],
    ["s < 'abd'", true],
    ["s > 'ab'", true],
    ['dec = 1.5', true],
    ['dec = 1.50000', true],
    ['dec > 1.49', true],
    ['dec < -1', false],
    ['dec = i', false],
    ['dec > i', false],
    ['0.1 + 0.2 = 0.3', true],
    ['f = 0.5e0', true],
    ['f < dec', true],
    ['i = big', true],
    ['big > i', false],
    ['i < 2.5', true],
    ['b = TRUE', true],
    ['b > FALSE', true],
  ])('%s', (source, expected) => {
    expect(bool(source, { i: 2, s: 'abc', dec: '1.50', f: 0.5, big: 2n, b: true })).toBe(expected)
  })

  test('decimals compare exactly, signs and scales included', () => {
    const cases: [string, string, boolean][] = [
      ['-0.5', '-0.25', true],
      ['-10', '-9.99', true],
      ['9.99', '10', true],
      ['0.1', '0.10', false],
      ['123456789012345678901234567890.1', '123456789012345678901234567890.01', false],
      ['-2', '1', true],
    ]
    for (const [a, b, isLess] of cases) expect(bool('dec < dec2', { dec: a, dec2: b }), `${a} < ${b}`).toBe(isLess)
    expect(bool('dec = dec2', { dec: '2.50', dec2: '2.5' })).toBe(true)
  })

  test('a string that is a number compares numerically with a number, other text as text', () => {
    expect(bool("'10' > 9")).toBe(true)
    expect(bool("'abc' > 9")).toBe(true)
    expect(bool('s > 9', { s: '10' })).toBe(true)
    expect(bool('s < 9', { s: '10' })).toBe(false)
    expect(bool('s = 10', { s: '10.0' })).toBe(true)
    expect(bool('s = 10', { s: ' 1e1 ' })).toBe(true)
    expect(bool('s > 9', { s: 'abc' })).toBe(true)
    expect(bool('s < 9', { s: '' })).toBe(true)
    expect(bool('s = dec', { s: '2.50', dec: '2.5' })).toBe(true)
    expect(bool('s > f', { s: '0.3', f: 0.1 + 0.2 })).toBe(false)
    expect(bool('s = big', { s: '9223372036854775807', big: 9223372036854775807n })).toBe(true)
    expect(bool("i = '7'", { i: 7 })).toBe(true)
  })

  test('dates, timestamps and timestamptz compare on one time line', () => {
    expect(bool('d < ts', { d: '2024-01-31', ts: '2024-01-31T00:00:01' })).toBe(true)
    expect(bool('d = ts', { d: '2024-01-31', ts: '2024-01-31T00:00:00' })).toBe(true)
    expect(bool('ts > d', { d: '2024-01-31', ts: '2024-01-30T23:59:59.999999' })).toBe(false)
    expect(bool('d = tz', { d: '2024-01-31', tz: '2024-01-31T00:00:00Z' })).toBe(true)
    expect(bool('ts < tz', { ts: '2024-01-31T10:00:00', tz: '2024-01-31T10:00:00.5Z' })).toBe(true)
    expect(bool('t > TIME \'10:00\'', { t: '10:00:00.000001' })).toBe(true)
  })

  test('timestamptz with and without fraction compare by time, not text', () => {
    expect(bool("tz < TIMESTAMPTZ '2024-01-01 00:00:00.5Z'", { tz: '2024-01-01T00:00:00Z' })).toBe(true)
    expect(bool("tz > TIMESTAMPTZ '2024-01-01 00:00:00.5Z'", { tz: '2024-01-01T00:00:00Z' })).toBe(false)
    expect(bool("tz >= TIMESTAMPTZ '2024-01-01 00:00:00Z'", { tz: '2024-01-01T00:00:00.5Z' })).toBe(true)
  })

  test('a string literal takes the type of the value it is compared with', () => {
    expect(bool("d > '2024-01-01'", { d: '2024-01-31' })).toBe(true)
    expect(bool("ts >= '2024-01-31'", { ts: '2024-01-31T00:00:00' })).toBe(true)
    expect(bool("tz = '2024-01-31 12:00+02:00'", { tz: '2024-01-31T10:00:00Z' })).toBe(true)
    expect(bool("u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", { u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' })).toBe(true)
    expect(bool("b = 'yes'", { b: true })).toBe(true)
    expect(bool("'2024-01-31' = d", { d: '2024-01-31' })).toBe(true)
  })

  test('a string column compared with a typed value is read as that type', () => {
    expect(bool('s = d', { s: '2024-01-31', d: '2024-01-31' })).toBe(true)
    expect(bool('s < ts', { s: '2024-01-31 09:00', ts: '2024-01-31T10:00:00' })).toBe(true)
    expect(bool('s = b', { s: 'true', b: true })).toBe(true)
    expect(bool('s = u', { s: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' })).toBe(true)
  })

  test('a string literal that is not a valid date is an error', () => {
    const error = compileError("d = 'yesterday'")
    expect(error.code).toBe('expr.invalid_literal')
    expect(error.message).toBe('invalid date "yesterday"')
    expect(error.offset).toBe(4)
  })

  test('incomparable types are a type error at the operator', () => {
    const error = compileError('i > 0 AND b = d')
    expect(error.code).toBe('expr.type')
    expect(error.message).toBe('cannot compare bool with date')
    expect(error.offset).toBe(12)
    expect(compileError('bin = s').message).toBe('cannot compare bytes with string')
    expect(compileError('t < d').message).toBe('cannot compare time with date')
  })

  test('NULL in a comparison gives NULL', () => {
    expect(bool('i > n', { i: 1 })).toBe(null)
    expect(bool('n = n')).toBe(null)
    expect(bool('n <> 1')).toBe(null)
    expect(bool('NULL = NULL')).toBe(null)
    expect(bool("s = 'a'", {})).toBe(null)
    expect(bool('i = 1', {})).toBe(null)
    expect(bool('i > -1', {})).toBe(null)
  })

  test('IS [NOT] DISTINCT FROM treats NULL as a value', () => {
    expect(bool('i IS DISTINCT FROM n', { i: 1 })).toBe(true)
    expect(bool('n IS DISTINCT FROM n')).toBe(false)
    expect(bool('n IS NOT DISTINCT FROM NULL')).toBe(true)
    expect(bool('i IS NOT DISTINCT FROM 1', { i: 1 })).toBe(true)
    expect(bool('dec IS DISTINCT FROM 1.0', { dec: '1' })).toBe(false)
  })

  test('json compares through its scalar value', () => {
    const j = { status: 'active', n: 10, ok: true }
    expect(bool("JSON_EXTRACT(j, '$.status') = 'active'", { j })).toBe(true)
    expect(bool("JSON_EXTRACT(j, '$.n') > 5", { j })).toBe(true)
    expect(bool("JSON_EXTRACT(j, '$.ok') = TRUE", { j })).toBe(true)
    expect(bool("JSON_EXTRACT(j, '$.missing') = 1", { j })).toBe(null)
  })
})

describe('IN', () => {
  test.each([
    ['i IN (1, 2, 3)', { i: 2 }, true],
    ['i IN (1, 2, 3)', { i: 4 }, false],
    ['i NOT IN (1, 2)', { i: 3 }, true],
    ['i NOT IN (1, 2)', { i: 1 }, false],
    ['i IN (1, NULL)', { i: 1 }, true],
    ['i IN (1, NULL)', { i: 2 }, null],
    ['i NOT IN (1, NULL)', { i: 2 }, null],
    ['i NOT IN (1, NULL)', { i: 1 }, false],
    ['n IN (1, 2)', {}, null],
    ['i IN (NULL)', { i: 1 }, null],
    ['i IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)', { i: 10 }, true],
    ['i IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NULL)', { i: 11 }, null],
    ['i IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)', { i: 11 }, false],
    ["s IN ('a', 'b')", { s: 'b' }, true],
    ["i IN ('1', '2')", { i: 2 }, true],
    ['dec IN (1.5, 2)', { dec: '1.50' }, true],
    ['big IN (1, 2)', { big: 2n }, true],
    ['f IN (1, 2)', { f: 2 }, true],
    ['i IN (i2, 3)', { i: 5, i2: 5 }, true],
    ['i IN (i2, 3)', { i: 5 }, null],
    ["d IN ('2024-01-31', '2024-02-01')", { d: '2024-02-01' }, true],
    ['i + 1 IN (3, 4)', { i: 2 }, true],
    ['i + 1 IN (i2, 4)', { i: 3, i2: 1 }, true],
  ])('%s (case %#)', (source, values, expected) => {
    expect(bool(source, values as Values)).toBe(expected)
  })

  test('an IN item of an incomparable type is an error at the item', () => {
    const error = compileError('i IN (1, DATE \'2024-01-01\')')
    expect(error.message).toBe('cannot compare int with date in IN list')
    expect(error.offset).toBe(9)
  })
})

describe('BETWEEN', () => {
  test.each([
    ['i BETWEEN 1 AND 3', { i: 1 }, true],
    ['i BETWEEN 1 AND 3', { i: 3 }, true],
    ['i BETWEEN 1 AND 3', { i: 4 }, false],
    ['i NOT BETWEEN 1 AND 3', { i: 4 }, true],
    ['n BETWEEN 1 AND 3', {}, null],
    ['i BETWEEN n AND 5', { i: 10 }, false],
    ['i BETWEEN n AND 5', { i: 3 }, null],
    ["d BETWEEN '2024-01-01' AND '2024-12-31'", { d: '2024-06-01' }, true],
    ["s BETWEEN 'a' AND 'c'", { s: 'b' }, true],
    ['i * 2 BETWEEN 3 AND 5', { i: 2 }, true],
  ])('%s (case %#)', (source, values, expected) => {
    expect(bool(source, values as Values)).toBe(expected)
  })
})

describe('LIKE', () => {
  test.each([
    ["'abc' LIKE 'abc'", true],
    ["'abc' LIKE 'ab'", false],
    ["'abc' LIKE 'a%'", true],
    ["'abc' LIKE '%c'", true],
    ["'abc' LIKE '%b%'", true],
    ["'abc' LIKE '%'", true],
    ["'' LIKE '%'", true],
    ["'' LIKE '_'", false],
    ["'abc' LIKE 'a_c'", true],
    ["'abbc' LIKE 'a_c'", false],
    ["'abc' LIKE '___'", true],
    ["'abc' LIKE 'a%%c'", true],
    ["'axyzc' LIKE 'a%y%c'", true],
    ["'abc' LIKE 'A%'", false],
    ["'abc' ILIKE 'A%'", true],
    ["'ABC' ILIKE '_b_'", true],
    ["'abc' NOT LIKE 'a%'", false],
    ["'abc' NOT ILIKE 'x%'", true],
    ["'100%' LIKE '100\\%'", true],
    ["'1000' LIKE '100\\%'", false],
    ["'a_b' LIKE 'a\\_b'", true],
    ["'axb' LIKE 'a\\_b'", false],
    ["'a\\b' LIKE 'a\\\\b'", true],
    ["'a_b' LIKE 'a!_b' ESCAPE '!'", true],
    ["'axb' LIKE 'a!_b' ESCAPE '!'", false],
    ["'a\\b' LIKE 'a\\b' ESCAPE ''", true],
    ["'a.c' LIKE 'a.c'", true],
    ["'abc' LIKE 'a.c'", false],
    ["'a+b' LIKE 'a+b'", true],
    ["'aab' LIKE 'a+b'", false],
    ["'(x)' LIKE '(%)'", true],
    ["'[a]' LIKE '[a]'", true],
    ["'a' LIKE '[a]'", false],
    ["'^$' LIKE '^$'", true],
    ["'a|b' LIKE 'a|b'", true],
    ["'a' LIKE 'a|b'", false],
    ["'x{2}' LIKE 'x{2}'", true],
    ["'xx' LIKE 'x{2}'", false],
    ["'a?' LIKE '_?'", true],
    ["'ab' LIKE 'a?'", false],
    ["'a/b' LIKE 'a/%'", true],
  ])('%s', (source, expected) => {
    expect(bool(source)).toBe(expected)
  })

  test('_ is one character, also a newline or an emoji', () => {
    expect(bool("s LIKE 'a_b'", { s: 'a\nb' })).toBe(true)
    expect(bool("s LIKE '%'", { s: 'line1\nline2' })).toBe(true)
    expect(bool("s LIKE 'x_y'", { s: 'x😀y' })).toBe(true)
    expect(bool("s ILIKE 'X_Y'", { s: 'x😀y' })).toBe(true)
  })

  test('patterns from columns', () => {
    expect(bool('s LIKE s2', { s: 'abc', s2: 'a%' })).toBe(true)
    expect(bool('s LIKE s2', { s: 'a.c', s2: 'a.c' })).toBe(true)
    expect(bool('s LIKE s2', { s: 'abc', s2: 'a.c' })).toBe(false)
    expect(bool('s LIKE s2', { s: 'abc' })).toBe(null)
    expect(bool("n LIKE 'a'")).toBe(null)
    expect(bool("s LIKE 'a%' ESCAPE s2", { s: 'abc' })).toBe(null)
    const error = recordError('s LIKE s2', { s: 'abc', s2: 'abc\\' })
    expect(error.code).toBe('expr.invalid_argument')
    expect(error.message).toBe('LIKE pattern "abc\\\\" ends with the escape character in "s LIKE s2"')
  })

  test('a non-string operand is matched by its text', () => {
    expect(bool("i LIKE '12%'", { i: 123 })).toBe(true)
    expect(bool("d LIKE '2024-%'", { d: '2024-05-01' })).toBe(true)
  })

  test('an invalid literal pattern or escape is a compile error', () => {
    const error = compileError("s LIKE 'abc\\'")
    expect(error.code).toBe('expr.invalid_argument')
    expect(error.offset).toBe(7)
    const escape = compileError("s LIKE 'a' ESCAPE 'ab'")
    expect(escape.message).toBe('ESCAPE must be one character, got "ab"')
    expect(escape.offset).toBe(18)
  })
})

describe('arithmetic', () => {
  test.each([
    ['i + i2', 10, 'int'],
    ['i - i2', 4, 'int'],
    ['i * i2', 21, 'int'],
    ['i / i2', 7 / 3, 'float'],
    ['i / 2', 3.5, 'float'],
    ['i % i2', 1, 'int'],
    ['-i % i2', -1, 'int'],
    ['DIV(i, 2)', 3, 'int'],
    ['DIV(-i, 2)', -3, 'int'],
    ['MOD(i, i2)', 1, 'int'],
    ['i + big', 10n, 'bigint'],
    ['big * big', 9n, 'bigint'],
    ['big / 2', 1.5, 'float'],
    ['big % 2', 1n, 'bigint'],
    ['DIV(big, 2)', 1n, 'bigint'],
    ['i + f', 7.5, 'float'],
    ['i * 1.5', '10.5', 'decimal'],
    ['i + dec', '8.25', 'decimal'],
    ['dec * dec', '1.5625', 'decimal'],
    ['dec / 4', '0.312500', 'decimal'],
    ['dec - 2', '-0.75', 'decimal'],
    ['dec % 0.5', '0.25', 'decimal'],
    ['DIV(dec, 0.5)', '2', 'decimal'],
    ['dec + f', 1.75, 'float'],
    ['f * 2', 1, 'float'],
    ['-i', -7, 'int'],
    ['-dec', '-1.25', 'decimal'],
    ['-f', -0.5, 'float'],
    ['+i', 7, 'int'],
    ['-big', -3n, 'bigint'],
    ['0 * -i', 0, 'int'],
    ['i + n', null, 'int'],
    ['NULL + NULL', null, 'null'],
    ['n / 0', null, 'float'],
  ])('%s', (source, value, type) => {
    const values = { i: 7, i2: 3, big: 3n, dec: '1.25', f: 0.5 }
    expect(evaluate(source, values)).toEqual(value)
    expect(typeOf(source)).toBe(type)
  })

  test('0.1 + 0.2 is exactly 0.3 on decimals', () => {
    expect(evaluate('0.1 + 0.2')).toBe('0.3')
    expect(evaluate('dec + dec2', { dec: '0.1', dec2: '0.2' })).toBe('0.3')
    expect(evaluate('dec * 3', { dec: '0.1' })).toBe('0.3')
    expect(evaluate('1.0 / 3')).toBe('0.333333')
    expect(evaluate('dec / dec2', { dec: '2', dec2: '3.0000000' })).toBe('0.6666667')
  })

  test('int overflow is a record error, as in PostgreSQL', () => {
    for (const [source, values] of [
      ['i + 1', { i: 2147483647 }],
      ['i - 1', { i: -2147483648 }],
      ['i * i', { i: 65536 }],
      ['-i', { i: -2147483648 }],
      ['ABS(i)', { i: -2147483648 }],
      ['DIV(i, -1)', { i: -2147483648 }],
    ] as const) {
      const error = recordError(source, values)
      expect(error.code).toBe('expr.overflow')
      expect(error.message).toBe(`int out of range in "${source}"`)
    }
    expect(evaluate('i * i', { i: 46340 })).toBe(2147395600)
    expect(evaluate('i + 1', { i: 2147483646 })).toBe(2147483647)
  })

  test('bigint overflow is a record error', () => {
    expect(recordError('big + 1', { big: 9223372036854775807n }).message).toBe('bigint out of range in "big + 1"')
    expect(recordError('big * 2', { big: -9223372036854775808n }).code).toBe('expr.overflow')
    expect(recordError('-big', { big: -9223372036854775808n }).code).toBe('expr.overflow')
    expect(evaluate('big - 1', { big: -9223372036854775807n })).toBe(-9223372036854775808n)
  })

  test('division by zero is a record error for every number type', () => {
    for (const [source, values] of [
      ['i / i2', { i: 1, i2: 0 }],
      ['i % i2', { i: 1, i2: 0 }],
      ['DIV(i, i2)', { i: 1, i2: 0 }],
      ['MOD(i, 0)', { i: 1 }],
      ['big / 0', { big: 1n }],
      ['big % 0', { big: 1n }],
      ['dec / 0', { dec: '1' }],
      ['dec / 0.00', { dec: '1' }],
      ['dec % 0', { dec: '1' }],
      ['f / 0', { f: 1 }],
      ['f % 0', { f: 1 }],
      ['f / (i - 2)', { f: 1, i: 2 }],
      ['(f) / ((i - 2))', { f: 1, i: 2 }],
    ] as const) {
      const error = recordError(source, values)
      expect(error.code, source).toBe('expr.division_by_zero')
      expect(error.message).toBe(`division by zero in "${source}"`)
    }
  })

  test('a string operand is read as a decimal (a float next to a float)', () => {
    expect(evaluate('s + 1', { s: '41' })).toBe('42')
    expect(evaluate('s * 1.5', { s: ' 2 ' })).toBe('3.0')
    expect(evaluate('s + f', { s: '1', f: 0.5 })).toBe(1.5)
    expect(typeOf('s + 1')).toBe('decimal')
    expect(evaluate("'2' * 3")).toBe(6)
    const error = recordError('s + 1', { s: 'abc' })
    expect(error.code).toBe('value.invalid')
    expect(error.message).toBe('invalid decimal "abc" for column "s" in "s + 1"')
    expect(error.column).toBe('s')
  })

  test('arithmetic on two strings or a non-number is a type error at the operator', () => {
    const strings = compileError('i > 0 AND s + s2 > 1')
    expect(strings.code).toBe('expr.type')
    expect(strings.message).toBe('cannot apply + to string and string')
    expect(strings.hint).toBe('join strings with || or CONCAT')
    expect(strings.offset).toBe(12)
    expect(compileError('b + 1').message).toBe('cannot apply + to bool and int')
    expect(compileError('d * 2').message).toBe('cannot apply * to date and int')
    expect(compileError('-b').message).toBe('cannot apply - to bool')
  })

  test('date plus or minus days, and the days between dates', () => {
    expect(evaluate('d + 1', { d: '2024-02-28' })).toBe('2024-02-29')
    expect(evaluate('1 + d', { d: '2024-12-31' })).toBe('2025-01-01')
    expect(evaluate('d - 31', { d: '2024-03-01' })).toBe('2024-01-30')
    expect(evaluate('d - DATE \'2024-01-01\'', { d: '2024-03-01' })).toBe(60)
    expect(typeOf('d + 1')).toBe('date')
    expect(typeOf('d - d')).toBe('int')
    expect(recordError('d + 1', { d: '9999-12-31' }).message).toBe('date out of range in "d + 1"')
  })

  test('|| joins text, NULL gives NULL', () => {
    expect(evaluate("s || '!'", { s: 'hi' })).toBe('hi!')
    expect(evaluate('s || n', { s: 'hi' })).toBe(null)
    expect(evaluate("i || 'x'", { i: 5 })).toBe('5x')
    expect(evaluate("dec || ' ' || b || ' ' || d", { dec: '1.50', b: false, d: '2024-01-31' })).toBe('1.50 false 2024-01-31')
    expect(evaluate("f || ''", { f: 0.1 })).toBe('0.1')
  })
})

describe('CASE', () => {
  test('searched form', () => {
    const source = "CASE WHEN i > 10 THEN 'big' WHEN i > 5 THEN 'medium' ELSE 'small' END"
    expect(evaluate(source, { i: 11 })).toBe('big')
    expect(evaluate(source, { i: 6 })).toBe('medium')
    expect(evaluate(source, { i: 1 })).toBe('small')
    expect(evaluate(source, {})).toBe('small')
  })

  test('simple form, NULL never matches', () => {
    const source = "CASE s WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 0 END"
    expect(evaluate(source, { s: 'b' })).toBe(2)
    expect(evaluate(source, { s: 'z' })).toBe(0)
    expect(evaluate(source, {})).toBe(0)
    expect(evaluate('CASE n WHEN NULL THEN 1 ELSE 2 END')).toBe(2)
    expect(evaluate("CASE i + 1 WHEN 2 THEN 'two' END", { i: 1 })).toBe('two')
  })

  test('without ELSE the result is NULL', () => {
    expect(evaluate('CASE WHEN i > 1 THEN 1 END', { i: 0 })).toBe(null)
  })

  test('results take their common type', () => {
    expect(evaluate('CASE WHEN b THEN 1 ELSE 2.5 END', { b: true })).toBe('1')
    expect(typeOf('CASE WHEN b THEN 1 ELSE 2.5 END')).toBe('decimal')
    expect(typeOf('CASE WHEN b THEN i ELSE big END')).toBe('bigint')
    expect(typeOf('CASE WHEN b THEN i ELSE f END')).toBe('float')
    expect(evaluate("CASE WHEN b THEN d ELSE '2024-01-01' END", { b: false })).toBe('2024-01-01')
    expect(typeOf("CASE WHEN b THEN d ELSE '2024-01-01' END")).toBe('date')
    expect(typeOf('CASE WHEN b THEN d ELSE ts END')).toBe('timestamp')
    expect(evaluate("CASE WHEN b THEN i ELSE 'none' END", { b: true, i: 5 })).toBe('5')
    expect(typeOf("CASE WHEN b THEN i ELSE 'none' END")).toBe('string')
    expect(typeOf('CASE WHEN b THEN NULL END')).toBe('null')
  })

  test('incompatible results and non-bool conditions are type errors', () => {
    const mix = compileError('CASE WHEN b THEN 1 ELSE d END')
    expect(mix.code).toBe('expr.type')
    expect(mix.message).toBe('cannot mix int and date in CASE')
    expect(mix.offset).toBe(24)
    const when = compileError('CASE WHEN i THEN 1 END')
    expect(when.message).toBe('WHEN expects a bool, got int')
    expect(when.offset).toBe(10)
  })

  test('a CASE condition that is TRUE only for some rows', () => {
    expect(bool('CASE WHEN i > 0 THEN b ELSE FALSE END', { i: 1, b: true })).toBe(true)
    expect(bool('CASE WHEN i > 0 THEN b ELSE FALSE END', { i: 1 })).toBe(null)
  })
})

describe('CAST', () => {
  test.each([
    ["CAST('42' AS int)", {}, 42],
    ["CAST(' 42 ' AS integer)", {}, 42],
    ['CAST(dec AS int)', { dec: '2.5' }, 3],
    ['CAST(dec AS int)', { dec: '-2.5' }, -3],
    ['CAST(dec AS bigint)', { dec: '2.4' }, 2n],
    ['CAST(f AS int)', { f: 2.5 }, 3],
    ['CAST(i AS decimal(10,2))', { i: 5 }, '5.00'],
    ['CAST(dec AS numeric(4, 1))', { dec: '1.25' }, '1.3'],
    ['CAST(i AS string)', { i: 5 }, '5'],
    ['CAST(f AS text)', { f: 0.5 }, '0.5'],
    ['CAST(b AS varchar)', { b: true }, 'true'],
    ['CAST(ts AS date)', { ts: '2024-01-31T23:00:00' }, '2024-01-31'],
    ['CAST(tz AS timestamp)', { tz: '2024-01-31T23:00:00Z' }, '2024-01-31T23:00:00'],
    ['CAST(d AS timestamptz)', { d: '2024-01-31' }, '2024-01-31T00:00:00Z'],
    ["CAST('2024-01-31 10:00+01' AS timestamptz)", {}, '2024-01-31T09:00:00Z'],
    ["CAST('{\"a\": [1]}' AS json)", {}, { a: [1] }],
    ['CAST(j AS string)', { j: { a: 1 } }, '{"a":1}'],
    ["CAST('yes' AS boolean)", {}, true],
    ['CAST(i AS bool)', { i: 0 }, false],
    ['i::bigint', { i: 5 }, 5n],
    ["'12'::int + 1", {}, 13],
    ['CAST(NULL AS int)', {}, null],
    ['CAST(n AS string)', {}, null],
    ["TRY_CAST('abc' AS int)", {}, null],
    ['TRY_CAST(s AS date)', { s: '2024-02-30' }, null],
    ['TRY_CAST(s AS date)', { s: '2024-02-29' }, '2024-02-29'],
  ])('%s (case %#)', (source, values, expected) => {
    expect(evaluate(source, values as Values)).toEqual(expected)
  })

  test('the static type is the target type', () => {
    expect(typeOf('CAST(s AS decimal(10,2))')).toBe('decimal')
    expect(typeOf('CAST(NULL AS int)')).toBe('int')
    expect(typeOf('s::timestamptz')).toBe('timestamptz')
  })

  test('a failing CAST is a record error naming the column and the expression', () => {
    const error = recordError('CAST(s AS int)', { s: 'abc' })
    expect(error.code).toBe('value.invalid')
    expect(error.message).toBe('invalid int "abc" for column "s" in "CAST(s AS int)"')
    expect(error.column).toBe('s')
    const range = recordError('CAST(big AS int)', { big: 3000000000n })
    expect(range.code).toBe('value.out_of_range')
    expect(range.message).toBe('3000000000 is out of range for int for column "big" in "CAST(big AS int)"')
  })

  test('a constant CAST that fails fails per row, not at compile time', () => {
    const compiled = compileExpression('CASE WHEN i > 0 THEN 1 ELSE CAST(1000 AS decimal(3,1)) END', schema)
    expect(compiled.evaluate(rowOf({ i: 1 }))).toBe('1')
    expect(() => compiled.evaluate(rowOf({ i: 0 }))).toThrow('1000 is out of range for decimal(3,1)')
  })

  test('an unknown type name is an error at the name, with a suggestion', () => {
    const error = compileError('CAST(i AS integr)')
    expect(error.code).toBe('expr.unknown_type')
    expect(error.message).toBe('unknown type "integr" in CAST (did you mean "integer"?)')
    expect(error.offset).toBe(10)
    expect(compileError('i::decimal(2,3)').message).toBe('unknown type "decimal(2,3)" in CAST (did you mean "decimal"?)')
  })
})

describe('conditions', () => {
  test('test is the generated function itself', () => {
    const condition = compileCondition("age > 18 AND status = 'active'", schema)
    expect(condition.test.name).toBe('test')
    expect(condition.test.toString()).toMatch(/^function test\(row\)/)
    expect(compileExpression('age + 1', schema).evaluate.name).toBe('evaluate')
  })

  test('the common filter compiles to plain comparisons', () => {
    const source = compileCondition("age > 18 AND status = 'active'", schema).test.toString()
    expect(source).not.toMatch(/h\d+\(/)
    expect(compileCondition("age > 18 AND status = 'active'", schema).test(rowOf({ age: 30, Status: 'active' }))).toBe(true)
    expect(compileCondition("age > 18 AND status = 'active'", schema).test(rowOf({ age: 30, Status: 'inactive' }))).toBe(false)
    expect(compileCondition("age > 18 AND status = 'active'", schema).test(rowOf({ Status: 'active' }))).toBe(false)
  })

  test('a NOT NULL column needs no null check', () => {
    expect(compileCondition('id > 5', schema).test.toString()).not.toContain('null')
  })

  test('NULL counts as false', () => {
    expect(compileCondition('NULL', schema).test(rowOf({}))).toBe(false)
    expect(compileCondition('age > 1', schema).test(rowOf({}))).toBe(false)
    expect(compileCondition('NOT (age > 1)', schema).test(rowOf({}))).toBe(false)
  })

  test('a condition must be a bool', () => {
    const error = configError(() => compileCondition('  age + 1', schema))
    expect(error.code).toBe('expr.type')
    expect(error.message).toBe('condition must be a bool, got int')
    expect(error.offset).toBe(2)
  })

  test('record errors come out of test', () => {
    expect(() => compileCondition('age / 0 > 1', schema).test(rowOf({ age: 1 }))).toThrow(RecordError)
  })
})

describe('errors point at the problem', () => {
  test('unknown column, with a suggestion', () => {
    const error = compileError('i > 0 AND agee > 18')
    expect(error.code).toBe('expr.unknown_column')
    expect(error.message).toBe('unknown column "agee" in expression (did you mean "age"?)')
    expect(error.offset).toBe(10)
    expect(compileError('zzzz').message).toBe('unknown column "zzzz" in expression')
    expect(compileError('"first nme"').message).toBe('unknown column "first nme" in expression (did you mean "first name"?)')
  })

  test('unknown function, with a suggestion', () => {
    const error = compileError("s = 'x' OR UPPR(s) = 'X'")
    expect(error.code).toBe('expr.unknown_function')
    expect(error.message).toBe('unknown function "UPPR" in expression (did you mean "UPPER"?)')
    expect(error.offset).toBe(11)
  })

  test('wrong number of arguments', () => {
    const error = compileError('i + LENGTH(s, s)')
    expect(error.code).toBe('expr.argument_count')
    expect(error.message).toBe('LENGTH takes 1 argument, got 2')
    expect(error.hint).toBe('usage: LENGTH(text)')
    expect(error.offset).toBe(4)
    expect(compileError('SUBSTRING(s)').message).toBe('SUBSTRING takes 2 to 3 arguments, got 1')
    expect(compileError('COALESCE()').message).toBe('COALESCE takes at least 1 argument, got 0')
    expect(compileError('NOW(1)').message).toBe('NOW takes 0 arguments, got 1')
  })

  test.each([
    ['(i > 1', 'syntax error: expected ")" but found end of expression', 6],
    ['i >', 'syntax error: expected expression but found end of expression', 3],
    ['', 'syntax error: expected expression but found end of expression', 0],
    ['i = 1 s', 'syntax error: expected an operator or end of expression but found "s"', 6],
    ['UPPER(s', 'syntax error: expected "," or ")" but found end of expression', 7],
    ['CASE WHEN b', 'syntax error: expected "THEN" but found end of expression', 11],
    ['CASE WHEN b THEN 1', 'syntax error: expected "WHEN", "ELSE" or "END" but found end of expression', 18],
    ['CAST(i int)', 'syntax error: expected "AS" but found "int"', 7],
    ['i IN 1, 2', 'syntax error: expected "(" but found "1"', 5],
    ["s = 'abc", 'syntax error: unterminated string "\'abc"', 4],
    ['"abc', 'syntax error: unterminated quoted name ""abc"', 0],
    ['i + * 2', 'syntax error: expected expression but found "*"', 4],
    ['1abc', 'syntax error: expected expression but found "1abc"', 0],
    ['i > 1 AND', 'syntax error: expected expression but found end of expression', 9],
  ])('%j', (source, message, offset) => {
    const error = compileError(source)
    expect(error.code).toBe('expr.syntax')
    expect(error.message).toBe(message)
    expect(error.offset).toBe(offset)
  })

  test('chained comparisons get a hint', () => {
    const error = compileError('1 < i < 3')
    expect(error.message).toBe('syntax error: expected an operator or end of expression but found "<"')
    expect(error.hint).toBe('comparisons do not chain: write a < b AND b < c')
  })

  test('AND and OR need bools', () => {
    const error = compileError('b AND i')
    expect(error.code).toBe('expr.type')
    expect(error.message).toBe('AND expects a bool, got int')
    expect(error.offset).toBe(6)
    expect(compileError("NOT s").message).toBe('NOT expects a bool, got string')
  })
})

describe('lint without a schema', () => {
  test('checkSyntax checks syntax, function names and argument counts, not columns', () => {
    expect(() => checkSyntax('whatever > 1 AND UPPER(x) = \'A\'')).not.toThrow()
    expect(configError(() => checkSyntax('a >')).code).toBe('expr.syntax')
    expect(configError(() => checkSyntax('UPPR(a)')).code).toBe('expr.unknown_function')
    expect(configError(() => checkSyntax('UPPER(a, b)')).code).toBe('expr.argument_count')
  })

  test('referencedColumns lists names as written', () => {
    expect(referencedColumns('a + "b c" + LENGTH(`d`) + a + CASE e WHEN 1 THEN f END')).toEqual(['a', 'b c', 'd', 'e', 'f'])
    expect(referencedColumns("EXTRACT(year FROM created_at) > 2020")).toEqual(['created_at'])
    expect(referencedColumns('1 + 2')).toEqual([])
  })

  test('FUNCTION_NAMES lists every function, sorted', () => {
    expect(FUNCTION_NAMES).toContain('UPPER')
    expect(FUNCTION_NAMES).toContain('DATE_FORMAT')
    expect([...FUNCTION_NAMES]).toEqual([...FUNCTION_NAMES].sort())
  })
})

describe('values handed out', () => {
  test('a json constant is a fresh copy on every row', () => {
    const compiled = compileExpression('COALESCE(j, CAST(\'{"a": 1}\' AS json))', schema)
    const first = compiled.evaluate(rowOf({})) as Record<string, unknown>
    first.a = 2
    expect(compiled.evaluate(rowOf({}))).toEqual({ a: 1 })
  })
})

describe('generated conditions agree with three-valued logic', () => {
  // Random bool expressions over NULL-able columns, from a fixed seed: the value of the whole must
  // follow from the values of its parts, and test() must agree with evaluate().
  const leaves = ['b', 'b2', 'i > 1', 'i IN (1, NULL)', "s LIKE 'a%'", 'i BETWEEN 0 AND 2', 'n IS NULL', 'CASE WHEN b THEN b2 END', 'i IN (i, 2)', 'NULL']
  type Tree = { leaf: string } | { op: 'AND' | 'OR'; left: Tree; right: Tree } | { op: 'NOT'; operand: Tree }
  let seed = 12345
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
  const grow = (depth: number): Tree => {
    if (depth === 0 || random(4) === 0) return { leaf: leaves[random(leaves.length)] }
    const kind = random(3)
    if (kind === 2) return { op: 'NOT', operand: grow(depth - 1) }
    return { op: kind === 0 ? 'AND' : 'OR', left: grow(depth - 1), right: grow(depth - 1) }
  }
  const text = (tree: Tree): string =>
    'leaf' in tree ? tree.leaf : tree.op === 'NOT' ? `NOT (${text(tree.operand)})` : `(${text(tree.left)} ${tree.op} ${text(tree.right)})`
  const expected = (tree: Tree, values: Values): boolean | null => {
    if ('leaf' in tree) return evaluate(tree.leaf, values) as boolean | null
    if (tree.op === 'NOT') {
      const value = expected(tree.operand, values)
      return value === null ? null : !value
    }
    const a = expected(tree.left, values)
    const b = expected(tree.right, values)
    if (tree.op === 'AND') return a === false || b === false ? false : a === null || b === null ? null : true
    return a === true || b === true ? true : a === null || b === null ? null : false
  }
  const rows: Values[] = []
  for (const b of [true, false, null]) for (const b2 of [true, false, null]) for (const i of [0, 1, 2, null]) rows.push({ b, b2, i, s: i === null ? null : 'abc' })
  test('200 random expressions on 36 rows', () => {
    for (let k = 0; k < 200; k++) {
      const tree = grow(4)
      const source = text(tree)
      for (const values of rows) expect(bool(source, values), `${source} with ${JSON.stringify(values)}`).toBe(expected(tree, values))
    }
  })
})
