import { describe, expect, it } from 'vitest'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Row } from '../core/schema.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { filterProcessor } from './filter-processor.js'

function filter(raw: Record<string, unknown>) {
  return filterProcessor.create(configure(filterProcessor, raw), processorContext())
}

function configError(action: () => unknown): ConfigError {
  try {
    action()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

const users = schemaOf({ id: 'int', age: 'int', status: 'string' })
const rows = (): Row[] => [
  [1, 17, 'active'],
  [2, 30, 'active'],
  [3, null, 'active'],
  [4, 45, 'gone'],
  [5, 50, null],
]

describe('filter processor', () => {
  it('keeps the rows where the condition is true, NULL counting as false', async () => {
    const result = await processAll(filter({ condition: "age >= 18 AND status = 'active'" }), [batchOf(users, rows())])
    expect(result.schema).toBe(users)
    expect(result.rows).toEqual([[2, 30, 'active']])
    expect(result.rejections).toEqual([])
  })

  it('removes the matching rows in exclude mode, keeping those where the condition is NULL', async () => {
    const result = await processAll(filter({ condition: 'age > 40', mode: 'exclude' }), [batchOf(users, rows())])
    expect(result.rows).toEqual([
      [1, 17, 'active'],
      [2, 30, 'active'],
      [3, null, 'active'],
    ])
  })

  it('returns an empty batch when nothing matches', async () => {
    const result = await processAll(filter({ condition: 'id > 100' }), [batchOf(users, rows())])
    expect(result.batches).toHaveLength(1)
    expect(result.rows).toEqual([])
  })

  it('rejects rows whose condition cannot be evaluated, and the others continue', async () => {
    const schema = schemaOf({ id: 'int', n: 'int', d: 'int' })
    const result = await processAll(filter({ condition: 'n / d > 1' }), [
      batchOf(schema, [
        [1, 10, 2],
        [2, 10, 0],
        [3, 1, 1],
        [4, 9, 0],
        [5, 30, 3],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, 10, 2],
      [5, 30, 3],
    ])
    expect(result.rejections.map((r) => r.row)).toEqual([
      [2, 10, 0],
      [4, 9, 0],
    ])
    expect(result.rejections.every((r) => r.error instanceof RecordError)).toBe(true)
  })

  it('compiles again for a new schema', async () => {
    const processor = filter({ condition: "status = 'active'" })
    const other = schemaOf({ status: 'string', id: 'int' })
    const result = await processAll(processor, [batchOf(users, rows()), batchOf(other, [['active', 9], ['gone', 10]])])
    expect(result.batches.map((b) => b.rows)).toEqual([
      [
        [1, 17, 'active'],
        [2, 30, 'active'],
        [3, null, 'active'],
      ],
      [['active', 9]],
    ])
  })

  it('reports a syntax error at create and an unknown column at prepare, under condition', () => {
    const syntax = configError(() => filter({ condition: 'age >> 3' }))
    expect(syntax.path).toBe('condition')
    expect(syntax.offset).toBeTypeOf('number')
    const unknown = configError(() => filter({ condition: 'agee > 3' }).prepare(users))
    expect(unknown.path).toBe('condition')
    expect(unknown.offset).toBe(0)
    expect(unknown.message).toContain('did you mean "age"?')
    expect(configError(() => filter({ condition: 'age + 1' }).prepare(users)).path).toBe('condition')
    expect(() => configure(filterProcessor, { condition: 'x', mode: 'keep' })).toThrow(expect.objectContaining({ path: 'mode' }))
    expect(() => configure(filterProcessor, {})).toThrow(expect.objectContaining({ path: 'condition', code: 'config.missing_field' }))
  })
})
