import { describe, expect, test } from 'vitest'
import { RecordError } from './errors.js'
import { castValue, formatValue, inferType, isValueOfType, parseValue, toJsonValue } from './values.js'

describe('parseValue', () => {
  test.each([
    ['42', 'int', 42],
    ['-2147483648', 'int', -2147483648],
    ['+7', 'int', 7],
    ['9223372036854775807', 'bigint', 9223372036854775807n],
    ['-12.50', 'decimal', '-12.50'],
    ['.5', 'decimal', '0.5'],
    ['1.5e3', 'decimal', '1500'],
    ['1e-3', 'decimal', '0.001'],
    ['3.25', 'float', 3.25],
    ['-Infinity', 'float', -Infinity],
    ['TRUE', 'bool', true],
    ['0', 'bool', false],
    ['2024-02-29', 'date', '2024-02-29'],
    ['2024-02-29 13:45:10', 'date', '2024-02-29'],
    ['13:45', 'time', '13:45:00'],
    ['13:45:10.120000', 'time', '13:45:10.12'],
    ['2024-01-31 13:45:10.000001', 'timestamp', '2024-01-31T13:45:10.000001'],
    ['2024-01-31T13:45:10+02:00', 'timestamp', '2024-01-31T13:45:10'],
    ['2024-01-31T01:45:10+02:00', 'timestamptz', '2024-01-30T23:45:10Z'],
    ['2024-01-31 13:45', 'timestamptz', '2024-01-31T13:45:00Z'],
    ['2024-12-31T23:59:59.9999999Z', 'timestamptz', '2025-01-01T00:00:00Z'],
    ['{"a":[1,2]}', 'json', { a: [1, 2] }],
    ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ] as const)('%s as %s', (text, type, expected) => {
    expect(parseValue(text, type)).toEqual(expected)
  })

  test.each([
    ['4.5', 'int', 'value.invalid', 'invalid int "4.5" for column "age"'],
    ['', 'int', 'value.invalid', 'invalid int "" for column "age"'],
    ['2147483648', 'int', 'value.out_of_range', '"2147483648" is out of range for int for column "age"'],
    ['9223372036854775808', 'bigint', 'value.out_of_range', '"9223372036854775808" is out of range for bigint for column "age"'],
    ['2023-02-29', 'date', 'value.invalid', 'invalid date "2023-02-29" for column "age"'],
    ['25:00', 'time', 'value.invalid', 'invalid time "25:00" for column "age"'],
    ['maybe', 'bool', 'value.invalid', 'invalid bool "maybe" for column "age"'],
    ['12ab', 'decimal', 'value.invalid', 'invalid decimal "12ab" for column "age"'],
    ['not-a-uuid', 'uuid', 'value.invalid', 'invalid uuid "not-a-uuid" for column "age"'],
  ] as const)('%s as %s fails with %s', (text, type, code, message) => {
    const error = (() => {
      try {
        parseValue(text, { type, name: 'age' })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(RecordError)
    expect((error as RecordError).code).toBe(code)
    expect((error as RecordError).message).toBe(message)
    expect((error as RecordError).column).toBe('age')
  })

  test('decimal precision and scale round half away from zero and bound the integer digits', () => {
    expect(parseValue('12.345', { type: 'decimal', precision: 5, scale: 2 })).toBe('12.35')
    expect(parseValue('-12.345', { type: 'decimal', precision: 5, scale: 2 })).toBe('-12.35')
    expect(parseValue('7', { type: 'decimal', precision: 5, scale: 2 })).toBe('7.00')
    expect(() => parseValue('1234.5', { type: 'decimal', precision: 5, scale: 2 })).toThrow('"1234.5" is out of range for decimal(5,2)')
    expect(parseValue('0.000000000000000000000000000001', { type: 'decimal', precision: 65, scale: 30 })).toBe('0.000000000000000000000000000001')
  })

  test('every parsed value has the in-memory form of its type', () => {
    expect(isValueOfType(parseValue('2024-01-31 13:45:10.5', 'timestamp'), 'timestamp')).toBe(true)
    expect(isValueOfType(parseValue('00012.10', 'decimal'), 'decimal')).toBe(true)
    expect(isValueOfType('2024-01-31 13:45', 'timestamp')).toBe(false)
  })
})

describe('castValue', () => {
  test('numbers round half away from zero into integers, as SQL does', () => {
    expect(castValue(2.5, 'int')).toBe(3)
    expect(castValue(-2.5, 'int')).toBe(-3)
    expect(castValue(2.4, 'bigint')).toBe(2n)
    expect(() => castValue(3e9, 'int')).toThrow('3000000000 is out of range for int')
  })

  test('text is trimmed and parsed', () => {
    expect(castValue(' 12 ', 'int')).toBe(12)
    expect(castValue('2024-01-31 10:00', 'date')).toBe('2024-01-31')
  })

  test('between numeric types', () => {
    expect(castValue(12345678901234567890n, 'decimal')).toBe('12345678901234567890')
    expect(castValue('1.25', { type: 'float' })).toBe(1.25)
    expect(castValue(0.1, 'decimal')).toBe('0.1')
    expect(castValue(true, 'int')).toBe(1)
    expect(castValue(5n, 'int')).toBe(5)
    expect(() => castValue(2n ** 40n, 'int')).toThrow('out of range for int')
  })

  test('json values: a json string is not parsed again; objects turn to text', () => {
    expect(castValue('{"a":1}', 'json')).toEqual({ a: 1 })
    expect(castValue('hello', 'json', 'json')).toBe('hello')
    expect(castValue({ a: 1 }, 'string', 'json')).toBe('{"a":1}')
  })

  test('NULL stays NULL', () => {
    expect(castValue(null, 'int')).toBeNull()
  })
})

describe('formatting', () => {
  test('text forms', () => {
    expect(formatValue(9007199254740993n)).toBe('9007199254740993')
    expect(formatValue(0.1 + 0.2)).toBe('0.30000000000000004')
    expect(formatValue(false)).toBe('false')
    expect(formatValue(Buffer.from('hi'))).toBe('aGk=')
    expect(formatValue({ a: [1] })).toBe('{"a":[1]}')
  })

  test('json forms are exact', () => {
    expect(toJsonValue(2n ** 60n)).toBe('1152921504606846976')
    expect(toJsonValue(12n)).toBe(12)
    expect(toJsonValue(NaN)).toBe('NaN')
  })
})

describe('inferType', () => {
  test.each([
    [['1', '2', '300'], 'int'],
    [['1', '99999999999'], 'bigint'],
    [['1', '2.50'], 'decimal'],
    [['1', '2.5e3'], 'float'],
    [['007', '12'], 'string'],
    [['true', 'FALSE'], 'bool'],
    [['2024-01-01', '2024-01-02 10:00:00'], 'timestamp'],
    [['2024-01-01'], 'date'],
    [['2024-01-01T10:00:00Z'], 'timestamptz'],
    [['1', 'x'], 'string'],
    [[], 'string'],
  ] as const)('%j is %s', (samples, type) => {
    expect(inferType(samples).type).toBe(type)
  })
})
