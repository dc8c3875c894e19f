import { describe, expect, test } from 'vitest'
import { civilFromDays, daysFromCivil, epochMicrosToTimestamp, parseTimestamptz, toEpochMicros } from './temporal.js'

describe('calendar arithmetic without Date', () => {
  test('round trips across the whole range', () => {
    for (const [y, m, d] of [[1, 1, 1], [1970, 1, 1], [2000, 2, 29], [1900, 3, 1], [9999, 12, 31], [1582, 10, 4]] as const) {
      expect(civilFromDays(daysFromCivil(y, m, d))).toEqual({ year: y, month: m, day: d })
    }
    expect(daysFromCivil(1970, 1, 1)).toBe(0)
    expect(daysFromCivil(2000, 3, 1) - daysFromCivil(2000, 2, 28)).toBe(2)
  })
  test('microseconds are exact', () => {
    const micros = toEpochMicros('2024-05-06T07:08:09.123456Z')!
    expect(micros % 1_000_000).toBe(123456)
    expect(epochMicrosToTimestamp(micros)).toBe('2024-05-06T07:08:09.123456')
    expect(epochMicrosToTimestamp(toEpochMicros('0001-01-01T00:00:00')!)).toBe('0001-01-01T00:00:00')
  })
  test('offsets convert to UTC', () => {
    expect(parseTimestamptz('2024-03-01T00:30:00-05:30')).toBe('2024-03-01T06:00:00Z')
    expect(parseTimestamptz('2024-03-01T00:30:00+0100')).toBe('2024-02-29T23:30:00Z')
    expect(parseTimestamptz('2024-03-01T00:30:00+16:00')).toBeUndefined()
  })
})
