import { afterEach, describe, expect, it, vi } from 'vitest'
import { RecordError } from '../core/errors.js'
import type { Schema } from '../core/schema.js'
import { batchOf, collectingContext, configure, processAll, processorContext, schemaOf, type Rejection } from '../../test/component-harness.js'
import { deduplicateProcessor } from './deduplicate-processor.js'

function deduplicate(raw: Record<string, unknown>) {
  return deduplicateProcessor.create(configure(deduplicateProcessor, raw), processorContext())
}

const events = schemaOf({ id: 'int', kind: 'string' })

describe('deduplicate processor', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps the first row of each key across batches, NULL keys included', async () => {
    const result = await processAll(deduplicate({ key_fields: ['id'] }), [
      batchOf(events, [
        [1, 'a'],
        [2, 'b'],
        [1, 'c'],
        [null, 'd'],
      ]),
      batchOf(events, [
        [2, 'e'],
        [null, 'f'],
        [3, 'g'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, 'a'],
      [2, 'b'],
      [null, 'd'],
      [3, 'g'],
    ])
    expect(result.rejections).toEqual([])
  })

  it('combines several key fields without collisions between parts', async () => {
    const result = await processAll(deduplicate({ key_fields: ['a', 'b'] }), [
      batchOf(schemaOf({ a: 'string', b: 'string' }), [
        ['x:1', 'y'],
        ['x', '1:y'],
        ['x:1', 'y'],
        [null, 'y'],
        ['', 'y'],
        [null, 'y'],
      ]),
    ])
    expect(result.rows).toEqual([
      ['x:1', 'y'],
      ['x', '1:y'],
      [null, 'y'],
      ['', 'y'],
    ])
  })

  it('compares decimals by value and json by content', async () => {
    const schema = schemaOf({ price: 'decimal', doc: 'json' })
    const result = await processAll(deduplicate({ key_fields: ['price', 'doc'] }), [
      batchOf(schema, [
        ['1.50', { a: [1] }],
        ['1.5', { a: [1] }],
        ['-0.00', null],
        ['0', null],
        ['1.5', { a: [2] }],
      ]),
    ])
    expect(result.rows).toEqual([
      ['1.50', { a: [1] }],
      ['-0.00', null],
      ['1.5', { a: [2] }],
    ])
  })

  it('forgets the oldest key first when max_keys is reached', async () => {
    const result = await processAll(deduplicate({ key_fields: ['id'], max_keys: 2 }), [
      batchOf(events, [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
        [2, 'dup of a held key'],
        [1, 'passes again: 1 was forgotten'],
      ]),
    ])
    expect(result.rows.map((row) => row[1])).toEqual(['a', 'b', 'c', 'passes again: 1 was forgotten'])
  })

  it('measures time_window on processing time', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2024-01-01T00:00:00Z'))
    const processor = deduplicate({ key_fields: ['id'], time_window: '10m' })
    processor.prepare(events)
    const rejections: Rejection[] = []
    const run = (rows: [number, string][]) => (processor.process(batchOf(events, rows), collectingContext(rejections)) as { rows: unknown[] }).rows
    expect(run([[1, 'first']])).toEqual([[1, 'first']])
    vi.setSystemTime(new Date('2024-01-01T00:09:59Z'))
    expect(run([[1, 'within']])).toEqual([])
    vi.setSystemTime(new Date('2024-01-01T00:10:00Z'))
    expect(run([[1, 'after'], [1, 'within the new window']])).toEqual([[1, 'after']])
  })

  it('measures time_window on a time field, in both directions, and rejects rows without a time', async () => {
    const schema: Schema = { columns: [{ name: 'id', type: 'int' }, { name: 'at', type: 'timestamptz' }] }
    const result = await processAll(deduplicate({ key_fields: ['id'], time_window: '10m', time_field: 'at' }), [
      batchOf(schema, [
        [1, '2024-01-01T00:00:00Z'],
        [1, '2024-01-01T00:09:00Z'],
        [2, '2024-01-01T00:05:00Z'],
        [1, '2023-12-31T23:55:00Z'],
        [1, '2024-01-01T00:10:00Z'],
        [2, null],
        [1, '2024-01-01T00:19:59.5Z'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, '2024-01-01T00:00:00Z'],
      [2, '2024-01-01T00:05:00Z'],
      [1, '2024-01-01T00:10:00Z'],
    ])
    expect(result.rejections.map((r) => r.row)).toEqual([[2, null]])
    expect(result.rejections[0].error).toBeInstanceOf(RecordError)
    expect((result.rejections[0].error as RecordError).code).toBe('deduplicate.missing_time')
  })

  it('keeps its seen keys when the schema changes', async () => {
    const result = await processAll(deduplicate({ key_fields: ['id'] }), [
      batchOf(events, [[1, 'a']]),
      batchOf(schemaOf({ kind: 'string', id: 'int' }), [
        ['b', 1],
        ['c', 2],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, 'a'],
      ['c', 2],
    ])
  })

  it('reports config mistakes with their path', () => {
    expect(() => deduplicate({ key_fields: ['id'], time_window: '10 minutes' })).toThrow(
      expect.objectContaining({ code: 'config.invalid_value', path: 'time_window', message: 'invalid duration "10 minutes" in time_window' }),
    )
    expect(() => deduplicate({ key_fields: ['id'], time_field: 'at' })).toThrow(expect.objectContaining({ code: 'config.missing_field', path: 'time_window' }))
    expect(() => deduplicate({ key_fields: ['id', 'knd'] }).prepare(events)).toThrow(
      expect.objectContaining({ code: 'processor.unknown_column', path: 'key_fields[1]', message: 'unknown column "knd" in deduplicate key_fields (did you mean "kind"?)' }),
    )
    expect(() => deduplicate({ key_fields: ['id'], time_window: '1m', time_field: 'kind' }).prepare(events)).toThrow(
      expect.objectContaining({ code: 'processor.column_type', path: 'time_field' }),
    )
    expect(() => configure(deduplicateProcessor, { key_fields: [] })).toThrow(expect.objectContaining({ path: 'key_fields' }))
  })
})
