import { describe, expect, it } from 'vitest'
import { JsonLinesParser } from './json-lines-parser.js'
import { JsonLinesScanner } from './json-lines-scanner.js'

/** Where the parser says the last value it can return ends, given the bytes and whether more may follow. */
function lastLineEnd(bytes: Buffer, isEnd: boolean): [number, number] {
  const parser = new JsonLinesParser()
  parser.push(bytes)
  if (isEnd) parser.end()
  let end: [number, number] = [-1, 0]
  while (parser.next() !== undefined) end = [parser.endOffset, parser.endLine]
  return end
}

describe('JsonLinesScanner', () => {
  it('finds the last line end the parser finds in every prefix, blank and invalid lines included', () => {
    const lines = ['{"a":1}', '', '  ', '\t\r', ' \u00a0', '\u00a0', '{bad', ' {"b":"é"}\r', '[1]', '\r']
    const scanner = new JsonLinesScanner('utf8', 1 << 20)
    for (let seed = 0; seed < 30; seed++) {
      const text = Array.from({ length: 7 }, (_, i) => lines[(seed * 3 + i * 7 + ((seed * i) % 4)) % lines.length]).join('\n') + (seed % 2 === 0 ? '\n' : '')
      const bytes = Buffer.from(text)
      for (let k = 0; k <= bytes.length; k++) {
        const prefix = bytes.subarray(0, k)
        const scan = scanner.scan(prefix, 0, false)
        expect([scan.lastEnd, scan.lastEndLines], `${JSON.stringify(text)} cut at ${k}`).toEqual(lastLineEnd(prefix, false))
      }
      const scan = scanner.scan(bytes, 0, true)
      expect([scan.lastEnd, scan.lastEndLines]).toEqual(lastLineEnd(bytes, true))
    }
  })

  it('stops at a line longer than the limit', () => {
    const scanner = new JsonLinesScanner('utf8', 8)
    expect(scanner.scan(Buffer.from('{"a":1}\n{"a":1234}\n'), 0, true)).toEqual({ lastEnd: 8, lastEndLines: 1, stop: 8, stopLines: 1, isTooLarge: true })
  })
})
