import { describe, expect, it } from 'vitest'
import type { Schema } from '../core/schema.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { jsonEncodeProcessor } from './json-encode-processor.js'

function jsonEncode(raw: Record<string, unknown>) {
  return jsonEncodeProcessor.create(configure(jsonEncodeProcessor, raw), processorContext())
}

const schema: Schema = {
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'string' },
    { name: 'price', type: 'decimal', precision: 10, scale: 2 },
    { name: 'tags', type: 'json' },
    { name: 'raw', type: 'bytes' },
  ],
  primaryKey: ['id'],
}

describe('json_encode processor', () => {
  it('encodes every column as JSON text in a new column, values in their exact form', async () => {
    const result = await processAll(jsonEncode({ target_field: 'body' }), [
      batchOf(schema, [
        [1n, 'ada', '12.50', ['a'], Buffer.from('hi')],
        [9007199254740993n, null, null, null, null],
      ]),
    ])
    expect(result.schema?.columns.at(-1)).toEqual({ name: 'body', type: 'string' })
    expect(result.schema?.primaryKey).toEqual(['id'])
    expect(result.rows.map((row) => row[5])).toEqual([
      '{"id":1,"name":"ada","price":"12.50","tags":["a"],"raw":"aGk="}',
      '{"id":"9007199254740993","name":null,"price":null,"tags":null,"raw":null}',
    ])
    expect(result.rows[0].slice(0, 2)).toEqual([1n, 'ada'])
  })

  it('encodes chosen fields as a json value and drops them', async () => {
    const result = await processAll(jsonEncode({ fields: ['price', 'name'], target_field: 'doc', target_type: 'json', drop_fields: true }), [
      batchOf(schema, [[1n, 'ada', '3.00', null, null]]),
    ])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:bigint', 'tags:json', 'raw:bytes', 'doc:json'])
    expect(result.rows).toEqual([[1n, null, null, { price: '3.00', name: 'ada' }]])
  })

  it('replaces an existing target column in place', async () => {
    const result = await processAll(jsonEncode({ fields: ['id'], target_field: 'name' }), [batchOf(schema, [[7n, 'x', null, null, null]])])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:bigint', 'name:string', 'price:decimal', 'tags:json', 'raw:bytes'])
    expect(result.rows).toEqual([[7n, '{"id":7}', null, null, null]])
  })

  it('prepares again when the schema changes', async () => {
    const processor = jsonEncode({ target_field: 'j' })
    const result = await processAll(processor, [batchOf(schemaOf({ a: 'int' }), [[1]]), batchOf(schemaOf({ b: 'bool' }), [[true]])])
    expect(result.rows).toEqual([
      [1, '{"a":1}'],
      [true, '{"b":true}'],
    ])
  })

  it('reports unknown and repeated fields with their path', () => {
    expect(() => jsonEncode({ fields: ['id', 'names'], target_field: 'j' }).prepare(schema)).toThrow(
      expect.objectContaining({ code: 'processor.unknown_column', path: 'fields[1]', message: 'unknown column "names" in json_encode (did you mean "name"?)' }),
    )
    expect(() => jsonEncode({ fields: ['id', 'id'], target_field: 'j' })).toThrow(expect.objectContaining({ code: 'processor.duplicate_column', path: 'fields[1]' }))
    expect(() => configure(jsonEncodeProcessor, { target_field: 'j', target_type: 'text' })).toThrow(expect.objectContaining({ path: 'target_type' }))
  })
})
