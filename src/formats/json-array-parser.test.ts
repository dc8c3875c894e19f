import { describe, expect, it } from 'vitest'
import { JsonArrayParser, type JsonArrayParserOptions } from './json-array-parser.js'
import { MalformedRecord } from './malformed-record.js'

interface Item {
  value?: unknown
  error?: string
  message?: string
  line: number
  endLine: number
  endOffset: number
}

function parse(input: string | Buffer, options: JsonArrayParserOptions = {}, chunkBytes = 1 << 20): Item[] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input
  const parser = new JsonArrayParser(options)
  const out: Item[] = []
  const drain = (): void => {
    for (let value = parser.next(); value !== undefined; value = parser.next()) {
      const where = { line: parser.recordLine, endLine: parser.endLine, endOffset: parser.endOffset }
      out.push(value instanceof MalformedRecord ? { error: value.error.code, message: value.error.message, ...where } : { value, ...where })
    }
  }
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    parser.push(bytes.subarray(offset, offset + chunkBytes))
    drain()
  }
  parser.end()
  drain()
  expect(parser.done).toBe(true)
  return out
}

describe('JsonArrayParser', () => {
  it('streams the elements of a top-level array with their lines and end offsets', () => {
    const text = '[\n  {"a": 1, "s": "x]}\\"{"},\n  {"a": [2, {"b": 3}]}, 4, "five", null\n]\n'
    const items = parse(text)
    expect(items.map((item) => item.value)).toEqual([{ a: 1, s: 'x]}"{' }, { a: [2, { b: 3 }] }, 4, 'five', null])
    expect(items.map((item) => item.line)).toEqual([2, 3, 3, 3, 3])
    expect(items[0].endOffset).toBe(text.indexOf('},') + 1)
  })

  it('reads an empty array, an empty input and a single object', () => {
    expect(parse('[]')).toEqual([])
    expect(parse('  \n')).toEqual([])
    expect(parse('{"only": true}\n').map((item) => item.value)).toEqual([{ only: true }])
  })

  it('gives the same elements whatever the chunk boundaries, and resumes after any element', () => {
    const text = '\uFEFF[{"id":9007199254740993,"n":"ü"},\r\n{"id":2},\n{"id":3, "bad": tru},{"id":4}]'
    const whole = parse(text)
    expect(whole.map((item) => item.error ?? item.value)).toEqual([{ id: 9007199254740993n, n: 'ü' }, { id: 2 }, 'json.malformed', { id: 4 }])
    for (const size of [1, 3, 8]) expect(parse(text, {}, size)).toEqual(whole)
    const bytes = Buffer.from(text)
    for (let i = 0; i < whole.length - 1; i++) {
      const { endOffset, endLine } = whole[i]
      expect(parse(bytes.subarray(endOffset), { startOffset: endOffset, startLine: endLine, isInsideArray: true })).toEqual(whole.slice(i + 1))
    }
  })

  it('reports a missing comma, a missing bracket and text after the array', () => {
    expect(parse('[{"a":1} {"a":2}]').map((item) => item.error ?? item.value)).toEqual([{ a: 1 }, 'json.malformed', { a: 2 }])
    expect(parse('[{"a":1},\n{"a":2}\n').map((item) => item.message ?? item.value)).toEqual([{ a: 1 }, { a: 2 }, 'unexpected end of json input at line 3: missing "]"'])
    expect(parse('[{"a":1}] trailing').map((item) => item.message ?? item.value)).toEqual([
      { a: 1 },
      'unexpected text after the end of the json document at line 1',
    ])
    expect(parse('[{"a":1},{"a":"unterminated').map((item) => item.message ?? item.value)).toEqual([
      { a: 1 },
      'unexpected end of json input in the element starting at line 1',
    ])
  })
})
