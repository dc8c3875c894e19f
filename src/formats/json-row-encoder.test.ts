import { describe, expect, it } from 'vitest'
import type { Column, Row, Schema } from '../core/schema.js'
import { parseJson } from './exact-json.js'
import { JsonRowDecoder } from './json-row-decoder.js'
import { JsonRowEncoder } from './json-row-encoder.js'

const schema: Schema = {
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'price', type: 'decimal' },
    { name: 'ratio', type: 'float' },
    { name: 'raw', type: 'bytes' },
    { name: 'doc', type: 'json' },
    { name: 'at', type: 'timestamptz' },
    { name: 'day', type: 'date' },
    { name: 'name', type: 'string' },
    { name: 'ok', type: 'bool' },
    { name: 'uid', type: 'uuid' },
    { name: 'n', type: 'int' },
  ] satisfies Column[],
}

const row: Row = [
  9223372036854775807n,
  '12345678901234567890.0100',
  0.1,
  Buffer.from([0, 255, 7]),
  { nested: [1, 'two', null], ok: true },
  '2024-01-31T13:45:10.123456Z',
  '2024-02-29',
  'quote " backslash \\ newline \n emoji 😀 lone \ud800',
  false,
  '123e4567-e89b-12d3-a456-426614174000',
  null,
]

describe('JsonRowEncoder', () => {
  it('writes every type exactly', () => {
    const text = new JsonRowEncoder(schema.columns).encode(row)
    expect(text).toBe(
      '{"id":9223372036854775807,"price":12345678901234567890.0100,"ratio":0.1,"raw":"AP8H","doc":{"nested":[1,"two",null],"ok":true},' +
        '"at":"2024-01-31T13:45:10.123456Z","day":"2024-02-29","name":"quote \\" backslash \\\\ newline \\n emoji 😀 lone \\ud800","ok":false,' +
        '"uid":"123e4567-e89b-12d3-a456-426614174000","n":null}',
    )
    expect(() => JSON.parse(text)).not.toThrow()
  })

  it('round-trips through the JSON decoder to the same values', () => {
    const text = new JsonRowEncoder(schema.columns).encode(row)
    expect(new JsonRowDecoder(schema).decode(parseJson(text) as never)).toEqual(row)
  })

  it('writes decimals as strings on request, and non-finite floats as strings', () => {
    const encoder = new JsonRowEncoder([{ name: 'd', type: 'decimal' }, { name: 'f', type: 'float' }], { decimalsAsStrings: true })
    expect(encoder.encode(['-0.50', NaN])).toBe('{"d":"-0.50","f":"NaN"}')
    expect(encoder.encode([null, -Infinity])).toBe('{"d":null,"f":"-Infinity"}')
  })

  it('writes an empty object for a row without columns', () => {
    expect(new JsonRowEncoder([]).encode([])).toBe('{}')
  })
})
