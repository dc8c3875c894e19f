import { describe, expect, it } from 'vitest'
import { RecordError } from '../core/errors.js'
import { CsvLine, CsvParser, type CsvParserOptions } from './csv-parser.js'
import { MalformedRecord } from './malformed-record.js'

interface Parsed {
  fields?: string[]
  error?: { code: string; message: string; raw: string }
  line: number
  endLine: number
  endOffset: number
}

/**
 * Feeds `input` in chunks of `chunkBytes` bytes and collects every record with its bookkeeping, once
 * as field arrays and once as CsvLine ranges (`fieldRanges`), which must give the same records.
 */
function parse(input: string | Buffer, options: CsvParserOptions = {}, chunkBytes = 1 << 20): Parsed[] {
  const records = parseWith(input, options, chunkBytes)
  expect(parseWith(input, { ...options, fieldRanges: true }, chunkBytes)).toEqual(records)
  return records
}

function parseWith(input: string | Buffer, options: CsvParserOptions, chunkBytes: number): Parsed[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  const parser = new CsvParser(options)
  const out: Parsed[] = []
  const drain = (): void => {
    for (let record = parser.next(); record !== undefined; record = parser.next()) {
      const info = { line: parser.recordLine, endLine: parser.endLine, endOffset: parser.endOffset }
      if (record instanceof MalformedRecord) {
        expect(record.error).toBeInstanceOf(RecordError)
        out.push({ error: { code: record.error.code, message: record.error.message, raw: record.raw }, ...info })
      } else if (record instanceof CsvLine) {
        expect(options.fieldRanges).toBe(true)
        out.push({ fields: record.toArray(), ...info })
      } else {
        out.push({ fields: record, ...info })
      }
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

function fields(input: string, options: CsvParserOptions = {}): (string[] | string)[] {
  return parse(input, options).map((record) => record.fields ?? `${record.error!.code}: ${record.error!.message}`)
}

describe('CsvParser', () => {
  it('splits plain records with LF or CRLF line ends, with or without a final line end', () => {
    expect(fields('a,b,c\n1,2,3\n')).toEqual([['a', 'b', 'c'], ['1', '2', '3']])
    expect(fields('a,b,c\r\n1,2,3\r\n')).toEqual([['a', 'b', 'c'], ['1', '2', '3']])
    expect(fields('a,b,c\n1,2,3')).toEqual([['a', 'b', 'c'], ['1', '2', '3']])
    expect(fields('a,b,c\r\n1,2,3')).toEqual([['a', 'b', 'c'], ['1', '2', '3']])
  })

  it('keeps empty fields, including leading and trailing ones', () => {
    expect(fields(',a,,b,\n')).toEqual([['', 'a', '', 'b', '']])
    expect(fields('"",""\n')).toEqual([['', '']])
  })

  it('cuts records of many fields', () => {
    const wide = Array.from({ length: 150 }, (_, i) => (i % 7 === 0 ? '' : `f${i}`))
    expect(fields(`${wide.join(',')}\n${wide.slice(0, 3).join(',')}\n`)).toEqual([wide, wide.slice(0, 3)])
  })

  it('skips blank lines, which hold no record', () => {
    expect(fields('a\n\n\r\nb\n\n')).toEqual([['a'], ['b']])
  })

  it('reads quoted fields holding delimiters, doubled quotes and line breaks of every kind', () => {
    expect(fields('"a,b","say ""hi""",c\n')).toEqual([['a,b', 'say "hi"', 'c']])
    expect(fields('"line1\nline2","cr\rlf\r\nend",x\n')).toEqual([['line1\nline2', 'cr\rlf\r\nend', 'x']])
    expect(fields('"only"\r\n')).toEqual([['only']])
    expect(fields('"last field at eof"')).toEqual([['last field at eof']])
  })

  it('honours an escape character different from the quote', () => {
    expect(fields('"a\\"b","c\\\\d","e""f"\n', { escape: '\\' })).toEqual([['a"b', 'c\\d', 'e"f']])
  })

  it('takes any one-character delimiter and quote, and no quote at all', () => {
    expect(fields('a\tb\t"c\td"\n', { delimiter: '\t' })).toEqual([['a', 'b', 'c\td']])
    expect(fields("a;'b;c';d\n", { delimiter: ';', quote: "'" })).toEqual([['a', 'b;c', 'd']])
    expect(fields('a,"b",c"d\n', { quote: '' })).toEqual([['a', '"b"', 'c"d']])
  })

  it('skips a byte-order mark at the start, and counts its bytes', () => {
    const records = parse('\uFEFFid,name\n1,x\n')
    expect(records.map((record) => record.fields)).toEqual([['id', 'name'], ['1', 'x']])
    expect(records[0].endOffset).toBe(3 + 'id,name\n'.length)
  })

  it('reports characters after a closing quote with line and column, then goes on', () => {
    const records = parse('a,b\n"x"y,z\nc,d\n')
    expect(records[1].error).toEqual({ code: 'csv.malformed', message: 'unexpected character "y" after closing quote at line 2, column 4', raw: '"x"y,z' })
    expect(records[2].fields).toEqual(['c', 'd'])
    expect(records[2].line).toBe(3)
  })

  it('reports a quote inside an unquoted field unless bare quotes are allowed', () => {
    expect(fields('a,b"c,d\ne,f,g\n')).toEqual(['csv.malformed: quote in unquoted field at line 1, column 4', ['e', 'f', 'g']])
    expect(fields('a,5\'11",d\n', { allowBareQuotes: true })).toEqual([['a', '5\'11"', 'd']])
  })

  it('reports an unterminated quote at the end of the input with the rest as raw text', () => {
    const records = parse('a,b\n1,"open\n2,3\n')
    expect(records[0].fields).toEqual(['a', 'b'])
    expect(records[1].error).toEqual({ code: 'csv.malformed', message: 'unterminated quoted field in csv record starting at line 2', raw: '1,"open\n2,3\n' })
    expect(records[1].endOffset).toBe(Buffer.byteLength('a,b\n1,"open\n2,3\n'))
  })

  it('reports a wrong number of fields against the expected count', () => {
    const records = parse('1,2,3\n4,5\n6,7,8,9\n"a","b","c"\n', { fieldCount: 3 })
    expect(records.map((record) => record.fields ?? record.error!.message)).toEqual([
      ['1', '2', '3'],
      'csv record at line 2 has 2 fields, expected 3',
      'csv record at line 3 has 4 fields, expected 3',
      ['a', 'b', 'c'],
    ])
    expect(records[1].error!.code).toBe('csv.field_count')
    expect(records[1].error!.raw).toBe('4,5')
  })

  it('tracks start lines, line ends and byte offsets across embedded line breaks and multibyte text', () => {
    const text = 'h1,h2\n"é\nè",x\r\n\nü,"ä\r\nö"\nlast,row'
    const records = parse(text)
    expect(records.map((record) => [record.line, record.endLine])).toEqual([
      [1, 1],
      [2, 3],
      [5, 6],
      [7, 6],
    ])
    const bytes = Buffer.from(text)
    expect(records.map((record) => record.endOffset)).toEqual([
      bytes.indexOf('"é'),
      bytes.indexOf('\n\nü') + 1,
      bytes.indexOf('last'),
      bytes.length,
    ])
  })

  it('gives the same records and bookkeeping whatever the chunk boundaries', () => {
    const text = '\uFEFFid,"na,me",note\r\n1,"a ""q""\nb",é\n\n2,x,"\r\n"\r\n3,"y"z,w\n4,ü,"open'
    const whole = parse(text)
    for (const size of [1, 2, 3, 5, 7, 16]) expect(parse(text, {}, size)).toEqual(whole)
    expect(parse(text, { fieldCount: 3 }, 1)).toEqual(parse(text, { fieldCount: 3 }))
  })

  it('resumes from a saved offset and line as if it had read on', () => {
    const text = 'a,b\n1,"x\ny"\n2,z\n3,w\n'
    const all = parse(text)
    const bytes = Buffer.from(text)
    for (let i = 0; i < all.length - 1; i++) {
      const { endOffset, endLine } = all[i]
      const rest = parse(bytes.subarray(endOffset), { startOffset: endOffset, startLine: endLine })
      expect(rest).toEqual(all.slice(i + 1))
    }
  })

  it('counts bytes of latin1 and utf16le input', () => {
    const latin1 = Buffer.from('é,ü\nà,ö\n', 'latin1')
    const records = parse(latin1, { encoding: 'latin1' })
    expect(records.map((record) => [record.fields, record.endOffset])).toEqual([
      [['é', 'ü'], 4],
      [['à', 'ö'], 8],
    ])
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,"ü\n"\nb,c\n', 'utf16le')])
    const wide = parse(utf16, { encoding: 'utf16le' }, 3)
    expect(wide.map((record) => [record.fields, record.endOffset])).toEqual([
      [['a', 'ü\n'], 2 + 2 * 7],
      [['b', 'c'], utf16.length],
    ])
  })

  it('reports and skips a record longer than the limit instead of holding it', () => {
    const long = `1,"${'x'.repeat(5000)}`
    const records = parse(`a,b\n${long}\n2,y\n`, { maxRecordBytes: 1024 }, 256)
    expect(records[0].fields).toEqual(['a', 'b'])
    expect(records[1].error!.code).toBe('csv.record_too_large')
    expect(records[1].line).toBe(2)
    expect(records[2].fields).toEqual(['2', 'y'])
    expect(records[2].line).toBe(3)
  })

  it('reports a record longer than the limit whatever the chunks, also when it arrived whole', () => {
    const long = 'x'.repeat(1500)
    const text = `a,b\n1,"${long}\n"q\n",z\n2,${long}\n3,"open\n${long}`
    const whole = parse(text, { maxRecordBytes: 1024 })
    for (const size of [7, 100, 1000, 4096]) expect(parse(text, { maxRecordBytes: 1024 }, size)).toEqual(whole)
    expect(whole.map((record) => [record.line, record.fields ?? record.error!.code])).toEqual([
      [1, ['a', 'b']],
      [2, 'csv.record_too_large'],
      // The skipped record's first line only: what follows is read as records of its own.
      [3, ['q\n', 'z']],
      [5, 'csv.record_too_large'],
      [6, 'csv.record_too_large'],
      // The rest of the unterminated record: a line too long of its own.
      [7, 'csv.record_too_large'],
    ])
    expect(whole[1].error!.raw).toBe(`1,"${long.slice(0, 1021)}...`)
  })

  it('refuses a delimiter that is not one character', () => {
    expect(() => new CsvParser({ delimiter: '::' })).toThrow(/one character/)
  })
})
