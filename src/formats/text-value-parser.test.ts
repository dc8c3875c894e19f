import { describe, expect, it } from 'vitest'
import type { LogicalType, Value } from '../core/schema.js'
import { parseValue, type CastTarget } from '../core/values.js'
import { isCanonicalDecimal, textRangeParser, textValueParser } from './text-value-parser.js'

function outcome(run: () => Value): unknown {
  try {
    return { value: run() }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

const TEXTS = [
  '', '0', '-0', '00', '007', '42', '-42', '+42', '2147483647', '2147483648', '9007199254740993', '1e3', '1.', '.5', '-.5', '1.50',
  '-0.00', '0.0', '12.345', '99999.99', '123456.7', '-12.5', ' 1', '1 ', '1_000', '0x10', 'NaN', 'inf', '-Infinity', '1e400', 'e5', '-',
  '+', '.', '1.2.3', '--1', 'true', 'false', 'TRUE', 'yes', 't', '1', 'abc', 'tru', 'truex', 'falsy', 'False', '-2147483648', '-2147483649',
  '+2147483647', '99999999999', '-9999999999', '+0', '1.5e', '0.10', '-0.10',
  '2024-01-31', '2024-02-30', '2024-02-29', '2023-02-29', '0000-01-01', '2024-13-01', '2024-1-01',
  '2024-01-31T13:45:10', '2024-01-31 13:45:10', '2024-01-31t13:45:10', '2024-01-31T13:45', '2024-01-31T24:00:00', '2024-01-31T13:60:00',
  '2024-01-31T13:45:10.5', '2024-01-31T13:45:10.500', '2024-01-31T13:45:10.123456', '2024-01-31T13:45:10.1234567', '2024-01-31T13:45:10.',
  '2024-01-31T13:45:10Z', '2024-01-31 13:45:10Z', '2024-01-31T13:45:10z', '2024-01-31T13:45:10+02:00', '2024-01-31T13:45:10.25Z',
  '2024-01-31T13:45:10.000001Z', '2024-01-31T13:45:10 Z', ' 2024-01-31T13:45:10',
]

const TARGETS: CastTarget[] = (['string', 'int', 'bigint', 'decimal', 'float', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid'] as LogicalType[]).map(
  (type) => ({ type, name: 'c' }),
)
TARGETS.push({ type: 'decimal', precision: 5, scale: 2, name: 'c' }, { type: 'decimal', precision: 3, scale: 0, name: 'c' })

describe('textValueParser', () => {
  it('gives exactly what parseValue gives, value or error, for every type', () => {
    for (const target of TARGETS) {
      const parse = textValueParser(target)
      for (const text of TEXTS) {
        expect(outcome(() => parse(text)), `${JSON.stringify(text)} as ${target.type}(${target.precision ?? ''})`).toEqual(outcome(() => parseValue(text, target)))
      }
    }
  })

  it('gives the same from a range of a longer text, whatever surrounds it', () => {
    for (const target of TARGETS) {
      const parse = textRangeParser(target)
      for (const text of TEXTS) {
        for (const [before, after] of [['', ''], ['x,', ',y'], ['2024-01-31T13:45:10,', '9'], ['-', '0.5Z']]) {
          const line = before + text + after
          expect(outcome(() => parse(line, before.length, before.length + text.length)), `${JSON.stringify(line)} as ${target.type}(${target.precision ?? ''})`).toEqual(
            outcome(() => parseValue(text, target)),
          )
        }
      }
    }
  })

  it('recognises the stored form of decimals', () => {
    expect(['0', '-1', '12.50', '0.001', '-0.5'].every(isCanonicalDecimal)).toBe(true)
    expect(['', '-', '-0', '-0.00', '01', '1.', '.5', '+1', '1e3', '1,5'].some(isCanonicalDecimal)).toBe(false)
  })
})
