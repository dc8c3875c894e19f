import { describe, expect, test } from 'vitest'
import { addDecimal, compareDecimal, divideDecimal, multiplyDecimal, normalizeDecimal, roundDecimal, subtractDecimal } from './decimal.js'

describe('decimal arithmetic is exact', () => {
  test('0.1 + 0.2 = 0.3', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3')
  })
  test('scales follow SQL', () => {
    expect(addDecimal('1.50', '2')).toBe('3.50')
    expect(subtractDecimal('1', '1.001')).toBe('-0.001')
    expect(multiplyDecimal('1.5', '-0.20')).toBe('-0.300')
    expect(divideDecimal('1', '3')).toBe('0.333333')
    expect(divideDecimal('2', '3', 2)).toBe('0.67')
    expect(divideDecimal('-2', '3', 2)).toBe('-0.67')
    expect(() => divideDecimal('1', '0')).toThrow('division by zero')
  })
  test('65 digits survive', () => {
    const big = '12345678901234567890123456789012345.123456789012345678901234567890'
    expect(addDecimal(big, '0')).toBe(big)
    expect(compareDecimal(big, '12345678901234567890123456789012345.12345678901234567890123456789')).toBe(0)
    expect(compareDecimal(big, '12345678901234567890123456789012345.123456789012345678901234567889')).toBe(1)
  })
  test('round half away from zero', () => {
    expect(roundDecimal('2.5', 0)).toBe('3')
    expect(roundDecimal('-2.5', 0)).toBe('-3')
    expect(roundDecimal('1.2345', 3)).toBe('1.235')
    expect(roundDecimal('1.2', 3)).toBe('1.200')
    expect(roundDecimal('1250', -2)).toBe('1300')
  })
  test('normalization', () => {
    expect(normalizeDecimal('+00012.50')).toBe('12.50')
    expect(normalizeDecimal('-0.0')).toBe('0.0')
    expect(normalizeDecimal('3.')).toBe('3')
    expect(normalizeDecimal('1.2.3')).toBeUndefined()
    expect(compareDecimal('12.50', '12.5')).toBe(0)
  })
})
