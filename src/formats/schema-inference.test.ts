import { describe, expect, it } from 'vitest'
import { inferCsvSchema } from './csv-schema-inference.js'
import { parseJson } from './exact-json.js'
import { inferJsonSchema } from './json-schema-inference.js'

describe('inferCsvSchema', () => {
  const names = ['zip', 'n', 'amount', 'ok', 'day', 'at', 'maybe', 'empty', 'big']
  const records = [
    ['01234', '1', '1', 'true', '2024-01-01', '2024-01-01T10:00:00Z', '', '', '9223372036854775807'],
    ['98765', '22', '2.50', 'false', '2024-02-29', '2024-01-01T10:00:00.5+02:00', 'x', '', '1'],
    ['00501', '-3', '-0.125', 'TRUE', '2024-12-31', '2024-01-01 10:00:00Z', '', '', '2'],
  ]

  it('infers the narrowest type every non-NULL sample parses as', () => {
    expect(inferCsvSchema(names, records, { nullValues: [''], inferTypes: true }).columns.map((column) => `${column.name}:${column.type}`)).toEqual([
      'zip:string',
      'n:int',
      'amount:decimal',
      'ok:bool',
      'day:date',
      'at:timestamptz',
      'maybe:string',
      'empty:string',
      'big:bigint',
    ])
  })

  it('makes every column a string without type inference', () => {
    expect(inferCsvSchema(names, records, { nullValues: [''], inferTypes: false }).columns.every((column) => column.type === 'string')).toBe(true)
  })

  it('leaves NULL markers out of the vote', () => {
    const schema = inferCsvSchema(['n'], [['1'], ['NULL'], ['2']], { nullValues: ['', 'NULL'], inferTypes: true })
    expect(schema.columns[0].type).toBe('int')
  })
})

describe('inferJsonSchema', () => {
  it('takes keys in order of appearance and widens types across records', () => {
    const records = [
      '{"id":1,"ratio":1,"big":1,"exact":1,"tags":["a"],"mixed":"x","none":null}',
      '{"id":2,"ratio":2.5,"big":9007199254740993,"exact":12345678901234567.5,"mixed":1,"late":true}',
      '{"id":3,"ratio":3}',
    ].map((text) => parseJson(text))
    expect(inferJsonSchema(records).columns.map((column) => `${column.name}:${column.type}`)).toEqual([
      'id:int',
      'ratio:float',
      'big:bigint',
      'exact:decimal',
      'tags:json',
      'mixed:json',
      'none:json',
      'late:bool',
    ])
  })

  it('makes a bigint seen with a float decimal, the only type holding both', () => {
    expect(inferJsonSchema([parseJson('{"x":9007199254740993}'), { x: 0.5 }]).columns[0].type).toBe('decimal')
  })
})
