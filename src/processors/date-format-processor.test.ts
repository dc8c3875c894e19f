import { describe, expect, it } from 'vitest'
import { ConfigError, RecordError } from '../core/errors.js'
import { batchOf, configure, processAll, processorContext, schemaOf } from '../../test/component-harness.js'
import { dateFormatProcessor } from './date-format-processor.js'

function dateFormat(raw: Record<string, unknown>) {
  return dateFormatProcessor.create(configure(dateFormatProcessor, raw), processorContext())
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

describe('date_format processor', () => {
  it('formats typed values as text into a new column', async () => {
    const schema = schemaOf({ id: 'int', at: 'timestamp' })
    const result = await processAll(dateFormat({ source_field: 'at', target_format: '%A %-d %B %Y, %H:%M', target_field: 'label' }), [
      batchOf(schema, [
        [1, '2024-03-05T07:08:09'],
        [2, null],
      ]),
    ])
    expect(result.schema?.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['id:int', 'at:timestamp', 'label:string'])
    expect(result.rows).toEqual([
      [1, '2024-03-05T07:08:09', 'Tuesday 5 March 2024, 07:08'],
      [2, null, null],
    ])
  })

  it('parses text in a format into the type its directives describe', async () => {
    const schema = schemaOf({ raw: 'string' })
    const cases: [string, string, string, string][] = [
      ['%d/%m/%Y', '05/03/2024', 'date', '2024-03-05'],
      ['%d/%m/%Y %H:%M', '05/03/2024 17:30', 'timestamp', '2024-03-05T17:30:00'],
      ['%Y-%m-%d %H:%M:%S%z', '2024-03-05 17:30:00+0200', 'timestamptz', '2024-03-05T15:30:00Z'],
      ['%I:%M %p', '05:30 PM', 'time', '17:30:00'],
    ]
    for (const [format, text, type, stored] of cases) {
      const result = await processAll(dateFormat({ source_field: 'raw', source_format: format }), [batchOf(schema, [[text]])])
      expect(result.schema?.columns).toEqual([{ name: 'raw', type }])
      expect(result.rows).toEqual([[stored]])
    }
  })

  it('parses into target_type and reformats from one text format to another', async () => {
    const schema = schemaOf({ raw: 'string' })
    const typed = await processAll(dateFormat({ source_field: 'raw', source_format: '%b %d, %Y', target_type: 'timestamptz' }), [batchOf(schema, [['Mar 05, 2024']])])
    expect(typed.rows).toEqual([['2024-03-05T00:00:00Z']])
    const text = await processAll(dateFormat({ source_field: 'raw', source_format: '%d.%m.%Y', target_format: '%Y-%m-%d' }), [batchOf(schema, [['31.12.1999']])])
    expect(text.schema?.columns).toEqual([{ name: 'raw', type: 'string' }])
    expect(text.rows).toEqual([['1999-12-31']])
  })

  it('converts typed values to another type without patterns', async () => {
    const schema = schemaOf({ at: 'timestamptz', iso: 'string' })
    const result = await processAll(dateFormat({ source_field: 'at', target_type: 'date', target_field: 'day' }), [batchOf(schema, [['2024-03-05T23:59:59.5Z', null]])])
    expect(result.rows).toEqual([['2024-03-05T23:59:59.5Z', null, '2024-03-05']])
    const fromText = await processAll(dateFormat({ source_field: 'iso', target_type: 'timestamp' }), [batchOf(schema, [[null, '2024-03-05 10:00']])])
    expect(fromText.rows).toEqual([[null, '2024-03-05T10:00:00']])
  })

  it('rejects rows whose text does not match or is not a date, and keeps the others', async () => {
    const schema = schemaOf({ id: 'int', raw: 'string' })
    const result = await processAll(dateFormat({ source_field: 'raw', source_format: '%d/%m/%Y' }), [
      batchOf(schema, [
        [1, '01/02/2024'],
        [2, '31/02/2024'],
        [3, 'yesterday'],
        [4, '02/01/2024'],
      ]),
    ])
    expect(result.rows).toEqual([
      [1, '2024-02-01'],
      [4, '2024-01-02'],
    ])
    expect(result.rejections.map((r) => r.row)).toEqual([
      [2, '31/02/2024'],
      [3, 'yesterday'],
    ])
    expect(result.rejections[1].error).toBeInstanceOf(RecordError)
    expect((result.rejections[1].error as Error).message).toBe('"yesterday" in column "raw" does not match date format "%d/%m/%Y"')
    const unformattable = await processAll(dateFormat({ source_field: 'raw', target_format: '%Y' }), [batchOf(schema, [[5, 'soon']])])
    expect(unformattable.rejections.map((r) => (r.error as RecordError).code)).toEqual(['value.invalid'])
    expect((unformattable.rejections[0].error as RecordError).column).toBe('raw')
  })

  it('reports pattern and config mistakes with their path', () => {
    const badPattern = configError(() => dateFormat({ source_field: 'x', target_format: '%Y-%m-%d %H:%i' }))
    expect([badPattern.code, badPattern.path, badPattern.offset]).toEqual(['datetime.invalid_pattern', 'target_format', 12])
    expect(configError(() => dateFormat({ source_field: 'x', source_format: '%Q' })).path).toBe('source_format')
    expect(configError(() => dateFormat({ source_field: 'x' })).path).toBe('target_format')
    expect(configError(() => dateFormat({ source_field: 'x', target_format: '%Y', target_type: 'date' })).path).toBe('target_type')
    const schema = schemaOf({ at: 'timestamp', n: 'int' })
    expect(configError(() => dateFormat({ source_field: 'at', source_format: '%Y' }).prepare(schema))).toMatchObject({ code: 'processor.column_type', path: 'source_field' })
    expect(configError(() => dateFormat({ source_field: 'n', target_format: '%Y' }).prepare(schema))).toMatchObject({ code: 'processor.column_type', path: 'source_field' })
    const unknown = configError(() => dateFormat({ source_field: 'att', target_format: '%Y' }).prepare(schema))
    expect([unknown.code, unknown.message]).toEqual(['processor.unknown_column', 'unknown column "att" in date_format (did you mean "at"?)'])
  })
})
