import { describe, expect, it } from 'vitest'
import { CsvParser, type CsvParserOptions } from './csv-parser.js'
import { CsvRecordScanner, type CsvScannerOptions } from './csv-record-scanner.js'

/**
 * Where the parser says the last record it can return ends (byte offset after it and line ends before
 * that), given the bytes and whether more may follow.
 */
function lastRecordEnd(bytes: Buffer, options: CsvParserOptions, isEnd: boolean): [number, number] {
  const parser = new CsvParser(options)
  parser.push(bytes)
  if (isEnd) parser.end()
  let end: [number, number] = [-1, 0]
  while (parser.next() !== undefined) end = [parser.endOffset, parser.endLine]
  return end
}

/** Texts mixing every kind of record: plain, quoted over lines, malformed, blank, CRLF. */
function texts(quote: string, escape: string): string[] {
  const q = quote
  const pieces = ['a,b', '', '\r', `${q}x,\ny${q},z`, `${q}p${q}${q}q${q}`, `${q}c${q}junk,1`, `bare${q}q,2`, `${q}cr${q}\rX`, `${q}\r\n${q}`, `é,😀`, `${q}${q}`]
  if (escape !== '') pieces.push(`${q}e${escape}${q}\nf${q}`, `${q}${escape}${escape}${q}`)
  const result: string[] = []
  for (let seed = 0; seed < 40; seed++) {
    const lines: string[] = []
    for (let i = 0; i < 8; i++) lines.push(pieces[(seed * 7 + i * 5 + ((seed * i) % 3)) % pieces.length])
    result.push(lines.join(seed % 2 === 0 ? '\n' : '\r\n') + (seed % 3 === 0 ? '' : '\n') + (seed % 5 === 0 ? `${q}unterminated\n1,2\n` : ''))
  }
  return result
}

describe('CsvRecordScanner', () => {
  it.each([
    ['doubled quotes', { quote: '"', escape: '', allowBareQuotes: false }],
    ['an escape character', { quote: "'", escape: '\\', allowBareQuotes: false }],
    ['bare quotes allowed', { quote: '"', escape: '', allowBareQuotes: true }],
    ['no quoting', { quote: '', escape: '', allowBareQuotes: false }],
  ])('finds the last record end the parser finds in every prefix, with %s', (_name, dialect) => {
    const options: CsvScannerOptions = { delimiter: ',', encoding: 'utf8', maxRecordChars: 1 << 20, ...dialect }
    const scanner = new CsvRecordScanner(options)
    for (const text of texts(dialect.quote || '"', dialect.escape)) {
      const bytes = Buffer.from(text)
      const parserOptions = { quote: dialect.quote, escape: dialect.escape || dialect.quote, allowBareQuotes: dialect.allowBareQuotes }
      for (let k = 0; k <= bytes.length; k++) {
        const prefix = bytes.subarray(0, k)
        const scan = scanner.scan(prefix, 0, false)
        expect([scan.lastEnd, scan.lastEndLines], `${JSON.stringify(text)} cut at ${k}`).toEqual(lastRecordEnd(prefix, parserOptions, false))
        expect(scan.isTooLarge).toBe(false)
      }
      const scan = scanner.scan(bytes, 0, true)
      expect([scan.lastEnd, scan.lastEndLines]).toEqual(lastRecordEnd(bytes, parserOptions, true))
      expect(scan.stop).toBe(bytes.length)
    }
  })

  it('stops at a record longer than the limit, measured in characters', () => {
    const scanner = new CsvRecordScanner({ delimiter: ',', quote: '"', escape: '', allowBareQuotes: false, encoding: 'utf8', maxRecordChars: 10 })
    expect(scanner.scan(Buffer.from('a,b\n"0123456789\n",x\nc\n'), 0, true)).toEqual({ lastEnd: 4, lastEndLines: 1, stop: 4, stopLines: 1, isTooLarge: true })
    // Ten characters in nineteen bytes, line end included: not too long.
    expect(scanner.scan(Buffer.from('ééééééééé\n'), 0, true)).toMatchObject({ lastEnd: 19, isTooLarge: false })
    expect(scanner.scan(Buffer.from('éééééééééé\n'), 0, true)).toMatchObject({ lastEnd: -1, isTooLarge: true })
    // An incomplete record is too long as soon as what is there is.
    expect(scanner.scan(Buffer.from('a\n"01234567890'), 0, false)).toEqual({ lastEnd: 2, lastEndLines: 1, stop: 2, stopLines: 1, isTooLarge: true })
    expect(scanner.scan(Buffer.from('a\n"0123'), 0, false)).toEqual({ lastEnd: 2, lastEndLines: 1, stop: 2, stopLines: 1, isTooLarge: false })
  })

  it('supports only dialects it can find in bytes', () => {
    const dialect = { delimiter: ',', quote: '"', escape: '', encoding: 'utf8' as const }
    expect(CsvRecordScanner.supports(dialect)).toBe(true)
    expect(CsvRecordScanner.supports({ ...dialect, encoding: 'latin1' })).toBe(true)
    expect(CsvRecordScanner.supports({ ...dialect, encoding: 'utf16le' })).toBe(false)
    expect(CsvRecordScanner.supports({ ...dialect, delimiter: '§' })).toBe(false)
    expect(CsvRecordScanner.supports({ ...dialect, quote: '«' })).toBe(false)
    expect(CsvRecordScanner.supports({ ...dialect, escape: '€' })).toBe(false)
    expect(CsvRecordScanner.supports({ ...dialect, quote: ',' })).toBe(false)
    expect(CsvRecordScanner.supports({ ...dialect, quote: '', escape: '€' })).toBe(true)
  })
})
