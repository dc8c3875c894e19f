import { describe, expect, test } from 'vitest'
import { checkTemporalPattern, formatTemporal, isoWeek, parseTemporal } from './datetime-format.js'
import { ConfigError, RecordError } from './errors.js'

describe('formatTemporal', () => {
  test.each([
    ['2024-03-05T07:08:09.012345', 'timestamp', '%Y-%m-%d %H:%M:%S.%f', '2024-03-05 07:08:09.012345'],
    ['2024-03-05T07:08:09', 'timestamp', '%Y-%m-%d %H:%M:%S.%f', '2024-03-05 07:08:09.000000'],
    ['2024-03-05T07:08:09.5Z', 'timestamptz', '%F %T.%f %z %:z %Z', '2024-03-05 07:08:09.500000 +0000 +00:00 UTC'],
    ['2024-03-05T07:08:09', 'timestamp', '[%z][%Z]', '[][]'],
    ['2024-03-05', 'date', '%d/%m/%y %H:%M', '05/03/24 00:00'],
    ['2024-03-05', 'date', '%-d.%-m.%Y', '5.3.2024'],
    ['2024-03-05', 'date', '%e|%j|%C', ' 5|065|20'],
    ['2024-03-05', 'date', '%a %A %b %B', 'Tue Tuesday Mar March'],
    ['2024-03-05', 'date', '%u %w', '2 2'],
    ['2024-03-10', 'date', '%u %w %a', '7 0 Sun'],
    ['2024-03-05T00:30:00', 'timestamp', '%I:%M %p', '12:30 AM'],
    ['2024-03-05T12:30:00', 'timestamp', '%I:%M %p', '12:30 PM'],
    ['2024-03-05T13:30:00', 'timestamp', '%r', '01:30:00 PM'],
    ['2024-03-05T13:30:00', 'timestamp', '%c', 'Tue Mar  5 13:30:00 2024'],
    ['2024-03-05T13:30:00', 'timestamp', '%D %R %x %X', '03/05/24 13:30 03/05/24 13:30:00'],
    ['2024-03-05T13:30:00', 'timestamp', '100%% at%n%H%t!', '100% at\n13\t!'],
    ['13:45:10.25', 'time', '%H:%M:%S.%f %Y-%m-%d', '13:45:10.250000 1900-01-01'],
    ['0001-01-01', 'date', '%Y %G-W%V-%u', '0001 0001-W01-1'],
  ] as const)('%s as %s with %j', (value, type, pattern, expected) => {
    expect(formatTemporal(value, type, pattern)).toBe(expected)
  })

  test('week numbers: %U (Sunday first), %W (Monday first), %V/%G (ISO)', () => {
    // 2021-01-01 is a Friday: ISO week 53 of 2020.
    expect(formatTemporal('2021-01-01', 'date', '%U %W %V %G %g')).toBe('00 00 53 2020 20')
    expect(formatTemporal('2021-01-03', 'date', '%U %W %V')).toBe('01 00 53')
    expect(formatTemporal('2021-01-04', 'date', '%U %W %V')).toBe('01 01 01')
    // 2024-12-30 is a Monday in ISO week 1 of 2025.
    expect(formatTemporal('2024-12-30', 'date', '%G-W%V')).toBe('2025-W01')
    expect(isoWeek(2026, 12, 31)).toEqual({ year: 2026, week: 53 })
  })

  test('accepts text the type accepts, and for string any temporal text', () => {
    expect(formatTemporal('2024-03-05 07:08', 'timestamp', '%H:%M')).toBe('07:08')
    expect(formatTemporal('2024-03-05T07:08:00+02:00', 'timestamptz', '%H:%M %Z')).toBe('05:08 UTC')
    expect(formatTemporal('2024-03-05', 'string', '%d.%m.%Y')).toBe('05.03.2024')
    expect(formatTemporal('2024-03-05T07:08:09', 'string', '%H')).toBe('07')
    expect(formatTemporal('2024-03-05T07:08:09+01:00', 'string', '%H %z')).toBe('06 +0000')
    expect(formatTemporal('07:08', 'string', '%H.%M')).toBe('07.08')
  })

  test('an invalid value is a RecordError', () => {
    expect(() => formatTemporal('2024-02-30', 'date', '%Y')).toThrow(RecordError)
    expect(() => formatTemporal('yesterday', 'string', '%Y')).toThrow('invalid date or time "yesterday"')
  })

  test('a non-temporal type is a ConfigError', () => {
    expect(() => formatTemporal('1', 'int', '%Y')).toThrow('cannot format a int value as a date or time')
  })
})

describe('pattern errors', () => {
  test.each([
    ['%Y-%m-%d %H:%i', '%i', 12, 'minutes are %M'],
    ['%s', '%s', 0, 'seconds are %S'],
    ['%Y %h', '%h', 3, '%I'],
    ['%Q', '%Q', 0, 'strftime'],
    ['%-B', '%-B', 0, 'strftime'],
  ])('%s', (pattern, directive, offset, hint) => {
    let error: unknown
    try {
      checkTemporalPattern(pattern)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    const configError = error as ConfigError
    expect(configError.code).toBe('datetime.invalid_pattern')
    expect(configError.message).toBe(`unknown directive "${directive}" in date pattern ${JSON.stringify(pattern)}`)
    expect(configError.offset).toBe(offset)
    expect(configError.hint).toContain(hint)
  })

  test('a lone % at the end', () => {
    expect(() => checkTemporalPattern('100%')).toThrow('date pattern "100%" ends with a lone "%"')
  })
})

describe('parseTemporal', () => {
  test.each([
    ['2024-03-05 07:08:09', '%Y-%m-%d %H:%M:%S', 'timestamp', '2024-03-05T07:08:09'],
    ['2024-03-05 07:08:09.5', '%Y-%m-%d %H:%M:%S.%f', 'timestamp', '2024-03-05T07:08:09.5'],
    ['5/3/2024', '%d/%m/%Y', 'date', '2024-03-05'],
    ['05.03.24', '%d.%m.%y', 'date', '2024-03-05'],
    ['05.03.69', '%d.%m.%y', 'date', '1969-03-05'],
    ['March 5, 2024', '%B %d, %Y', 'date', '2024-03-05'],
    ['mar 5 2024', '%b %d %Y', 'date', '2024-03-05'],
    ['Tue, 05 Mar 2024 07:08:09 +0200', '%a, %d %b %Y %H:%M:%S %z', 'timestamptz', '2024-03-05T05:08:09Z'],
    ['Tue, 05 Mar 2024 07:08:09 +0200', '%a, %d %b %Y %H:%M:%S %z', 'timestamp', '2024-03-05T07:08:09'],
    ['2024-03-05T07:08:09Z', '%Y-%m-%dT%H:%M:%S%z', 'timestamptz', '2024-03-05T07:08:09Z'],
    ['2024-03-05 07:08', '%Y-%m-%d %H:%M', 'timestamptz', '2024-03-05T07:08:00Z'],
    ['12:30 AM', '%I:%M %p', 'time', '00:30:00'],
    ['12:30 pm', '%I:%M %p', 'time', '12:30:00'],
    ['1:05:03 PM', '%I:%M:%S %p', 'time', '13:05:03'],
    ['2024 065', '%Y %j', 'date', '2024-03-05'],
    ['2024-03-05', '%F', 'date', '2024-03-05'],
    ['07:08', '%H:%M', 'timestamp', '1900-01-01T07:08:00'],
    ['  2024-03-05  ', '%Y-%m-%d', 'date', '2024-03-05'],
    ['2024-03-05   10', '%Y-%m-%d %H', 'timestamp', '2024-03-05T10:00:00'],
  ] as const)('%s with %s as %s', (text, pattern, type, expected) => {
    expect(parseTemporal(text, pattern, type)).toBe(expected)
  })

  test.each([
    ['2024-02-30', '%Y-%m-%d'],
    ['2024-13-01', '%Y-%m-%d'],
    ['2024-03-05 24:00', '%Y-%m-%d %H:%M'],
    ['2024-03-05x', '%Y-%m-%d'],
    ['24-03-05', '%Y-%m-%d'],
    ['13:00 PM', '%I:%M %p'],
    ['2023 366', '%Y %j'],
  ])('%s does not match %s', (text, pattern) => {
    expect(parseTemporal(text, pattern, 'timestamp')).toBeUndefined()
  })

  test('week-based directives cannot be parsed', () => {
    expect(() => parseTemporal('2024-W01', '%G-W%V', 'date')).toThrow('directive "%G" cannot be used to parse a date')
  })

  test('the result type must be temporal', () => {
    expect(() => parseTemporal('1', '%Y', 'int')).toThrow(ConfigError)
  })
})
