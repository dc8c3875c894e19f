import { describe, expect, it } from 'vitest'
import { ConfigError, RecordError } from '../core/errors.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { jsonDecodeProcessor } from './json-decode-processor.js'

function jsonDecode(raw: Record<string, unknown>) {
  return jsonDecodeProcessor.create(configure(jsonDecodeProcessor, raw), processorContext())
}

const messages = schemaOf({ id: 'int', payload: 'string' })

describe('json_decode processor', () => {
  it('replaces the source column with the decoded json by default', async () => {
    const result = await processAll(jsonDecode({ source_field: 'payload' }), [
      batchOf(messages, [
        [1, '{"a": 1, "b": [true, null]}'],
        [2, '"text"'],
        [3, null],
      ]),
    ])
    expect(result.schema).toEqual(schemaOf({ id: 'int', payload: 'json' }))
    expect(result.rows).toEqual([
      [1, { a: 1, b: [true, null] }],
      [2, 'text'],
      [3, null],
    ])
  })

  it('writes to a new target column, keeping the source', async () => {
    const result = await processAll(jsonDecode({ source_field: 'payload', target_field: 'doc' }), [batchOf(messages, [[1, '[1,2]']])])
    expect(result.schema).toEqual(schemaOf({ id: 'int', payload: 'string', doc: 'json' }))
    expect(result.rows).toEqual([[1, '[1,2]', [1, 2]]])
  })

  it('extracts typed columns from the decoded object', async () => {
    const processor = jsonDecode({ source_field: 'payload', columns: { user: 'string', amount: 'decimal(10,2)', at: 'timestamptz', big: 'bigint', tags: 'json' } })
    const result = await processAll(processor, [
      batchOf(messages, [
        [1, '{"user": "ada", "amount": 12.5, "at": "2024-03-01T10:00:00+02:00", "big": "9007199254740993", "tags": ["x"]}'],
        [2, '{"user": 42}'],
        [3, null],
        [4, 'null'],
      ]),
    ])
    expect(result.schema?.columns).toEqual([
      { name: 'id', type: 'int' },
      { name: 'payload', type: 'string' },
      { name: 'user', type: 'string' },
      { name: 'amount', type: 'decimal', precision: 10, scale: 2 },
      { name: 'at', type: 'timestamptz' },
      { name: 'big', type: 'bigint' },
      { name: 'tags', type: 'json' },
    ])
    expect(result.rows.map((row) => row.slice(2))).toEqual([
      ['ada', '12.50', '2024-03-01T08:00:00Z', 9007199254740993n, ['x']],
      ['42', null, null, null, null],
      [null, null, null, null, null],
      [null, null, null, null, null],
    ])
  })

  it('replaces an existing column named like an extracted field', async () => {
    const result = await processAll(jsonDecode({ source_field: 'payload', columns: { id: 'bigint' } }), [batchOf(messages, [[1, '{"id": 77}']])])
    expect(result.schema).toEqual(schemaOf({ id: 'bigint', payload: 'string' }))
    expect(result.rows).toEqual([[77n, '{"id": 77}']])
  })

  it('rejects rows with invalid JSON or unconvertible fields, unchanged, and keeps the others', async () => {
    const processor = jsonDecode({ source_field: 'payload', columns: { n: 'int' } })
    const result = await processAll(processor, [
      batchOf(messages, [
        [1, '{"n": 1}'],
        [2, '{"n": '],
        [3, '{"n": "many"}'],
        [4, '[1, 2]'],
        [5, '{"n": 5}'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, '{"n": 1}', 1],
      [5, '{"n": 5}', 5],
    ])
    expect(result.rejections.map((r) => r.row)).toEqual([
      [2, '{"n": '],
      [3, '{"n": "many"}'],
      [4, '[1, 2]'],
    ])
    expect(result.rejections.every((r) => r.error instanceof RecordError)).toBe(true)
    expect(result.rejections.map((r) => (r.error as RecordError).code)).toEqual(['value.invalid', 'value.invalid', 'json_decode.not_object'])
    expect((result.rejections[1].error as Error).message).toBe('invalid int "many" for column "n"')
  })

  it('decodes bytes and json columns holding text, and passes decoded json through', async () => {
    const schema = schemaOf({ raw: 'bytes', doc: 'json' })
    const processor = jsonDecode({ source_field: 'raw' })
    const result = await processAll(processor, [batchOf(schema, [[Buffer.from('{"k":"v"}'), null]])])
    expect(result.rows).toEqual([[{ k: 'v' }, null]])
    const fromJson = await processAll(jsonDecode({ source_field: 'doc', columns: { k: 'string' } }), [
      batchOf(schema, [
        [null, '{"k": "text"}'],
        [null, { k: 'object' }],
      ]),
    ])
    expect(fromJson.rows.map((row) => row[2])).toEqual(['text', 'object'])
  })

  it('prepares again when the schema changes', async () => {
    const processor = jsonDecode({ source_field: 'payload' })
    const result = await processAll(processor, [batchOf(messages, [[1, '1']]), batchOf(schemaOf({ payload: 'string', id: 'int' }), [['2', 2]])])
    expect(result.batches.map((b) => b.schema.columns.map((c) => c.name))).toEqual([
      ['id', 'payload'],
      ['payload', 'id'],
    ])
    expect(result.rows).toEqual([
      [1, 1],
      [2, 2],
    ])
  })

  it('reports config mistakes with their path', () => {
    const unknownType = (() => {
      try {
        jsonDecode({ source_field: 'payload', columns: { n: 'integr' } })
      } catch (error) {
        return error as ConfigError
      }
    })()!
    expect(unknownType).toBeInstanceOf(ConfigError)
    expect([unknownType.code, unknownType.path, unknownType.message]).toEqual([
      'processor.unknown_type',
      'columns.n',
      'unknown type "integr" for column "n" in json_decode (did you mean "integer"?)',
    ])
    expect(() => jsonDecode({ source_field: 'paylod' }).prepare(messages)).toThrow(
      expect.objectContaining({ code: 'processor.unknown_column', path: 'source_field', message: 'unknown column "paylod" in json_decode (did you mean "payload"?)' }),
    )
    expect(() => jsonDecode({ source_field: 'id' }).prepare(messages)).toThrow(expect.objectContaining({ code: 'processor.column_type', path: 'source_field' }))
    expect(() => configure(jsonDecodeProcessor, {})).toThrow(expect.objectContaining({ code: 'config.missing_field', path: 'source_field' }))
  })
})
