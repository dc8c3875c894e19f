/** PostgreSQL array literals to and from JSON arrays. */
import { describe, expect, it } from 'vitest'
import { formatArrayLiteral, parseArrayLiteral } from './array-literal.js'

const asText = (text: string) => text

describe('array literals', () => {
  it('parses quoted and unquoted elements, NULL, escapes and nesting', () => {
    expect(parseArrayLiteral('{}', asText)).toEqual([])
    expect(parseArrayLiteral('{a,"b c","d\\"e","f\\\\g",NULL,"NULL",""}', asText)).toEqual(['a', 'b c', 'd"e', 'f\\g', null, 'NULL', ''])
    expect(parseArrayLiteral('{{1,2},{3,4}}', Number)).toEqual([
      [1, 2],
      [3, 4],
    ])
    expect(parseArrayLiteral('[0:1]={x,y}', asText)).toEqual(['x', 'y'])
  })

  it('refuses a malformed literal, naming where', () => {
    expect(() => parseArrayLiteral('{a,b', asText)).toThrow('malformed array literal')
    expect(() => parseArrayLiteral('{"a}', asText)).toThrow('malformed array literal')
    expect(() => parseArrayLiteral('x', asText)).toThrow('at offset 0')
  })

  it('formats JSON arrays so that parsing gives them back', () => {
    const value = ['plain', 'with "quotes" and \\', '', null, 'NULL', 'a,b{c}']
    const literal = formatArrayLiteral(value)
    expect(literal).toBe('{"plain","with \\"quotes\\" and \\\\","",NULL,"NULL","a,b{c}"}')
    expect(parseArrayLiteral(literal, asText)).toEqual(value)
    expect(formatArrayLiteral([[1, 2.5], [true, false]])).toBe('{{1,2.5},{true,false}}')
    expect(formatArrayLiteral([{ k: 'v' }])).toBe('{"{\\"k\\":\\"v\\"}"}')
  })
})
