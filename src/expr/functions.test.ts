import { afterEach, describe, expect, test, vi } from 'vitest'
import { ConfigError, RecordError } from '../core/errors.js'
import { schemaOf, type Row, type Schema, type Value } from '../core/schema.js'
import { compileExpression } from './index.js'

const schema: Schema = schemaOf([
  { name: 'i', type: 'int' },
  { name: 'big', type: 'bigint' },
  { name: 'dec', type: 'decimal' },
  { name: 'f', type: 'float' },
  { name: 's', type: 'string' },
  { name: 's2', type: 'string' },
  { name: 'b', type: 'bool' },
  { name: 'd', type: 'date' },
  { name: 'ts', type: 'timestamp' },
  { name: 'tz', type: 'timestamptz' },
  { name: 't', type: 'time' },
  { name: 'j', type: 'json' },
  { name: 'bin', type: 'bytes' },
  { name: 'n', type: 'int' },
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

function compileError(source: string): ConfigError {
  try {
    compileExpression(source, schema)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error(`expected ${source} not to compile`)
}

/** [expression, row, expected value, expected static type]. */
type Case = readonly [string, Values, Value, string]

function cases(list: readonly Case[]): void {
  test.each(list)('%s (case %#)', (source, values, expected, type) => {
    expect(evaluate(source, values)).toEqual(expected)
    expect(typeOf(source)).toBe(type)
  })
}

describe('text', () => {
  cases([
    ['UPPER(s)', { s: 'straße' }, 'STRASSE', 'string'],
    ['upper(i)', { i: 5 }, '5', 'string'],
    ['LOWER(s)', { s: 'ÀB' }, 'àb', 'string'],
    ['UPPER(n)', {}, null, 'string'],
    ['TRIM(s)', { s: ' \t x y \n' }, 'x y', 'string'],
    ['LTRIM(s)', { s: '  x  ' }, 'x  ', 'string'],
    ['RTRIM(s)', { s: '  x  ' }, '  x', 'string'],
    ["TRIM(s, 'xy')", { s: 'xyhixyx' }, 'hi', 'string'],
    ["LTRIM(s, '0')", { s: '000120' }, '120', 'string'],
    ["RTRIM(s, '0')", { s: '1.500' }, '1.5', 'string'],
    ['SUBSTRING(s, 2, 3)', { s: 'hello' }, 'ell', 'string'],
    ['SUBSTRING(s, 2)', { s: 'hello' }, 'ello', 'string'],
    ['SUBSTR(s, 4, 10)', { s: 'hello' }, 'lo', 'string'],
    ['SUBSTRING(s, 0, 3)', { s: 'hello' }, 'he', 'string'],
    ['SUBSTRING(s, -5, 3)', { s: 'hello' }, '', 'string'],
    ['SUBSTRING(s, 9)', { s: 'hello' }, '', 'string'],
    ['SUBSTRING(s FROM 2 FOR 2)', { s: 'hello' }, 'el', 'string'],
    ['SUBSTRING(s FROM 3)', { s: 'hello' }, 'llo', 'string'],
    ['SUBSTRING(s, 2, 1)', { s: 'a😀b' }, '😀', 'string'],
    ['SUBSTRING(s, n)', { s: 'hello' }, null, 'string'],
    ['LENGTH(s)', { s: 'héllo' }, 5, 'int'],
    ['LENGTH(s)', { s: 'a😀' }, 2, 'int'],
    ['CHAR_LENGTH(s)', { s: '' }, 0, 'int'],
    ['LENGTH(i)', { i: -12 }, 3, 'int'],
    ['LENGTH(bin)', { bin: Buffer.from([1, 2, 3]) }, 3, 'int'],
    ["REPLACE(s, '.', '$&')", { s: 'a.b.c' }, 'a$&b$&c', 'string'],
    ["REPLACE(s, '', 'x')", { s: 'abc' }, 'abc', 'string'],
    ["REPLACE(s, 'ab', '')", { s: 'abcab' }, 'c', 'string'],
    ['LEFT(s, 2)', { s: 'abcde' }, 'ab', 'string'],
    ['LEFT(s, -2)', { s: 'abcde' }, 'abc', 'string'],
    ['RIGHT(s, 2)', { s: 'abcde' }, 'de', 'string'],
    ['RIGHT(s, -2)', { s: 'abcde' }, 'cde', 'string'],
    ['RIGHT(s, 9)', { s: 'abc' }, 'abc', 'string'],
    ["LPAD(s, 5, 'xy')", { s: 'hi' }, 'xyxhi', 'string'],
    ['LPAD(s, 3)', { s: 'hello' }, 'hel', 'string'],
    ["LPAD(CAST(i AS string), 4, '0')", { i: 7 }, '0007', 'string'],
    ['RPAD(s, 4)', { s: 'hi' }, 'hi  ', 'string'],
    ["RPAD(s, 0, 'x')", { s: 'hi' }, '', 'string'],
    ["STRPOS(s, 'ig')", { s: 'high' }, 2, 'int'],
    ["STRPOS(s, 'a')", { s: '😀ab' }, 2, 'int'],
    ["STRPOS(s, 'z')", { s: 'high' }, 0, 'int'],
    ["SPLIT_PART(s, ',', 2)", { s: 'a,b,c' }, 'b', 'string'],
    ["SPLIT_PART(s, ',', -1)", { s: 'a,b,c' }, 'c', 'string'],
    ["SPLIT_PART(s, ',', 4)", { s: 'a,b,c' }, '', 'string'],
    ["SPLIT_PART(s, '::', 2)", { s: 'x::y' }, 'y', 'string'],
    ["CONCAT(s, NULL, 1, TRUE, ' ', dec)", { s: 'a', dec: '1.50' }, 'a1true 1.50', 'string'],
    ['CONCAT(n)', {}, '', 'string'],
    ["CONCAT_WS(', ', s, n, s2)", { s: 'a', s2: 'b' }, 'a, b', 'string'],
    ["CONCAT_WS('-', i, i)", { i: 1 }, '1-1', 'string'],
    ["CONCAT_WS(s, 'a', 'b')", {}, null, 'string'],
    ["STARTS_WITH(s, 'ab')", { s: 'abc' }, true, 'bool'],
    ["STARTS_WITH(s, 'b')", { s: 'abc' }, false, 'bool'],
    ["ENDS_WITH(s, 'bc')", { s: 'abc' }, true, 'bool'],
    ["CONTAINS(s, 'b')", { s: 'abc' }, true, 'bool'],
    ["CONTAINS(s, '%')", { s: 'abc' }, false, 'bool'],
    ['CONTAINS(s, s2)', { s: 'abc' }, null, 'bool'],
  ])

  test('SUBSTRING with a negative length is a record error', () => {
    const error = recordError('SUBSTRING(s, 1, i)', { s: 'abc', i: -1 })
    expect(error.code).toBe('expr.invalid_argument')
    expect(error.message).toBe('negative substring length -1 in "SUBSTRING(s, 1, i)"')
  })

  test('SPLIT_PART field 0 is a record error', () => {
    expect(recordError("SPLIT_PART(s, ',', 0)", { s: 'a' }).message).toBe('field position must not be zero in "SPLIT_PART(s, \',\', 0)"')
  })

  test('an integer argument must be an integer', () => {
    const error = compileError('SUBSTRING(s, 1.5)')
    expect(error.code).toBe('expr.type')
    expect(error.message).toBe('SUBSTRING argument 2 must be an integer, got decimal')
    expect(error.offset).toBe(13)
    expect(evaluate('SUBSTRING(s, 2.0)', { s: 'abc' })).toBe('bc')
    expect(evaluate("SUBSTRING(s, '2')", { s: 'abc' })).toBe('bc')
  })
})

describe('regular expressions', () => {
  cases([
    ["REGEXP_LIKE(s, '^a.c$')", { s: 'abc' }, true, 'bool'],
    ["REGEXP_LIKE(s, 'b')", { s: 'abc' }, true, 'bool'],
    ["REGEXP_LIKE(s, '^B')", { s: 'bc' }, false, 'bool'],
    ["REGEXP_LIKE(s, '^B', 'i')", { s: 'bc' }, true, 'bool'],
    ["REGEXP_LIKE(s, '\\d{3}')", { s: 'a123' }, true, 'bool'],
    ['REGEXP_LIKE(s, s2)', { s: 'abc', s2: 'c$' }, true, 'bool'],
    ["REGEXP_REPLACE(s, '\\d+', '#')", { s: 'a1b22c' }, 'a#b#c', 'string'],
    ["REGEXP_REPLACE(s, '(\\w+)@(\\w+)', '$2 at $1')", { s: 'ada@example' }, 'example at ada', 'string'],
    ["REGEXP_REPLACE(s, 'A', 'x', 'i')", { s: 'aAa' }, 'xxx', 'string'],
    ["REGEXP_REPLACE(s, s2, '-')", { s: 'a b  c', s2: ' +' }, 'a-b-c', 'string'],
    ["REGEXP_EXTRACT(s, '\\d+')", { s: 'order-123-x' }, '123', 'string'],
    ["REGEXP_EXTRACT(s, '(\\w+)-(\\d+)', 2)", { s: 'order-123-x' }, '123', 'string'],
    ["REGEXP_EXTRACT(s, '\\d+')", { s: 'none' }, null, 'string'],
    ["REGEXP_EXTRACT(s, '(a)|(b)', 2)", { s: 'a' }, null, 'string'],
    ["REGEXP_EXTRACT(s, s2)", { s: 'x42', s2: '[0-9]+' }, '42', 'string'],
  ])

  test('the same regex gives the same answer on every row (no lastIndex state)', () => {
    const compiled = compileExpression("REGEXP_LIKE(s, 'a')", schema)
    for (let k = 0; k < 3; k++) expect(compiled.evaluate(rowOf({ s: 'a' }))).toBe(true)
    const replace = compileExpression("REGEXP_REPLACE(s, s2, '')", schema)
    for (let k = 0; k < 3; k++) expect(replace.evaluate(rowOf({ s: 'aXa', s2: 'a' }))).toBe('X')
  })

  test('an invalid literal pattern, flag or group is a compile error at the argument', () => {
    const pattern = compileError("REGEXP_LIKE(s, '(')")
    expect(pattern.code).toBe('expr.invalid_argument')
    expect(pattern.message).toMatch(/^invalid regular expression in REGEXP_LIKE: /)
    expect(pattern.offset).toBe(15)
    const flags = compileError("REGEXP_LIKE(s, 'a', 'g')")
    expect(flags.message).toBe('invalid regular expression in REGEXP_LIKE: invalid regular expression flags "g": use i, m or s')
    expect(flags.offset).toBe(20)
    expect(compileError("REGEXP_EXTRACT(s, '(a)', 2)").message).toBe('group 2 does not exist in pattern "(a)"')
  })

  test('an invalid pattern from a column is a record error', () => {
    const error = recordError('REGEXP_LIKE(s, s2)', { s: 'a', s2: '(' })
    expect(error.code).toBe('expr.invalid_argument')
    expect(error.message).toMatch(/ in "REGEXP_LIKE\(s, s2\)"$/)
  })
})

describe('conditional functions', () => {
  cases([
    ['COALESCE(n, NULL, 3)', {}, 3, 'int'],
    ['COALESCE(n, i)', { i: 2 }, 2, 'int'],
    ['COALESCE(n)', {}, null, 'int'],
    ["COALESCE(s, 'none')", {}, 'none', 'string'],
    ["COALESCE(i, 'none')", {}, 'none', 'string'],
    ["COALESCE(i, 'none')", { i: 4 }, '4', 'string'],
    ["COALESCE(i, '0')", {}, 0, 'int'],
    ['COALESCE(i, dec)', { i: 1 }, '1', 'decimal'],
    ["COALESCE(d, '2024-01-01')", {}, '2024-01-01', 'date'],
    ['NULLIF(i, 1)', { i: 1 }, null, 'int'],
    ['NULLIF(i, 1)', { i: 2 }, 2, 'int'],
    ["NULLIF(s, '')", { s: '' }, null, 'string'],
    ['NULLIF(n, 1)', {}, null, 'int'],
    ['NULLIF(i + 1, 3)', { i: 2 }, null, 'int'],
    ["IF(b, 'yes', 'no')", { b: true }, 'yes', 'string'],
    ["IF(b, 'yes', 'no')", {}, 'no', 'string'],
    ['IF(i > 1, i, 0.5)', { i: 2 }, '2', 'decimal'],
    ['GREATEST(1, 5, 3)', {}, 5, 'int'],
    ['LEAST(4, 2, 8)', {}, 2, 'int'],
    ['GREATEST(i, n, 3)', { i: 7 }, 7, 'int'],
    ['LEAST(n, i, 3)', { i: 7 }, 3, 'int'],
    ['GREATEST(n, n)', {}, null, 'int'],
    ['GREATEST(1, 2.5)', {}, '2.5', 'decimal'],
    ['GREATEST(dec, 1)', { dec: '0.99' }, '1', 'decimal'],
    ["GREATEST(s, 'b')", { s: 'a' }, 'b', 'string'],
    ["LEAST(d, '2024-01-01')", { d: '2024-06-01' }, '2024-01-01', 'date'],
    ['GREATEST(d, ts)', { d: '2024-06-01', ts: '2024-05-31T23:00:00' }, '2024-06-01T00:00:00', 'timestamp'],
  ])

  test('COALESCE evaluates no further than the first non-NULL', () => {
    expect(evaluate('COALESCE(i, 1 / n)', { i: 1 })).toBe(1)
    expect(evaluate('COALESCE(i, i / 0)', { i: 1 })).toBe(1)
  })

  test('IF needs a bool condition', () => {
    expect(compileError('IF(i, 1, 2)').message).toBe('IF argument 1 must be a bool, got int')
  })
})

describe('numbers', () => {
  cases([
    ['ABS(i)', { i: -5 }, 5, 'int'],
    ['ABS(big)', { big: -5n }, 5n, 'bigint'],
    ['ABS(dec)', { dec: '-1.50' }, '1.50', 'decimal'],
    ['ABS(f)', { f: -0.5 }, 0.5, 'float'],
    ["ABS(s)", { s: '-2' }, '2', 'decimal'],
    ['ROUND(2.5)', {}, '3', 'decimal'],
    ['ROUND(-2.5)', {}, '-3', 'decimal'],
    ['ROUND(dec, 2)', { dec: '1.2345' }, '1.23', 'decimal'],
    ['ROUND(dec, 2)', { dec: '1.235' }, '1.24', 'decimal'],
    ['ROUND(dec, 3)', { dec: '1.5' }, '1.500', 'decimal'],
    ['ROUND(dec, -1)', { dec: '15.5' }, '20', 'decimal'],
    ['ROUND(f, 2)', { f: 1.005 }, 1.01, 'float'],
    ['ROUND(f)', { f: -0.5 }, -1, 'float'],
    ['ROUND(i, -2)', { i: 1250 }, 1300, 'int'],
    ['ROUND(i, 2)', { i: 1250 }, 1250, 'int'],
    ['ROUND(big, -1)', { big: 15n }, 20n, 'bigint'],
    ['CEIL(1.2)', {}, '2', 'decimal'],
    ['CEIL(-1.2)', {}, '-1', 'decimal'],
    ['CEILING(f)', { f: 1.1 }, 2, 'float'],
    ['CEIL(i)', { i: 3 }, 3, 'int'],
    ['FLOOR(-1.2)', {}, '-2', 'decimal'],
    ['FLOOR(dec)', { dec: '7.00' }, '7', 'decimal'],
    ['FLOOR(f)', { f: 1.7 }, 1, 'float'],
    ['MOD(10, 3)', {}, 1, 'int'],
    ['MOD(-10, 3)', {}, -1, 'int'],
    ['MOD(10.5, 3)', {}, '1.5', 'decimal'],
    ['DIV(10, 3)', {}, 3, 'int'],
    ['DIV(-10, 3)', {}, -3, 'int'],
    ['DIV(f, 2)', { f: 7.5 }, 3, 'float'],
    ['POWER(2, 10)', {}, 1024, 'float'],
    ['POW(dec, 2)', { dec: '1.5' }, 2.25, 'float'],
    ['POWER(-8, 3)', {}, -512, 'float'],
    ['SQRT(16)', {}, 4, 'float'],
    ['SQRT(i)', { i: 2 }, Math.SQRT2, 'float'],
    ['SQRT(n)', {}, null, 'float'],
  ])

  test('invalid arguments are record errors', () => {
    expect(recordError('SQRT(i)', { i: -1 }).message).toBe('cannot take the square root of a negative number in "SQRT(i)"')
    expect(recordError('POWER(i, -1)', { i: 0 }).message).toBe('zero raised to a negative power is undefined in "POWER(i, -1)"')
    expect(recordError('POWER(i, 0.5)', { i: -8 }).code).toBe('expr.invalid_argument')
    expect(recordError('ROUND(i, -2000)', { i: 2147483647 }).code).toBe('expr.invalid_argument')
    expect(evaluate('ROUND(i, -20)', { i: 2147483647 })).toBe(0)
    expect(recordError('ROUND(i, -1)', { i: 2147483647 }).message).toBe('int out of range in "ROUND(i, -1)"')
  })

  test('number functions need numbers', () => {
    const error = compileError('ABS(d)')
    expect(error.code).toBe('expr.type')
    expect(error.message).toBe('ABS argument 1 must be a number, got date')
    expect(error.offset).toBe(4)
  })
})

describe('date and time', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('NOW, CURRENT_TIMESTAMP and CURRENT_DATE read the clock when evaluated', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2024-05-06T07:08:09.123Z'))
    const now = compileExpression('NOW()', schema)
    expect(now.type).toBe('timestamptz')
    expect(now.evaluate([])).toBe('2024-05-06T07:08:09.123Z')
    expect(evaluate('CURRENT_TIMESTAMP')).toBe('2024-05-06T07:08:09.123Z')
    expect(evaluate('CURRENT_DATE')).toBe('2024-05-06')
    expect(evaluate('current_date()')).toBe('2024-05-06')
    expect(typeOf('CURRENT_DATE')).toBe('date')
    vi.setSystemTime(new Date('2024-05-07T00:00:00Z'))
    expect(now.evaluate([])).toBe('2024-05-07T00:00:00Z')
  })

  cases([
    ["DATE_FORMAT(ts, '%Y-%m-%d %H:%M:%S')", { ts: '2024-01-31T13:45:10.5' }, '2024-01-31 13:45:10', 'string'],
    ["DATE_FORMAT(ts, '%d/%m/%Y %I:%M %p %f')", { ts: '2024-01-31T13:45:10.5' }, '31/01/2024 01:45 PM 500000', 'string'],
    ["DATE_FORMAT(d, '%A %-d %B %Y, day %j')", { d: '2024-03-05' }, 'Tuesday 5 March 2024, day 065', 'string'],
    ["DATE_FORMAT(tz, '%H:%M %z')", { tz: '2024-01-31T10:00:00Z' }, '10:00 +0000', 'string'],
    ["DATE_FORMAT(t, '%H.%M')", { t: '09:30:00' }, '09.30', 'string'],
    ["DATE_FORMAT(s, '%Y')", { s: '2024-01-31 10:00' }, '2024', 'string'],
    ['DATE_FORMAT(ts, s)', { ts: '2024-01-31T13:45:10', s: '%H' }, '13', 'string'],
    ["DATE_PARSE(s, '%d/%m/%Y %H:%M')", { s: '31/01/2024 13:45' }, '2024-01-31T13:45:00', 'timestamp'],
    ["DATE_PARSE(s, '%d/%m/%Y', 'date')", { s: '31/01/2024' }, '2024-01-31', 'date'],
    ["DATE_PARSE(s, '%Y-%m-%d %H:%M %z', 'timestamptz')", { s: '2024-01-31 13:45 +0100' }, '2024-01-31T12:45:00Z', 'timestamptz'],
    ["DATE_PARSE(s, '%I:%M %p', 'TIME')", { s: '1:30 pm' }, '13:30:00', 'time'],
    ["DATE_TRUNC('month', ts)", { ts: '2024-01-31T13:45:10' }, '2024-01-01T00:00:00', 'timestamp'],
    ["DATE_TRUNC('day', tz)", { tz: '2024-01-31T13:45:10Z' }, '2024-01-31T00:00:00Z', 'timestamptz'],
    ["DATE_TRUNC('hour', ts)", { ts: '2024-01-31T13:45:10.5' }, '2024-01-31T13:00:00', 'timestamp'],
    ["DATE_TRUNC('second', ts)", { ts: '2024-01-31T13:45:10.5' }, '2024-01-31T13:45:10', 'timestamp'],
    ["DATE_TRUNC('millisecond', ts)", { ts: '2024-01-31T13:45:10.123456' }, '2024-01-31T13:45:10.123', 'timestamp'],
    ["DATE_TRUNC('week', d)", { d: '2024-01-31' }, '2024-01-29', 'date'],
    ["DATE_TRUNC('week', d)", { d: '2024-01-28' }, '2024-01-22', 'date'],
    ["DATE_TRUNC('quarter', d)", { d: '2024-08-15' }, '2024-07-01', 'date'],
    ["DATE_TRUNC('years', d)", { d: '2024-08-15' }, '2024-01-01', 'date'],
    ["DATE_TRUNC('minute', t)", { t: '10:11:12' }, '10:11:00', 'time'],
    ["DATE_TRUNC('day', s)", { s: '2024-01-31 10:00' }, '2024-01-31T00:00:00', 'timestamp'],
    ['EXTRACT(year FROM d)', { d: '2024-01-31' }, 2024, 'int'],
    ['EXTRACT(MONTH FROM d)', { d: '2024-01-31' }, 1, 'int'],
    ['EXTRACT(day FROM ts)', { ts: '2024-01-31T10:00:00' }, 31, 'int'],
    ['EXTRACT(hour FROM tz)', { tz: '2024-01-31T23:00:00Z' }, 23, 'int'],
    ['EXTRACT(minute FROM t)', { t: '10:11:12' }, 11, 'int'],
    ['EXTRACT(second FROM ts)', { ts: '2024-01-31T10:00:09.5' }, '9.5', 'decimal'],
    ['EXTRACT(second FROM ts)', { ts: '2024-01-31T10:00:09' }, '9', 'decimal'],
    ['EXTRACT(millisecond FROM ts)', { ts: '2024-01-31T10:00:09.5' }, 9500, 'int'],
    ['EXTRACT(microsecond FROM t)', { t: '10:00:01.000002' }, 1000002, 'int'],
    ['EXTRACT(epoch FROM tz)', { tz: '2024-01-31T10:00:00.25Z' }, '1706695200.25', 'decimal'],
    ['EXTRACT(epoch FROM tz)', { tz: '1969-12-31T23:59:59.5Z' }, '-0.5', 'decimal'],
    ['EXTRACT(epoch FROM d)', { d: '1970-01-02' }, '86400', 'decimal'],
    ['EXTRACT(epoch FROM t)', { t: '01:00:00' }, '3600', 'decimal'],
    ['EXTRACT(dow FROM d)', { d: '2024-03-10' }, 0, 'int'],
    ['EXTRACT(isodow FROM d)', { d: '2024-03-10' }, 7, 'int'],
    ['EXTRACT(doy FROM d)', { d: '2024-12-31' }, 366, 'int'],
    ['EXTRACT(quarter FROM d)', { d: '2024-12-31' }, 4, 'int'],
    ['EXTRACT(week FROM d)', { d: '2021-01-03' }, 53, 'int'],
    ['EXTRACT(isoyear FROM d)', { d: '2021-01-03' }, 2020, 'int'],
    ["DATE_PART('year', ts)", { ts: '1999-12-31T23:59:59' }, 1999, 'int'],
    ["DATE_PART('days', d)", { d: '2024-02-29' }, 29, 'int'],
    ["DATE_ADD('day', 1, d)", { d: '2024-02-28' }, '2024-02-29', 'date'],
    ["DATE_ADD('week', -1, d)", { d: '2024-01-03' }, '2023-12-27', 'date'],
    ["DATE_ADD('month', 1, d)", { d: '2024-01-31' }, '2024-02-29', 'date'],
    ["DATE_ADD('quarter', 1, d)", { d: '2024-11-30' }, '2025-02-28', 'date'],
    ["DATE_ADD('year', -1, d)", { d: '2024-02-29' }, '2023-02-28', 'date'],
    ["DATE_ADD('months', i, d)", { i: -13, d: '2024-01-15' }, '2022-12-15', 'date'],
    ["DATE_ADD('hour', 25, ts)", { ts: '2024-01-31T10:00:00' }, '2024-02-01T11:00:00', 'timestamp'],
    ["DATE_ADD('minute', -30, tz)", { tz: '2024-01-01T00:10:00Z' }, '2023-12-31T23:40:00Z', 'timestamptz'],
    ["DATE_ADD('microsecond', 1, ts)", { ts: '2024-01-31T23:59:59.999999' }, '2024-02-01T00:00:00', 'timestamp'],
    ["DATE_ADD('second', -1, ts)", { ts: '0001-01-01T00:00:01' }, '0001-01-01T00:00:00', 'timestamp'],
    ["DATE_ADD('minute', -30, t)", { t: '00:10:00' }, '23:40:00', 'time'],
    ["DATE_ADD('hour', 1, CAST(NULL AS timestamp))", {}, null, 'timestamp'],
    ["DATE_DIFF('day', d, '2024-03-01')", { d: '2024-01-01' }, 60n, 'bigint'],
    ["DATE_DIFF('day', '2024-03-01', d)", { d: '2024-01-01' }, -60n, 'bigint'],
    ["DATE_DIFF('day', ts, '2024-01-02 01:00')", { ts: '2024-01-01T23:00:00' }, 0n, 'bigint'],
    ["DATE_DIFF('hour', ts, '2024-01-02 01:00')", { ts: '2024-01-01T23:00:00' }, 2n, 'bigint'],
    ["DATE_DIFF('month', d, '2024-02-29')", { d: '2024-01-31' }, 0n, 'bigint'],
    ["DATE_DIFF('month', d, '2024-03-01')", { d: '2024-01-31' }, 1n, 'bigint'],
    ["DATE_DIFF('month', '2024-03-01', d)", { d: '2024-01-31' }, -1n, 'bigint'],
    ["DATE_DIFF('year', d, '2025-01-14')", { d: '2024-01-15' }, 0n, 'bigint'],
    ["DATE_DIFF('year', d, '2025-01-15')", { d: '2024-01-15' }, 1n, 'bigint'],
    ["DATE_DIFF('quarter', d, '2024-12-31')", { d: '2024-01-01' }, 3n, 'bigint'],
    ["DATE_DIFF('second', d, ts)", { d: '2024-01-01', ts: '2024-01-01T00:01:00' }, 60n, 'bigint'],
    ["DATE_DIFF('microsecond', ts, '9999-12-31 23:59:59.999999')", { ts: '0001-01-01T00:00:00' }, 315537897599999999n, 'bigint'],
    ["DATE_DIFF('minute', t, TIME '10:00')", { t: '09:15:30' }, 44n, 'bigint'],
  ])

  test('DATE_ADD beyond year 9999 is a record error', () => {
    const error = recordError("DATE_ADD('year', 1, d)", { d: '9999-06-01' })
    expect(error.code).toBe('expr.overflow')
    expect(error.message).toBe('date out of range in "DATE_ADD(\'year\', 1, d)"')
    expect(recordError("DATE_ADD('day', i, d)", { d: '2024-01-01', i: 2147483647 }).code).toBe('expr.overflow')
  })

  test('DATE_PARSE of text that does not match is a record error', () => {
    const error = recordError("DATE_PARSE(s, '%Y-%m-%d')", { s: '31/01/2024' })
    expect(error.code).toBe('value.invalid')
    expect(error.message).toBe('invalid timestamp "31/01/2024" for pattern "%Y-%m-%d" in "DATE_PARSE(s, \'%Y-%m-%d\')"')
  })

  test('a bad literal pattern is a compile error pointing at the directive', () => {
    const error = compileError("DATE_FORMAT(ts, '%Y-%m-%d %H:%i')")
    expect(error.code).toBe('datetime.invalid_pattern')
    expect(error.message).toBe('unknown directive "%i" in date pattern "%Y-%m-%d %H:%i"')
    expect(error.hint).toBe('minutes are %M (%i is MySQL syntax)')
    expect(error.offset).toBe(29)
    expect(compileError("DATE_PARSE(s, '%V')").code).toBe('datetime.invalid_pattern')
  })

  test('a bad pattern from a column is a record error', () => {
    const error = recordError('DATE_FORMAT(ts, s)', { ts: '2024-01-31T00:00:00', s: '%i' })
    expect(error.code).toBe('expr.invalid_argument')
    expect(error.message).toBe('unknown directive "%i" in date pattern "%i" in "DATE_FORMAT(ts, s)"')
  })

  test('units and fields are checked at compile time', () => {
    const unit = compileError("DATE_TRUNC('mnth', d)")
    expect(unit.code).toBe('expr.invalid_argument')
    expect(unit.message).toBe('unknown unit "mnth" in DATE_TRUNC (did you mean "month"?)')
    expect(unit.offset).toBe(11)
    expect(compileError("DATE_PART('yr', d)").message).toBe('unknown field "yr" in DATE_PART')
    expect(compileError('EXTRACT(centry FROM d)').message).toBe('unknown field "centry" in EXTRACT')
    expect(compileError('EXTRACT(year FROM t)').message).toBe('cannot extract year from a time')
    expect(compileError("DATE_ADD('hour', 1, d)").message).toBe('DATE_ADD on a date cannot add hours (CAST it AS timestamp first)')
    expect(compileError("DATE_TRUNC('day', t)").message).toBe('DATE_TRUNC on a time cannot use unit "day"')
    expect(compileError('DATE_TRUNC(s, d)').message).toBe('DATE_TRUNC needs the unit as a string literal')
    expect(compileError("DATE_DIFF('day', t, d)").message).toBe('cannot mix time and date in DATE_DIFF')
    expect(compileError("DATE_PARSE(s, '%Y', 'datetime')").message).toBe('DATE_PARSE cannot produce "datetime"')
    expect(compileError("DATE_FORMAT(i, '%Y')").message).toBe('DATE_FORMAT argument 1 must be a date, time or timestamp, got int')
  })
})

describe('json', () => {
  const j = { a: { b: [10, { c: 'x' }] }, 'key with space': 1, s: 'text', nothing: null, flag: false }
  cases([
    ["JSON_EXTRACT(j, '$.a.b[0]')", { j }, 10, 'json'],
    ["JSON_EXTRACT(j, '$.a.b[1]')", { j }, { c: 'x' }, 'json'],
    ["JSON_EXTRACT(j, '$.a.b[1].c')", { j }, 'x', 'json'],
    ["JSON_EXTRACT(j, 'a.b[1].c')", { j }, 'x', 'json'],
    ['JSON_EXTRACT(j, \'$["key with space"]\')', { j }, 1, 'json'],
    ["JSON_EXTRACT(j, '$[''key with space'']')", { j }, 1, 'json'],
    ["JSON_EXTRACT(j, '$')", { j: [1] }, [1], 'json'],
    ["JSON_EXTRACT(j, '$.missing')", { j }, null, 'json'],
    ["JSON_EXTRACT(j, '$.a.b[5]')", { j }, null, 'json'],
    ["JSON_EXTRACT(j, '$.a[0]')", { j }, null, 'json'],
    ["JSON_EXTRACT(j, '$.nothing')", { j }, null, 'json'],
    ["JSON_EXTRACT(j, '$.flag')", { j }, false, 'json'],
    ["JSON_EXTRACT(s, '$.a')", { s: '{"a": [1, 2]}' }, [1, 2], 'json'],
    ['JSON_EXTRACT(j, s)', { j, s: '$.s' }, 'text', 'json'],
    ["JSON_EXTRACT_TEXT(j, '$.s')", { j }, 'text', 'string'],
    ["JSON_EXTRACT_TEXT(j, '$.a.b[0]')", { j }, '10', 'string'],
    ["JSON_EXTRACT_TEXT(j, '$.a.b[1]')", { j }, '{"c":"x"}', 'string'],
    ["JSON_EXTRACT_TEXT(j, '$.flag')", { j }, 'false', 'string'],
    ["JSON_EXTRACT_TEXT(j, '$.nothing')", { j }, null, 'string'],
    ["JSON_EXTRACT_TEXT(s, '$.id')", { s: '{"id": 7}' }, '7', 'string'],
    ["JSON_EXTRACT_TEXT(CAST(NULL AS json), '$.id')", {}, null, 'string'],
    ["JSON_EXTRACT_TEXT(s, '$.id')", {}, null, 'string'],
  ])

  test('invalid JSON text is a record error naming the expression', () => {
    const error = recordError("JSON_EXTRACT(s, '$.a')", { s: '{oops' })
    expect(error.code).toBe('value.invalid')
    expect(error.message).toMatch(/^invalid json "\{oops": .* in "JSON_EXTRACT\(s, '\$\.a'\)"$/)
  })

  test('an invalid path is a compile error, or a record error when it comes from a column', () => {
    const error = compileError("JSON_EXTRACT(j, '$.a[x]')")
    expect(error.code).toBe('expr.invalid_argument')
    expect(error.message).toBe('invalid JSON path "$.a[x]": expected an index or a quoted name inside [] at position 4')
    expect(error.offset).toBe(16)
    expect(compileError("JSON_EXTRACT(j, '$.')").message).toBe('invalid JSON path "$.": expected a member name after "." at position 2')
    expect(compileError("JSON_EXTRACT(j, '$.a[0')").message).toBe('invalid JSON path "$.a[0": missing "]" for "[" at position 4')
    expect(recordError('JSON_EXTRACT(j, s)', { j: {}, s: '$$' }).code).toBe('expr.invalid_argument')
  })

  test('JSON functions need json or text', () => {
    expect(compileError("JSON_EXTRACT(i, '$')").message).toBe('JSON_EXTRACT argument 1 must be json or text, got int')
  })
})
