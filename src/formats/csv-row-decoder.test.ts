import { describe, expect, it } from 'vitest'
import type { Schema, Value } from '../core/schema.js'
import { CsvLine, CsvParser } from './csv-parser.js'
import { CsvRowDecoder } from './csv-row-decoder.js'
import { MalformedRecord } from './malformed-record.js'

const schema: Schema = {
  columns: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'score', type: 'decimal', precision: 5, scale: 2 },
    { name: 'ok', type: 'bool' },
    { name: 'at', type: 'timestamp' },
    { name: 'day', type: 'date' },
    { name: 'f', type: 'float' },
    { name: 'missing', type: 'string' },
  ],
}

const TEXT = [
  'id,name,score,ok,at,day,f',
  '1,Ana,12.50,true,2024-01-31T13:45:10,2024-02-29,1.5',
  '-0,,0.10,false,2024-01-31 13:45:10.25,2023-02-28,-2e3',
  '007,"quoted, name",99.99,yes,2024-01-31T13:45:10.123456,2024-12-31,NaN',
  ',\\N,,,,,',
  'x,NULL,1.234,maybe,2024-01-31T25:00:00,2024-02-30,0x10',
  '2147483648,n,100.00,TRUE,2024-01-31,2024-1-1,',
  '+5,ń😀,-1.00,f,2024-01-31T13:45:10Z,0001-01-01,1e400',
].join('\n')

/** Every record of TEXT decoded by a decoder: values, or the error of the first field that does not convert. */
function decodeAll(fieldRanges: boolean, nullValues: string[], fieldIndexes: number[]): unknown[] {
  const parser = new CsvParser({ fieldRanges })
  parser.push(TEXT)
  parser.end()
  const decoder = new CsvRowDecoder(schema, fieldIndexes, nullValues)
  const out: unknown[] = []
  let isHeader = true
  for (let record = parser.next(); record !== undefined; record = parser.next()) {
    if (isHeader) {
      isHeader = false
      continue
    }
    expect(record).not.toBeInstanceOf(MalformedRecord)
    if (fieldRanges && !(record as string[]).includes?.('quoted, name')) expect(record).toBeInstanceOf(CsvLine)
    try {
      out.push((decoder.decode(record as string[] | CsvLine) as Value[]).map((value) => (Object.is(value, -0) ? '-0' : value)))
    } catch (error) {
      out.push(`error ${(error as Error).message}`)
    }
  }
  return out
}

describe('CsvRowDecoder', () => {
  it('decodes a CsvLine exactly as the same record given as strings', () => {
    const indexes = [[0, 1, 2, 3, 4, 5, 6, -1], [6, 5, 4, 3, 2, 1, 0, 9]]
    for (const nullValues of [[''], ['', '\\N', 'NULL'], [], ['NULL']]) {
      for (const fieldIndexes of indexes) {
        const expected = decodeAll(false, nullValues, fieldIndexes)
        expect(expected.some((row) => typeof row === 'string')).toBe(true)
        expect(decodeAll(true, nullValues, fieldIndexes), JSON.stringify({ nullValues, fieldIndexes })).toEqual(expected)
      }
    }
  })
})
