import { describe, expect, it } from 'vitest'
import { RecordError } from '../core/errors.js'
import type { Column, Row } from '../core/schema.js'
import { CsvParser } from './csv-parser.js'
import { CsvWriter, type CsvWriterOptions } from './csv-writer.js'

const text: Pick<Column, 'name' | 'type'>[] = [
  { name: 'a', type: 'string' },
  { name: 'b', type: 'string' },
]

function write(rows: Row[], columns: Pick<Column, 'name' | 'type'>[], options: CsvWriterOptions = {}): string {
  const writer = new CsvWriter(options)
  return writer.formatHeader(columns.map((column) => column.name)) + writer.formatRows(rows, columns)
}

function parseAll(input: string, options: ConstructorParameters<typeof CsvParser>[0] = {}): unknown[] {
  const parser = new CsvParser(options)
  parser.push(input)
  parser.end()
  const records: unknown[] = []
  for (let record = parser.next(); record !== undefined; record = parser.next()) records.push(record)
  return records
}

describe('CsvWriter', () => {
  it('quotes only fields that need it with the minimal style', () => {
    const rows: Row[] = [
      ['plain', 'with,comma'],
      ['say "hi"', 'two\nlines'],
      ['cr\r', ' spaced '],
    ]
    expect(write(rows, text)).toBe('a,b\nplain,"with,comma"\n"say ""hi""","two\nlines"\n"cr\r", spaced \n')
  })

  it('writes every type in its text form, json columns as JSON text and NULL as the marker', () => {
    const columns: Pick<Column, 'name' | 'type'>[] = [
      { name: 'i', type: 'int' },
      { name: 'big', type: 'bigint' },
      { name: 'd', type: 'decimal' },
      { name: 'f', type: 'float' },
      { name: 'ok', type: 'bool' },
      { name: 'ts', type: 'timestamptz' },
      { name: 'j', type: 'json' },
      { name: 'raw', type: 'bytes' },
      { name: 'n', type: 'string' },
    ]
    const row: Row = [-7, 9007199254740993n, '12.50', 0.1, true, '2024-01-31T13:45:10.5Z', { k: [1, 'x,y'] }, Buffer.from('hi'), null]
    expect(write([row], columns, { nullText: '\\N' })).toBe(
      'i,big,d,f,ok,ts,j,raw,n\n-7,9007199254740993,12.50,0.1,true,2024-01-31T13:45:10.5Z,"{""k"":[1,""x,y""]}",aGk=,\\N\n',
    )
    expect(write([[null, 'x']], [{ name: 'j', type: 'json' }, text[0]])).toBe('j,a\n,x\n')
    expect(write([['a string', null]], [{ name: 'j', type: 'json' }, text[0]])).toBe('j,a\n"""a string""",\n')
  })

  it('quotes every non-NULL field with `all`, non-numeric ones with `non_numeric`', () => {
    const columns: Pick<Column, 'name' | 'type'>[] = [{ name: 'n', type: 'int' }, { name: 's', type: 'string' }, { name: 'd', type: 'decimal' }]
    const rows: Row[] = [[1, 'x', '2.5'], [null, '', null]]
    expect(write(rows, columns, { quoteStyle: 'all' })).toBe('"n","s","d"\n"1","x","2.5"\n,"",\n')
    expect(write(rows, columns, { quoteStyle: 'non_numeric' })).toBe('"n","s","d"\n1,"x",2.5\n,"",\n')
  })

  it('quotes the empty only field of a one-column row, so that it is not read as a blank line', () => {
    const written = write([[''], [null], ['x']], [text[0]])
    expect(written).toBe('a\n""\n""\nx\n')
    expect(parseAll(written)).toEqual([['a'], [''], [''], ['x']])
  })

  it('escapes with an escape character, other delimiters and CRLF line ends', () => {
    const written = write([['a"b\\c', 'x;y']], text, { delimiter: ';', escape: '\\', lineEnd: '\r\n' })
    expect(written).toBe('a;b\r\n"a\\"b\\\\c";"x;y"\r\n')
    expect(parseAll(written, { delimiter: ';', escape: '\\' })).toEqual([['a', 'b'], ['a"b\\c', 'x;y']])
  })

  it('refuses a value that would need quotes when quoting is disabled', () => {
    const writer = new CsvWriter({ quote: '', delimiter: '\t' })
    const format = writer.rowFormatter([{ index: 0, column: { name: 'note', type: 'string' } }])
    expect(format(['no tabs here'])).toBe('no tabs here\n')
    let error: unknown
    try {
      format(['a\tb'])
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RecordError)
    expect((error as RecordError).code).toBe('csv.unquotable')
  })

  it('writes columns picked by index, NULL where a column has no source', () => {
    const writer = new CsvWriter()
    const format = writer.rowFormatter([
      { index: 1, column: { name: 'b', type: 'string' } },
      { index: -1, column: { name: 'missing', type: 'string' } },
      { index: 0, column: { name: 'a', type: 'int' } },
    ])
    expect(format([5, 'x'])).toBe('x,,5\n')
  })

  it('round-trips canonical CSV byte for byte', () => {
    const canonical = 'id,name,note\n1,plain,"a,b"\n2,"q ""x""","multi\nline"\n3,,tail\n'
    const records = parseAll(canonical) as string[][]
    const writer = new CsvWriter()
    const columns = records[0].map((name) => ({ name, type: 'string' as const }))
    expect(writer.formatHeader(records[0]) + writer.formatRows(records.slice(1), columns)).toBe(canonical)
  })
})

/** The writer as it quoted field by field, one regular expression each: the reference for the line check. */
function referenceLine(row: Row, columns: Pick<Column, 'name' | 'type'>[], options: CsvWriterOptions): string {
  const delimiter = options.delimiter ?? ','
  const quote = options.quote ?? '"'
  const escape = options.escape ?? quote
  const style = options.quoteStyle ?? 'minimal'
  const nullText = options.nullText ?? ''
  const specials = [delimiter, quote, escape, '\r', '\n'].filter((c) => c.length > 0)
  const isPlainChar = (c: string): boolean => /^[A-Za-z0-9+\-.:/=]$/.test(c)
  const plainTypes = ['int', 'bigint', 'decimal', 'float', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid', 'bytes']
  const cells = columns.map((column, c) => {
    const value = row[c]
    if (value === null || value === undefined) return nullText
    const text = column.type === 'json' ? JSON.stringify(value) : typeof value === 'string' ? value : typeof value === 'number' ? String(value) : String(value)
    const numeric = ['int', 'bigint', 'decimal', 'float'].includes(column.type)
    const always = style === 'all' || (style === 'non_numeric' && !numeric)
    const never = !always && plainTypes.includes(column.type) && !isPlainChar(delimiter) && !isPlainChar(quote || ',')
    const needs = always || (!never && specials.some((s) => text.includes(s)))
    if (!needs) return text
    if (quote === '') throw new RecordError('csv.unquotable', 'unquotable')
    const targets = escape === quote ? [quote] : [quote, escape]
    return quote + [...text].map((ch) => (targets.includes(ch) ? escape + ch : ch)).join('') + quote
  })
  const line = cells.join(delimiter)
  return (columns.length === 1 && quote !== '' && line === '' ? quote + quote : line) + (options.lineEnd ?? '\n')
}

describe('CsvWriter line check', () => {
  it('quotes exactly the fields a field-by-field check quotes, in every dialect', () => {
    let seed = 7
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const pieces = ['a', 'Zoë', 'x y', ',', ';', '\t', '|', ':', '.', '-', '"', "'", '\\', '\r', '\n', '\r\n', '', '12', 'ń', '😀']
    const text = (): string => Array.from({ length: random(4) }, () => pieces[random(pieces.length)]).join('')
    const dialects: CsvWriterOptions[] = [
      {},
      { delimiter: ';' },
      { delimiter: '\t', quote: '' },
      { delimiter: '|', quote: "'", escape: '\\' },
      { delimiter: ':' },
      { delimiter: '.', nullText: '\\N' },
      { delimiter: '-', quoteStyle: 'non_numeric' },
      { quoteStyle: 'all', nullText: 'NULL' },
      { nullText: ',' },
      { escape: '\\', lineEnd: '\r\n' },
    ]
    const types: Column['type'][] = ['string', 'int', 'decimal', 'bool', 'timestamp', 'json', 'string']
    let compared = 0
    for (const options of dialects) {
      for (const width of [1, 2, 7]) {
        const columns = Array.from({ length: width }, (_, i) => ({ name: `c${i}`, type: width === 1 ? 'string' : types[i] }))
        const format = new CsvWriter(options).rowFormatter(columns.map((column, index) => ({ index, column })))
        for (let n = 0; n < 300; n++) {
          const row: Row = columns.map((column) => {
            if (random(6) === 0) return null
            switch (column.type) {
              case 'int':
                return random(2000) - 1000
              case 'decimal':
                return `${random(100)}.${random(10)}`
              case 'bool':
                return random(2) === 0
              case 'timestamp':
                return '2024-01-31T13:45:10'
              case 'json':
                return { k: text() }
              default:
                return text()
            }
          })
          const outcome = (run: () => string): string => {
            try {
              return run()
            } catch (error) {
              return `error ${(error as RecordError).code}`
            }
          }
          expect(outcome(() => format(row)), JSON.stringify({ options, row })).toBe(outcome(() => referenceLine(row, columns, options)))
          compared++
        }
      }
    }
    expect(compared).toBe(dialects.length * 3 * 300)
  })
})
