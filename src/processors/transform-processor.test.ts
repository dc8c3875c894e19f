import { describe, expect, it } from 'vitest'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Schema } from '../core/schema.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { transformProcessor } from './transform-processor.js'

function transform(fields: unknown[]) {
  return transformProcessor.create(configure(transformProcessor, { fields }), processorContext())
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

const people: Schema = {
  columns: [
    { name: 'id', type: 'int' },
    { name: 'first', type: 'string' },
    { name: 'last', type: 'string' },
    { name: 'age', type: 'string' },
  ],
  primaryKey: ['id'],
}

describe('transform processor', () => {
  it('appends computed columns in place, later fields seeing earlier ones', async () => {
    const rows = [
      [1, 'Ada', 'Lovelace', '36'],
      [2, 'Alan', null, '41'],
    ]
    const processor = transform([
      { target: 'full_name', expression: "first || ' ' || last" },
      { target: 'initial', expression: 'SUBSTRING(full_name, 1, 1)' },
    ])
    const result = await processAll(processor, [batchOf(people, rows)])
    expect(result.schema).toEqual({
      columns: [...people.columns, { name: 'full_name', type: 'string' }, { name: 'initial', type: 'string' }],
      primaryKey: ['id'],
    })
    expect(result.batches[0].rows).toBe(rows)
    expect(result.rows).toEqual([
      [1, 'Ada', 'Lovelace', '36', 'Ada Lovelace', 'A'],
      [2, 'Alan', null, '41', null, null],
    ])
  })

  it('replaces an existing column with an expression, taking its type', async () => {
    const result = await processAll(transform([{ target: 'first', expression: 'UPPER(first)' }, { target: 'id', expression: 'id * 10' }]), [
      batchOf(people, [[1, 'ada', 'x', '1']]),
    ])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:int', 'first:string', 'last:string', 'age:string'])
    expect(result.schema?.primaryKey).toBeUndefined()
    expect(result.rows).toEqual([[10, 'ADA', 'x', '1']])
  })

  it('casts columns in place with CAST rules, including decimal precision', async () => {
    const schema = schemaOf({ age: 'string', price: 'float', flag: 'string' })
    const result = await processAll(transform([{ target: 'age', cast: 'int' }, { target: 'price', cast: 'decimal(10,2)' }, { target: 'flag', cast: 'boolean' }]), [
      batchOf(schema, [
        [' 42 ', 3.14159, 'yes'],
        [null, null, null],
      ]),
    ])
    expect(result.schema?.columns).toEqual([
      { name: 'age', type: 'int' },
      { name: 'price', type: 'decimal', precision: 10, scale: 2 },
      { name: 'flag', type: 'bool' },
    ])
    expect(result.rows).toEqual([
      [42, '3.14', true],
      [null, null, null],
    ])
  })

  it('casts a computed value', async () => {
    const schema = schemaOf({ a: 'int', b: 'int' })
    const result = await processAll(transform([{ target: 'ratio', expression: 'a / b', cast: 'decimal(5,1)' }]), [batchOf(schema, [[7, 2]])])
    expect(result.schema?.columns.at(-1)).toEqual({ name: 'ratio', type: 'decimal', precision: 5, scale: 1 })
    expect(result.rows).toEqual([[7, 2, '3.5']])
  })

  it('rejects a row whose expression or cast fails, unchanged, and the others continue', async () => {
    const processor = transform([
      { target: 'first', expression: 'UPPER(first)' },
      { target: 'tag', expression: "'x'" },
      { target: 'age', cast: 'int' },
      { target: 'next_age', expression: 'age + 1' },
    ])
    const result = await processAll(processor, [
      batchOf(people, [
        [1, 'ada', 'a', '36'],
        [2, 'bob', 'b', 'thirty'],
        [3, 'cy', 'c', null],
        [4, 'di', 'd', '99999999999'],
        [5, 'ed', 'e', '7'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, 'ADA', 'a', 36, 'x', 37],
      [3, 'CY', 'c', null, 'x', null],
      [5, 'ED', 'e', 7, 'x', 8],
    ])
    expect(result.rejections.map((r) => r.row)).toEqual([
      [2, 'bob', 'b', 'thirty'],
      [4, 'di', 'd', '99999999999'],
    ])
    expect(result.rejections.map((r) => (r.error as RecordError).code)).toEqual(['value.invalid', 'value.out_of_range'])
    expect((result.rejections[0].error as Error).message).toBe('invalid int "thirty" for column "age"')
    expect(result.rejections.every((r) => r.schema === people)).toBe(true)
  })

  it('restores a row changed in place before rejecting it', async () => {
    const processor = transform([
      { target: 'first', expression: 'UPPER(first)' },
      { target: 'last', expression: "last || '!'" },
      { target: 'age', cast: 'int' },
    ])
    const result = await processAll(processor, [
      batchOf(people, [
        [1, 'ada', 'a', 'x'],
        [2, 'bob', 'b', '3'],
      ]),
    ])
    expect(result.rows).toEqual([[2, 'BOB', 'b!', 3]])
    expect(result.rejections.map((r) => r.row)).toEqual([[1, 'ada', 'a', 'x']])
  })

  it('rejects a row whose expression fails at evaluation', async () => {
    const schema = schemaOf({ n: 'int', d: 'int' })
    const result = await processAll(transform([{ target: 'q', expression: 'n / d' }]), [batchOf(schema, [[1, 0], [4, 2]])])
    expect(result.rows).toEqual([[4, 2, 2]])
    expect(result.rejections.map((r) => r.row)).toEqual([[1, 0]])
    expect(result.rejections[0].error).toBeInstanceOf(RecordError)
  })

  it('skips a cast to the type a column already has', async () => {
    const schema = schemaOf({ n: 'int' })
    const result = await processAll(transform([{ target: 'n', cast: 'integer' }]), [batchOf(schema, [[5]])])
    expect(result.schema?.columns).toEqual([{ name: 'n', type: 'int' }])
    expect(result.rows).toEqual([[5]])
  })

  it('compiles again for a new schema', async () => {
    const processor = transform([{ target: 'double', expression: 'n * 2' }])
    const result = await processAll(processor, [batchOf(schemaOf({ n: 'int' }), [[2]]), batchOf(schemaOf({ x: 'bool', n: 'float' }), [[true, 1.5]])])
    expect(result.batches.map((b) => b.schema.columns.map((c) => `${c.name}:${c.type}`))).toEqual([
      ['n:int', 'double:int'],
      ['x:bool', 'n:float', 'double:float'],
    ])
    expect(result.rows).toEqual([
      [2, 4],
      [true, 1.5, 3],
    ])
  })

  it('reports config mistakes with the path of the field', () => {
    const syntax = configError(() => transform([{ target: 'a', expression: 'id' }, { target: 'b', expression: 'id +* 2' }]))
    expect(syntax.path).toBe('fields[1].expression')
    expect(syntax.offset).toBeTypeOf('number')
    const unknown = configError(() => transform([{ target: 'a', expression: 'id' }, { target: 'b', expression: 'agee + 1' }]).prepare(people))
    expect([unknown.path, unknown.offset]).toEqual(['fields[1].expression', 0])
    expect(unknown.message).toContain('did you mean "age"?')
    const badType = configError(() => transform([{ target: 'age', cast: 'integr' }]))
    expect([badType.code, badType.path, badType.message]).toEqual(['processor.unknown_type', 'fields[0].cast', 'unknown type "integr" in transform cast (did you mean "integer"?)'])
    const missing = configError(() => transform([{ target: 'agee', cast: 'int' }]).prepare(people))
    expect([missing.code, missing.path, missing.message]).toEqual(['processor.unknown_column', 'fields[0].target', 'unknown column "agee" in transform (did you mean "age"?)'])
    expect(() => configure(transformProcessor, { fields: [{ target: 'x' }] })).toThrow(expect.objectContaining({ path: 'fields[0]' }))
    expect(() => configure(transformProcessor, { fields: [] })).toThrow(expect.objectContaining({ path: 'fields' }))
  })
})
