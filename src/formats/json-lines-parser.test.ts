import { describe, expect, it } from 'vitest'
import { JsonLinesParser, type JsonLinesParserOptions } from './json-lines-parser.js'
import { MalformedRecord } from './malformed-record.js'

function parse(input: string | Buffer, options: JsonLinesParserOptions = {}, chunkBytes = 1 << 20): unknown[] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input
  const parser = new JsonLinesParser(options)
  const out: unknown[] = []
  const drain = (): void => {
    for (let value = parser.next(); value !== undefined; value = parser.next()) {
      const where = { line: parser.recordLine, endLine: parser.endLine, endOffset: parser.endOffset }
      out.push(value instanceof MalformedRecord ? { error: value.error.code, message: value.error.message, raw: value.raw, ...where } : { value, ...where })
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

describe('JsonLinesParser', () => {
  it('reads one value per line, skipping blank lines, with LF or CRLF', () => {
    const text = '{"a":1}\r\n\n  \n{"a":"é"}\n[1]\n'
    expect(parse(text)).toEqual([
      { value: { a: 1 }, line: 1, endLine: 1, endOffset: 9 },
      { value: { a: 'é' }, line: 4, endLine: 4, endOffset: 24 },
      { value: [1], line: 5, endLine: 5, endOffset: 28 },
    ])
  })

  it('reports an invalid line with its number and raw text, then goes on', () => {
    const records = parse('{"a":1}\n{"a":tru}\r\n{"a":3}') as { error?: string; message?: string; raw?: string; value?: unknown; line: number }[]
    expect(records[1]).toMatchObject({ error: 'jsonl.malformed', raw: '{"a":tru}', line: 2 })
    expect(records[1].message).toMatch(/^invalid json at line 2: /)
    expect(records[2]).toMatchObject({ value: { a: 3 }, line: 3 })
  })

  it('gives the same values and bookkeeping whatever the chunk boundaries, and resumes from any of them', () => {
    const text = '\uFEFF{"n":12345678901234567890}\n{"s":"ü\\n"}\n\n{bad\n{"last":true}'
    const whole = parse(text) as { endOffset: number; endLine: number }[]
    for (const size of [1, 2, 5]) expect(parse(text, {}, size)).toEqual(whole)
    const bytes = Buffer.from(text)
    for (let i = 0; i < whole.length - 1; i++) {
      const { endOffset, endLine } = whole[i]
      expect(parse(bytes.subarray(endOffset), { startOffset: endOffset, startLine: endLine })).toEqual(whole.slice(i + 1))
    }
  })

  it('reports and skips a line longer than the limit', () => {
    const records = parse(`{"a":1}\n{"long":"${'x'.repeat(4000)}"}\n{"a":2}\n`, { maxRecordBytes: 1024 }, 100) as { error?: string; value?: unknown; line: number }[]
    expect(records.map((record) => record.error ?? record.value)).toEqual([{ a: 1 }, 'jsonl.record_too_large', { a: 2 }])
    expect(records[2].line).toBe(3)
  })

  it('reports a line longer than the limit whatever the chunks, also when it arrived whole', () => {
    const text = `{"a":1}\n{"long":"${'x'.repeat(1100)}"}\r\n{"a":2}\n${'y'.repeat(1025)}`
    const whole = parse(text, { maxRecordBytes: 1024 })
    for (const size of [3, 100, 1000]) expect(parse(text, { maxRecordBytes: 1024 }, size)).toEqual(whole)
    expect(whole.map((record) => (record as { error?: string; line: number }).error ?? (record as { line: number }).line)).toEqual([
      1,
      'jsonl.record_too_large',
      3,
      'jsonl.record_too_large',
    ])
  })
})
