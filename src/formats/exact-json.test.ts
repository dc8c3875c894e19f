import { describe, expect, it } from 'vitest'
import { ExactNumber, parseJson } from './exact-json.js'

describe('parseJson', () => {
  it('equals JSON.parse on documents without long numbers', () => {
    for (const text of ['{"a":1,"b":[1,2,{"c":null}],"d":"x\\u00e9\\n","e":true,"f":-1.5e3}', '[]', '"s"', '12', 'null', '{"__proto__":1}']) {
      expect(parseJson(text)).toEqual(JSON.parse(text))
    }
  })

  it('equals JSON.parse on documents that only look long (digits in strings)', () => {
    const text = '{"phone":"12345678901234567","ip":"10.0.0.1.2.3.4.5.6","n":1,"nested":{"__proto__":{"x":1}}}'
    const parsed = parseJson(text) as Record<string, unknown>
    expect(parsed).toEqual(JSON.parse(text))
    expect(Object.getPrototypeOf(parsed.nested)).toBe(Object.prototype)
    expect(Object.hasOwn(parsed.nested as object, '__proto__')).toBe(true)
  })

  it('keeps top-level integers beyond 2^53 exact: bigint in 64 bits, ExactNumber beyond', () => {
    const parsed = parseJson('{"id":9007199254740993,"small":9007199254740991,"huge":123456789012345678901234567890,"neg":-9223372036854775808}') as Record<string, unknown>
    expect(parsed.id).toBe(9007199254740993n)
    expect(parsed.small).toBe(9007199254740991)
    expect(parsed.huge).toEqual(new ExactNumber('123456789012345678901234567890'))
    expect(parsed.neg).toBe(-9223372036854775808n)
  })

  it('keeps top-level numbers with more than 15 significant digits as their text', () => {
    const parsed = parseJson('{"d":12345678901234567.89,"e":0.10000000000000000555,"short":1234567.125,"exp":1.2345678901234567e+30}') as Record<string, unknown>
    expect(parsed.d).toEqual(new ExactNumber('12345678901234567.89'))
    expect(parsed.e).toEqual(new ExactNumber('0.10000000000000000555'))
    expect(parsed.short).toBe(1234567.125)
    expect(parsed.exp).toEqual(new ExactNumber('1.2345678901234567e+30'))
    expect((parsed.exp as ExactNumber).isInteger).toBe(false)
  })

  it('does not notice excess digits that round to a double with a short text (documented limit)', () => {
    expect(parseJson('{"e":0.10000000000000000555,"n":98.5}')).toEqual({ e: 0.1, n: 98.5 })
    expect(parseJson('{"e":0.12345678901234567}')).toEqual({ e: new ExactNumber('0.12345678901234567') })
  })

  it('leaves numbers nested deeper as doubles, as JSON values hold them', () => {
    expect(parseJson('{"j":{"n":9007199254740993}}')).toEqual({ j: { n: 9007199254740992 } })
    expect(parseJson('[9007199254740993,[9007199254740993]]')).toEqual([9007199254740993n, [9007199254740992]])
  })

  it('throws SyntaxError on invalid JSON, long numbers or not', () => {
    for (const text of ['{"a":12345678901234567,}', '{"a":12345678901234567', '[1234567890123456789 1]', '{"a":"\u0001 12345678901234567"}', '{"a":12345678901234567} x']) {
      expect(() => parseJson(text), text).toThrow(SyntaxError)
    }
  })
})
