import { describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors.js'
import type { Schema } from '../core/schema.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { mappingProcessor } from './mapping-processor.js'

function mapping(raw: Record<string, unknown>) {
  return mappingProcessor.create(configure(mappingProcessor, raw), processorContext())
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

const users = schemaOf({ id: 'int', user_name: 'string', email: 'string', age: 'int' })

describe('mapping processor', () => {
  it('renames columns and passes rows through untouched', async () => {
    const rows = [
      [1, 'ada', 'ada@example.com', 36],
      [2, 'bob', null, null],
    ]
    const result = await processAll(mapping({ mappings: { user_name: 'username' } }), [batchOf(users, rows)])
    expect(result.schema?.columns.map((c) => c.name)).toEqual(['id', 'username', 'email', 'age'])
    expect(result.batches[0].rows).toBe(rows)
    expect(result.rows).toEqual([
      [1, 'ada', 'ada@example.com', 36],
      [2, 'bob', null, null],
    ])
  })

  it('selects columns in the given order and renames them', async () => {
    const result = await processAll(mapping({ select: ['email', 'id'], mappings: { email: 'mail' } }), [
      batchOf(users, [
        [1, 'ada', 'ada@example.com', 36],
        [2, 'bob', null, 40],
      ]),
    ])
    expect(result.schema).toEqual({ columns: [{ name: 'mail', type: 'string' }, { name: 'id', type: 'int' }] })
    expect(result.rows).toEqual([
      ['ada@example.com', 1],
      [null, 2],
    ])
  })

  it('drops columns, keeping the order of the rest', async () => {
    const result = await processAll(mapping({ drop: ['user_name', 'age'] }), [batchOf(users, [[1, 'ada', 'ada@example.com', 36]])])
    expect(result.schema?.columns.map((c) => c.name)).toEqual(['id', 'email'])
    expect(result.rows).toEqual([[1, 'ada@example.com']])
  })

  it('applies drop after select', async () => {
    const result = await processAll(mapping({ select: ['age', 'id', 'email'], drop: ['id'] }), [batchOf(users, [[1, 'ada', 'a@x', 36]])])
    expect(result.rows).toEqual([[36, 'a@x']])
  })

  it('keeps column types and parameters, and the primary key under its new name', () => {
    const schema: Schema = {
      columns: [
        { name: 'id', type: 'bigint', nullable: false },
        { name: 'price', type: 'decimal', precision: 10, scale: 2 },
      ],
      primaryKey: ['id'],
    }
    expect(mapping({ mappings: { id: 'order_id' } }).prepare(schema)).toEqual({
      columns: [
        { name: 'order_id', type: 'bigint', nullable: false },
        { name: 'price', type: 'decimal', precision: 10, scale: 2 },
      ],
      primaryKey: ['order_id'],
    })
    expect(mapping({ drop: ['id'] }).prepare(schema)).toEqual({ columns: [{ name: 'price', type: 'decimal', precision: 10, scale: 2 }] })
  })

  it('prepares again when the schema changes between batches', async () => {
    const processor = mapping({ mappings: { a: 'x' }, drop: ['b'] })
    const first = schemaOf({ a: 'int', b: 'int', c: 'int' })
    const second = schemaOf({ c: 'string', b: 'int', a: 'string' })
    const result = await processAll(processor, [batchOf(first, [[1, 2, 3]]), batchOf(second, [['c', 2, 'a']])])
    expect(result.batches.map((batch) => batch.schema.columns.map((c) => `${c.name}:${c.type}`))).toEqual([
      ['x:int', 'c:int'],
      ['c:string', 'x:string'],
    ])
    expect(result.rows).toEqual([
      [1, 3],
      ['c', 'a'],
    ])
  })

  it('names an unknown column with a suggestion and its config path', () => {
    const error = configError(() => mapping({ mappings: { agee: 'years' } }).prepare(users))
    expect(error.code).toBe('processor.unknown_column')
    expect(error.message).toBe('unknown column "agee" in mapping (did you mean "age"?)')
    expect(error.path).toBe('mappings.agee')
    const misspelt = configError(() => mapping({ select: ['id', 'emails'] }).prepare(users))
    expect([misspelt.path, misspelt.message]).toEqual(['select[1]', 'unknown column "emails" in mapping (did you mean "email"?)'])
    expect(configError(() => mapping({ drop: ['nope'] }).prepare(users)).path).toBe('drop[0]')
  })

  it('explains that select names input columns when given a new name', () => {
    const error = configError(() => mapping({ mappings: { user_name: 'username' }, select: ['id', 'username'] }).prepare(users))
    expect(error.path).toBe('select[1]')
    expect(error.message).toContain('"username" is the new name of "user_name"')
  })

  it('refuses two output columns with the same name', () => {
    const error = configError(() => mapping({ mappings: { user_name: 'email' } }).prepare(users))
    expect(error).toMatchObject({ code: 'processor.duplicate_column', path: 'mappings.user_name' })
    expect(error.message).toBe('mapping gives two columns the name "email" ("user_name" and "email")')
    // Dropping the other column makes the rename fine.
    expect(mapping({ mappings: { user_name: 'email' }, drop: ['email'] }).prepare(users).columns.map((c) => c.name)).toEqual(['id', 'email', 'age'])
    expect(configError(() => mapping({ select: ['id', 'id'] })).path).toBe('select[1]')
  })

  it('validates the config shape', () => {
    expect(configure(mappingProcessor, {})).toEqual({ mappings: {}, drop: [] })
    expect(() => configure(mappingProcessor, { select: [] })).toThrow(expect.objectContaining({ path: 'select' }))
    expect(() => configure(mappingProcessor, { mappings: { a: 3 } })).toThrow(expect.objectContaining({ path: 'mappings.a' }))
    expect(() => configure(mappingProcessor, { field_mappings: {} })).toThrow(expect.objectContaining({ code: 'config.unknown_field' }))
  })
})
