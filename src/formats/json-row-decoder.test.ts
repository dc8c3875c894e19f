import { describe, expect, it } from 'vitest'
import { RecordError } from '../core/errors.js'
import type { Schema } from '../core/schema.js'
import { parseJson } from './exact-json.js'
import { JsonRowDecoder } from './json-row-decoder.js'

function decodeError(decoder: JsonRowDecoder, text: string): { code: string; message: string } {
  try {
    decoder.decode(parseJson(text) as never)
  } catch (error) {
    expect(error).toBeInstanceOf(RecordError)
    return { code: (error as RecordError).code, message: (error as RecordError).message }
  }
  throw new Error('expected a RecordError')
}

describe('JsonRowDecoder', () => {
  const schema: Schema = {
    columns: [
      { name: 'id', type: 'int' },
      { name: 'big', type: 'bigint' },
      { name: 'price', type: 'decimal', precision: 10, scale: 2 },
      { name: 'at', type: 'timestamp' },
      { name: 'note', type: 'string' },
      { name: 'constructor', type: 'string' },
    ],
  }

  it('converts values as their text would, missing keys to NULL', () => {
    const decoder = new JsonRowDecoder(schema)
    expect(decoder.decode(parseJson('{"id":"42","big":1234567890123456789,"price":3.5,"at":"2024-01-31 13:45:10","note":{"a":1}}') as never)).toEqual([
      42,
      1234567890123456789n,
      '3.50',
      '2024-01-31T13:45:10',
      '{"a":1}',
      null,
    ])
  })

  it('rejects what does not convert, naming the column', () => {
    const decoder = new JsonRowDecoder(schema)
    expect(decodeError(decoder, '{"id":1.5}')).toEqual({ code: 'value.invalid', message: 'invalid int "1.5" for column "id"' })
    expect(decodeError(decoder, '{"big":99999999999999999999}')).toEqual({ code: 'value.out_of_range', message: '"99999999999999999999" is out of range for bigint for column "big"' })
    expect(decodeError(decoder, '{"id":[1]}').code).toBe('value.invalid')
    expect(decodeError(decoder, '[1,2]')).toEqual({ code: 'json.not_object', message: 'expected a json object, found an array' })
    expect(decodeError(decoder, 'null').message).toBe('expected a json object, found null')
  })

  it('reads bytes from base64 only', () => {
    const decoder = new JsonRowDecoder({ columns: [{ name: 'b', type: 'bytes' }] })
    expect(decoder.decode({ b: 'aGk=' } as never)).toEqual([Buffer.from('hi')])
    expect(decodeError(decoder, '{"b":"not base64!"}')).toEqual({ code: 'value.invalid', message: 'invalid bytes (base64 expected) "not base64!" for column "b"' })
  })

  it('tells about each key that is not a column, once', () => {
    const unknown: string[] = []
    const decoder = new JsonRowDecoder({ columns: [{ name: 'a', type: 'int' }] }, (key) => unknown.push(key))
    decoder.decode({ a: 1, b: 2 } as never)
    decoder.decode({ a: 1, b: 2, c: 3 } as never)
    expect(unknown).toEqual(['b', 'c'])
  })
})
