import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Batch } from '../core/batch.js'
import type { Processor } from '../core/component.js'
import { FatalError, RecordError } from '../core/errors.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import { batchOf, collectingContext, configure, processAll, processorContext, schemaOf, type Rejection } from '../../test/component-harness.js'
import { aggregateProcessor } from './aggregate-processor.js'

function aggregate(raw: Record<string, unknown>, resumeState?: JsonValue) {
  return aggregateProcessor.create(configure(aggregateProcessor, raw), processorContext({ resumeState }))
}

function thrown(action: () => unknown): Error & { code?: string; path?: string } {
  try {
    action()
  } catch (error) {
    return error as Error & { code?: string; path?: string }
  }
  throw new Error('expected an error')
}

const users: Schema = {
  columns: [
    { name: 'country', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'score', type: 'decimal', precision: 5, scale: 2 },
    { name: 'weight', type: 'float' },
  ],
}

const userRows = (): Row[] => [
  ['DE', 30, '10.10', 1.5],
  ['FR', 40, '20.20', null],
  ['DE', null, '0.10', 2.5],
  [null, 50, null, 0.25],
  ['DE', 20, '0.10', null],
]

describe('aggregate processor without window', () => {
  it('holds rows and emits one row per group at the end, in first-seen order', async () => {
    const processor = aggregate({
      group_by: ['country'],
      aggregations: [
        { function: 'count' },
        { function: 'count', field: 'age', target: 'ages' },
        { function: 'sum', field: 'age' },
        { function: 'avg', field: 'age' },
        { function: 'min', field: 'score' },
        { function: 'max', field: 'score' },
        { function: 'sum', field: 'score' },
        { function: 'avg', field: 'weight' },
      ],
    })
    const result = await processAll(processor, [batchOf(users, userRows().slice(0, 2)), batchOf(users, userRows().slice(2))])
    expect(result.held).toBe(2)
    expect(result.batches).toHaveLength(1)
    expect(result.schema).toEqual({
      columns: [
        { name: 'country', type: 'string' },
        { name: 'count', type: 'bigint' },
        { name: 'ages', type: 'bigint' },
        { name: 'sum_age', type: 'bigint' },
        { name: 'avg_age', type: 'decimal' },
        { name: 'min_score', type: 'decimal', precision: 5, scale: 2 },
        { name: 'max_score', type: 'decimal', precision: 5, scale: 2 },
        { name: 'sum_score', type: 'decimal' },
        { name: 'avg_weight', type: 'float' },
      ],
      primaryKey: ['country'],
    })
    expect(result.rows).toEqual([
      ['DE', 3n, 2n, 50n, '25.000000', '0.10', '10.10', '10.30', 2],
      ['FR', 1n, 1n, 40n, '40.000000', '20.20', '20.20', '20.20', null],
      [null, 1n, 1n, 50n, '50.000000', null, null, null, 0.25],
    ])
  })

  it('sums and averages decimals exactly', async () => {
    const schema: Schema = { columns: [{ name: 'amount', type: 'decimal', precision: 30, scale: 2 }] }
    const rows: Row[] = [['0.10'], ['0.20'], ['1234567890123456789012.34'], ['-0.05'], ['1.5']]
    const result = await processAll(
      aggregate({
        aggregations: [
          { function: 'sum', field: 'amount' },
          { function: 'avg', field: 'amount' },
        ],
      }),
      [batchOf(schema, rows)],
    )
    expect(result.rows).toEqual([['1234567890123456789014.09', '246913578024691357802.818000']])
    const thirds = await processAll(aggregate({ aggregations: [{ function: 'avg', field: 'amount' }] }), [batchOf(schema, [['1.00'], ['2.00'], ['2.00']])])
    expect(thirds.rows).toEqual([['1.666667']])
  })

  it('sums ints past 2^53 exactly as a bigint, and bigints as a decimal', async () => {
    const big = 2147483647
    const rows: Row[] = new Array(4_500_000).fill([big])
    const result = await processAll(aggregate({ aggregations: [{ function: 'sum', field: 'n' }] }), [batchOf(schemaOf({ n: 'int' }), rows)])
    expect(result.rows).toEqual([[BigInt(big) * 4_500_000n]])
    const bigints = await processAll(aggregate({ aggregations: [{ function: 'sum', field: 'n' }, { function: 'avg', field: 'n' }] }), [
      batchOf(schemaOf({ n: 'bigint' }), [[9007199254740993n], [9223372036854775807n], [1n]]),
    ])
    expect(bigints.schema?.columns.map((c) => c.type)).toEqual(['decimal', 'decimal'])
    expect(bigints.rows).toEqual([['9232379236109516801', '3077459745369838933.666667']])
  })

  it('emits count 0 and NULLs for no input without group_by, and nothing with it', async () => {
    const ungrouped = await processAll(aggregate({ aggregations: [{ function: 'count' }, { function: 'count_distinct', field: 'age' }, { function: 'sum', field: 'age' }] }), [batchOf(users, [])])
    expect(ungrouped.rows).toEqual([[0n, 0n, null]])
    const grouped = await processAll(aggregate({ group_by: ['country'], aggregations: [{ function: 'count' }] }), [batchOf(users, [])])
    expect(grouped.rows).toEqual([])
    expect(aggregate({ aggregations: [{ function: 'count' }] }).flush!(collectingContext([]))).toBeNull()
  })

  it('counts distinct values by value, ignoring NULL', async () => {
    const schema = schemaOf({ price: 'decimal', doc: 'json' })
    const result = await processAll(
      aggregate({
        aggregations: [
          { function: 'count_distinct', field: 'price' },
          { function: 'count_distinct', field: 'doc' },
        ],
      }),
      [
        batchOf(schema, [
          ['1.50', { a: 1 }],
          ['1.5', { a: 1 }],
          [null, null],
          ['2', [1]],
        ]),
      ],
    )
    expect(result.rows).toEqual([[2n, 2n]])
  })

  it('orders min and max by each type, timestamptz fractions included', async () => {
    const schema = schemaOf({ at: 'timestamptz', day: 'date', flag: 'bool', name: 'string', n: 'bigint' })
    const result = await processAll(
      aggregate({
        aggregations: ['at', 'day', 'flag', 'name', 'n'].flatMap((field) => [
          { function: 'min', field },
          { function: 'max', field },
        ]),
      }),
      [
        batchOf(schema, [
          ['2024-01-01T00:00:00.5Z', '2024-02-01', false, 'b', 10n],
          ['2024-01-01T00:00:00Z', '2023-12-31', true, 'a', -3n],
          ['2024-01-01T00:00:01Z', null, null, 'c', null],
        ]),
      ],
    )
    expect(result.rows).toEqual([['2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', '2023-12-31', '2024-02-01', false, true, 'a', 'c', -3n, 10n]])
  })

  it('groups by several columns, NULL being a group of its own', async () => {
    const schema = schemaOf({ a: 'string', b: 'int', v: 'float' })
    const result = await processAll(aggregate({ group_by: ['a', 'b'], aggregations: [{ function: 'sum', field: 'v' }] }), [
      batchOf(schema, [
        ['x', 1, 1],
        ['x', null, 2],
        ['x', 1, 3],
        [null, null, 4],
        ['x', null, 5],
      ]),
    ])
    expect(result.rows).toEqual([
      ['x', 1, 4],
      ['x', null, 7],
      [null, null, 4],
    ])
  })

  it('keeps its groups across a new schema with the same types, and fails when types change', async () => {
    const config = { group_by: ['k'], aggregations: [{ function: 'sum', field: 'v' }] }
    const reordered = await processAll(aggregate(config), [batchOf(schemaOf({ k: 'string', v: 'int' }), [['a', 1]]), batchOf(schemaOf({ v: 'int', k: 'string' }), [[2, 'a']])])
    expect(reordered.rows).toEqual([['a', 3n]])
    const processor = aggregate(config)
    processor.prepare(schemaOf({ k: 'string', v: 'int' }))
    processor.process(batchOf(schemaOf({ k: 'string', v: 'int' }), [['a', 1]]), collectingContext([]))
    const error = thrown(() => processor.prepare(schemaOf({ k: 'string', v: 'float' })))
    expect(error).toBeInstanceOf(FatalError)
    expect(error.code).toBe('aggregate.schema_changed')
  })

  it('fails rather than exceed max_groups or max_distinct_values', () => {
    const processor = aggregate({ group_by: ['country'], aggregations: [{ function: 'count' }], max_groups: 2 })
    processor.prepare(users)
    const error = thrown(() => processor.process(batchOf(users, userRows()), collectingContext([])))
    expect(error).toBeInstanceOf(FatalError)
    expect([error.code, error.message]).toEqual(['aggregate.too_many_groups', 'aggregate holds more than 2 groups'])
    const distinct = aggregate({ aggregations: [{ function: 'count_distinct', field: 'age' }], max_distinct_values: 2 })
    distinct.prepare(users)
    expect(thrown(() => distinct.process(batchOf(users, userRows()), collectingContext([]))).code).toBe('aggregate.too_many_distinct_values')
  })

  it('reports config mistakes with their path', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ group_by: ['contry'], aggregations: [{ function: 'count' }] }, 'processor.unknown_column', 'group_by[0]'],
      [{ aggregations: [{ function: 'count' }, { function: 'sum', field: 'country' }] }, 'processor.column_type', 'aggregations[1].field'],
      [{ aggregations: [{ function: 'avg', field: 'agee' }] }, 'processor.unknown_column', 'aggregations[0].field'],
    ]
    for (const [raw, code, path] of cases) {
      const error = thrown(() => aggregate(raw).prepare(users))
      expect([error.code, error.path]).toEqual([code, path])
    }
    expect(thrown(() => aggregate({ aggregations: [{ function: 'avg', field: 'agee' }] }).prepare(users)).message).toBe('unknown column "agee" in aggregate (did you mean "age"?)')
    expect(thrown(() => aggregate({ aggregations: [{ function: 'sum', field: 'country' }] }).prepare(users)).message).toBe(
      'column "country" is string, but sum needs a number (int, bigint, decimal or float)',
    )
    expect(thrown(() => aggregate({ aggregations: [{ function: 'sum' }] }))).toMatchObject({ code: 'config.missing_field', path: 'aggregations[0].field' })
    expect(thrown(() => aggregate({ aggregations: [{ function: 'count' }, { function: 'count', field: 'age', target: 'count' }] }))).toMatchObject({
      code: 'processor.duplicate_column',
      path: 'aggregations[1].target',
    })
    expect(thrown(() => aggregate({ group_by: ['country'], aggregations: [{ function: 'max', field: 'age', target: 'country' }] }))).toMatchObject({
      path: 'aggregations[0].target',
    })
    expect(thrown(() => configure(aggregateProcessor, { aggregations: [{ function: 'median', field: 'age' }] }))).toMatchObject({ path: 'aggregations[0].function' })
    expect(thrown(() => configure(aggregateProcessor, { aggregations: [] }))).toMatchObject({ path: 'aggregations' })
  })
})

const events: Schema = {
  columns: [
    { name: 'kind', type: 'string' },
    { name: 'amount', type: 'decimal', precision: 10, scale: 2 },
    { name: 'at', type: 'timestamptz' },
  ],
}

const windowed = {
  group_by: ['kind'],
  aggregations: [
    { function: 'count' },
    { function: 'sum', field: 'amount' },
    { function: 'count_distinct', field: 'amount', target: 'amounts' },
    { function: 'max', field: 'at' },
  ],
  window: { size: '1m', time_field: 'at' },
}

function run(processor: Processor, rows: Row[], rejections: Rejection[] = [], schema: Schema = events): Batch | null {
  return processor.process(batchOf(schema, rows), collectingContext(rejections)) as Batch | null
}

describe('aggregate processor with a window', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('emits a window on event time when a row of a later window arrives, and rejects late rows', () => {
    const processor = aggregate(windowed)
    expect(processor.prepare(events)).toEqual({
      columns: [
        { name: 'kind', type: 'string' },
        { name: 'window_start', type: 'timestamptz' },
        { name: 'window_end', type: 'timestamptz' },
        { name: 'count', type: 'bigint' },
        { name: 'sum_amount', type: 'decimal' },
        { name: 'amounts', type: 'bigint' },
        { name: 'max_at', type: 'timestamptz' },
      ],
      primaryKey: ['kind', 'window_start'],
    })
    const rejections: Rejection[] = []
    const first = run(processor, [
      ['a', '1.10', '2024-01-01T00:00:05Z'],
      ['b', '2.00', '2024-01-01T00:00:30Z'],
      ['a', '1.10', '2024-01-01T00:00:59.999Z'],
    ])
    expect(first?.rows).toEqual([])
    const second = run(
      processor,
      [
        ['a', '5.00', '2024-01-01T00:01:00Z'],
        ['a', '9.99', '2024-01-01T00:00:50Z'],
        ['b', null, null],
        ['b', '1.00', '2024-01-01T00:01:10Z'],
      ],
      rejections,
    )
    expect(second?.rows).toEqual([
      ['a', '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 2n, '2.20', 1n, '2024-01-01T00:00:59.999Z'],
      ['b', '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 1n, '2.00', 1n, '2024-01-01T00:00:30Z'],
    ])
    expect(rejections.map((r) => [r.row, (r.error as RecordError).code])).toEqual([
      [['a', '9.99', '2024-01-01T00:00:50Z'], 'aggregate.late_row'],
      [['b', null, null], 'aggregate.missing_time'],
    ])
    expect((rejections[0].error as Error).message).toBe(
      'row at 2024-01-01T00:00:50Z belongs to window 2024-01-01T00:00:00Z, which already closed (the open window starts at 2024-01-01T00:01:00Z)',
    )
    expect(processor.tick?.(Date.parse('2030-01-01'), collectingContext([]))).toBeNull()
    expect((processor.flush?.(collectingContext([])) as Batch).rows).toEqual([
      ['a', '2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z', 1n, '5.00', 1n, '2024-01-01T00:01:00Z'],
      ['b', '2024-01-01T00:01:00Z', '2024-01-01T00:02:00Z', 1n, '1.00', 1n, '2024-01-01T00:01:10Z'],
    ])
    expect(processor.flush?.(collectingContext([]))).toBeNull()
  })

  it('closes several windows within one batch, with timestamp bounds for a timestamp field', () => {
    const schema = schemaOf({ at: 'timestamp' })
    const processor = aggregate({ aggregations: [{ function: 'count' }], window: { size: '10s', time_field: 'at' } })
    processor.prepare(schema)
    const out = run(processor, [['2024-05-01T10:00:01'], ['2024-05-01T10:00:12'], ['2024-05-01T10:00:13'], ['2024-05-01T10:00:45']], [], schema)
    expect(out?.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['window_start:timestamp', 'window_end:timestamp', 'count:bigint'])
    expect(out?.rows).toEqual([
      ['2024-05-01T10:00:00', '2024-05-01T10:00:10', 1n],
      ['2024-05-01T10:00:10', '2024-05-01T10:00:20', 2n],
    ])
  })

  it('restores an open window from its snapshot and continues exactly', () => {
    const rowsBefore: Row[] = [
      ['a', '0.10', '2024-01-01T00:00:05Z'],
      ['b', '0.20', '2024-01-01T00:00:06Z'],
      ['a', '0.20', '2024-01-01T00:00:07Z'],
    ]
    const rowsAfter: Row[] = [
      ['a', '0.10', '2024-01-01T00:00:08Z'],
      ['c', '1', '2024-01-01T00:00:09Z'],
      ['a', '3.00', '2024-01-01T00:01:00Z'],
    ]
    const uninterrupted = aggregate(windowed)
    uninterrupted.prepare(events)
    run(uninterrupted, rowsBefore.map((row) => [...row]))
    const expected = run(uninterrupted, rowsAfter.map((row) => [...row]))!.rows

    const first = aggregate(windowed)
    first.prepare(events)
    run(first, rowsBefore.map((row) => [...row]))
    const saved = JSON.parse(JSON.stringify(first.snapshot!())) as JsonValue
    const resumed = aggregate(windowed, saved)
    resumed.prepare(events)
    const rejections: Rejection[] = []
    expect(run(resumed, rowsAfter.map((row) => [...row]), rejections)!.rows).toEqual(expected)
    expect(expected[0]).toEqual(['a', '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 3n, '0.40', 2n, '2024-01-01T00:00:08Z'])
    expect(rejections).toEqual([])
    // A late row for the restored window's predecessor is still refused after the restore.
    const again = aggregate(windowed, saved)
    again.prepare(events)
    run(again, [['a', '1', '2023-12-31T23:59:59Z']], rejections)
    expect(rejections.map((r) => (r.error as RecordError).code)).toEqual(['aggregate.late_row'])
  })

  it('flushes a restored window even when no batch arrives after the resume', () => {
    const schema: Schema = { columns: [{ name: 'k', type: 'bigint' }, { name: 'raw', type: 'bytes' }, { name: 'at', type: 'timestamptz' }] }
    const config = { group_by: ['k', 'raw'], aggregations: [{ function: 'count' }, { function: 'min', field: 'at' }], window: { size: '1h', time_field: 'at' } }
    const first = aggregate(config)
    first.prepare(schema)
    run(first, [[9007199254740993n, Buffer.from([1, 2]), '2024-01-01T10:30:00Z']], [], schema)
    const resumed = aggregate(config, JSON.parse(JSON.stringify(first.snapshot!())) as JsonValue)
    const out = resumed.flush!(collectingContext([])) as Batch
    expect(out.schema.columns.map((c) => c.name)).toEqual(['k', 'raw', 'window_start', 'window_end', 'count', 'min_at'])
    expect(out.rows).toEqual([[9007199254740993n, Buffer.from([1, 2]), '2024-01-01T10:00:00Z', '2024-01-01T11:00:00Z', 1n, '2024-01-01T10:30:00Z']])
  })

  it('saves its open window in a stable JSON form (golden)', () => {
    const schema: Schema = {
      columns: [
        { name: 'kind', type: 'string' },
        { name: 'n', type: 'bigint' },
        { name: 'amount', type: 'decimal', precision: 10, scale: 2 },
        { name: 'at', type: 'timestamptz' },
      ],
    }
    const processor = aggregate({
      group_by: ['kind'],
      aggregations: [{ function: 'count' }, { function: 'sum', field: 'amount' }, { function: 'avg', field: 'n' }, { function: 'count_distinct', field: 'n' }, { function: 'min', field: 'n' }],
      window: { size: '1m', time_field: 'at' },
    })
    processor.prepare(schema)
    run(
      processor,
      [
        ['a', 9007199254740993n, '1.50', '2024-01-01T00:00:01Z'],
        ['a', 1n, '0.25', '2024-01-01T00:00:02Z'],
        [null, null, null, '2024-01-01T00:00:03Z'],
      ],
      [],
      schema,
    )
    expect(JSON.parse(JSON.stringify(processor.snapshot!()))).toEqual({
      version: 1,
      config: JSON.stringify({
        group_by: ['kind'],
        aggregations: [
          { function: 'count', field: null, target: null },
          { function: 'sum', field: 'amount', target: null },
          { function: 'avg', field: 'n', target: null },
          { function: 'count_distinct', field: 'n', target: null },
          { function: 'min', field: 'n', target: null },
        ],
        window: { size: '1m', time_field: 'at' },
      }),
      signature: 'string|*,decimal,bigint,bigint,bigint',
      output: {
        columns: [
          { name: 'kind', type: 'string' },
          { name: 'window_start', type: 'timestamptz' },
          { name: 'window_end', type: 'timestamptz' },
          { name: 'count', type: 'bigint' },
          { name: 'sum_amount', type: 'decimal' },
          { name: 'avg_n', type: 'decimal' },
          { name: 'count_distinct_n', type: 'bigint' },
          { name: 'min_n', type: 'bigint' },
        ],
        primaryKey: ['kind', 'window_start'],
      },
      groupTypes: ['string'],
      fieldTypes: [null, 'decimal', 'bigint', 'bigint', 'bigint'],
      windowStartMs: 1704067200000,
      groups: [
        [['a'], [2, '1.75', ['9007199254740994', 2], ['9007199254740993', '1'], '1']],
        [[null], [1, null, [null, 0], [], null]],
      ],
    })
  })

  it('refuses a saved state it cannot read', () => {
    expect(thrown(() => aggregate(windowed, { version: 99 }))).toMatchObject({ code: 'aggregate.invalid_state' })
    const other = aggregate({ aggregations: [{ function: 'count' }], window: { size: '1m', time_field: 'at' } })
    other.prepare(events)
    run(other, [['a', '1', '2024-01-01T00:00:00Z']])
    expect(thrown(() => aggregate(windowed, JSON.parse(JSON.stringify(other.snapshot!())) as JsonValue))).toBeInstanceOf(FatalError)
  })

  it('closes processing-time windows on tick and when a batch arrives after the window', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2024-01-01T00:00:10Z'))
    const schema = schemaOf({ kind: 'string' })
    const processor = aggregate({ group_by: ['kind'], aggregations: [{ function: 'count' }], window: { size: '1m' } })
    expect(processor.prepare(schema).columns.map((c) => `${c.name}:${c.type}`)).toEqual(['kind:string', 'window_start:timestamptz', 'window_end:timestamptz', 'count:bigint'])
    expect(run(processor, [['a'], ['b'], ['a']], [], schema)?.rows).toEqual([])
    expect(processor.tick!(Date.parse('2024-01-01T00:00:59.999Z'), collectingContext([]))).toBeNull()
    expect((processor.tick!(Date.parse('2024-01-01T00:01:00Z'), collectingContext([])) as Batch).rows).toEqual([
      ['a', '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 2n],
      ['b', '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 1n],
    ])
    expect(processor.tick!(Date.parse('2024-01-01T00:05:00Z'), collectingContext([]))).toBeNull()
    vi.setSystemTime(new Date('2024-01-01T00:02:30Z'))
    run(processor, [['c']], [], schema)
    vi.setSystemTime(new Date('2024-01-01T00:03:01Z'))
    expect(run(processor, [['d']], [], schema)?.rows).toEqual([['c', '2024-01-01T00:02:00Z', '2024-01-01T00:03:00Z', 1n]])
    expect((processor.flush!(collectingContext([])) as Batch).rows).toEqual([['d', '2024-01-01T00:03:00Z', '2024-01-01T00:04:00Z', 1n]])
  })

  it('reports window config mistakes with their path', () => {
    expect(thrown(() => aggregate({ aggregations: [{ function: 'count' }], window: { size: 'a minute' } }))).toMatchObject({ code: 'config.invalid_value', path: 'window.size' })
    expect(thrown(() => aggregate({ aggregations: [{ function: 'count' }], window: { size: '1m', time_field: 'kind' } }).prepare(events))).toMatchObject({
      code: 'processor.column_type',
      path: 'window.time_field',
    })
    expect(thrown(() => aggregate({ aggregations: [{ function: 'count' }], window: { size: '1m', time_field: 'when' } }).prepare(events))).toMatchObject({
      code: 'processor.unknown_column',
      path: 'window.time_field',
    })
    expect(thrown(() => aggregate({ group_by: ['window_start'], aggregations: [{ function: 'count' }], window: { size: '1m' } }).prepare(schemaOf({ window_start: 'int' })))).toMatchObject({
      code: 'processor.duplicate_column',
      path: 'window',
    })
  })

  it('has a snapshot only in windowed mode', () => {
    expect(aggregate({ aggregations: [{ function: 'count' }] }).snapshot).toBeUndefined()
    expect(aggregate({ aggregations: [{ function: 'count' }], window: { size: '1m' } }).snapshot).toBeTypeOf('function')
  })
})
