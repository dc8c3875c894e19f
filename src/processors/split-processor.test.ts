import { describe, expect, it } from 'vitest'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { splitProcessor } from './split-processor.js'

function split(raw: Record<string, unknown>) {
  return splitProcessor.create(configure(splitProcessor, raw), processorContext())
}

describe('split processor', () => {
  it('emits one row per element of a json array, in order', async () => {
    const schema = schemaOf({ id: 'int', tags: 'json' })
    const result = await processAll(split({ field: 'tags', index_field: 'i' }), [
      batchOf(schema, [
        [1, ['a', { b: 2 }, null]],
        [2, []],
        [3, null],
        [4, 'x,y'],
        [5, 42],
      ]),
    ])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:int', 'tags:json', 'i:int'])
    expect(result.rows).toEqual([
      [1, 'a', 0],
      [1, { b: 2 }, 1],
      [1, null, 2],
      [4, 'x', 0],
      [4, 'y', 1],
      [5, 42, 0],
    ])
  })

  it('splits text at the delimiter into a new column, trimming when asked', async () => {
    const schema = schemaOf({ id: 'int', list: 'string' })
    const result = await processAll(split({ field: 'list', delimiter: ';', trim: true, target_field: 'item' }), [
      batchOf(schema, [
        [1, 'a; b ;c'],
        [2, ''],
        [3, 'solo'],
      ]),
    ])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:int', 'list:string', 'item:string'])
    expect(result.rows).toEqual([
      [1, 'a; b ;c', 'a'],
      [1, 'a; b ;c', 'b'],
      [1, 'a; b ;c', 'c'],
      [3, 'solo', 'solo'],
    ])
  })

  it('keeps rows with empty lists once with NULL when keep_empty is set', async () => {
    const schema = schemaOf({ id: 'int', list: 'string' })
    const result = await processAll(split({ field: 'list', keep_empty: true, index_field: 'n' }), [
      batchOf(schema, [
        [1, null],
        [2, ''],
        [3, 'a,b'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, null, null],
      [2, null, null],
      [3, 'a', 0],
      [3, 'b', 1],
    ])
  })

  it('gives every output row its own array', async () => {
    const schema = schemaOf({ list: 'string' })
    const result = await processAll(split({ field: 'list' }), [batchOf(schema, [['a,b,c']])])
    result.rows[0][0] = 'changed'
    expect(result.rows.map((row) => row[0])).toEqual(['changed', 'b', 'c'])
  })

  it('drops the primary key, which the copies share, and prepares again on a new schema', async () => {
    const keyed = { columns: [{ name: 'id', type: 'int' as const }, { name: 'list', type: 'string' as const }], primaryKey: ['id'] }
    const processor = split({ field: 'list' })
    expect(processor.prepare(keyed).primaryKey).toBeUndefined()
    const result = await processAll(processor, [batchOf(keyed, [[1, 'a,b']]), batchOf(schemaOf({ list: 'json' }), [[[1, 2]]])])
    expect(result.rows).toEqual([[1, 'a'], [1, 'b'], [1], [2]])
  })

  it('reports an unknown field with its path', () => {
    expect(() => split({ field: 'tag' }).prepare(schemaOf({ tags: 'json' }))).toThrow(
      expect.objectContaining({ code: 'processor.unknown_column', path: 'field', message: 'unknown column "tag" in split (did you mean "tags"?)' }),
    )
  })
})
