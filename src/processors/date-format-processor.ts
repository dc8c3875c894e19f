/**
 * The `date_format` processor: reads dates and times written in one format and writes them in
 * another, or as typed date/time/timestamp values. Patterns are strftime's (`%Y-%m-%d %H:%M:%S`),
 * implemented once in core/datetime-format.ts for this processor and the expression language.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type ProcessContext, type Processor } from '../core/component.js'
import { checkTemporalPattern, formatTemporal, parseTemporal, type TemporalType } from '../core/datetime-format.js'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Column, LogicalType, Row, Schema, Value } from '../core/schema.js'
import { castValue, formatValue } from '../core/values.js'
import { requireColumn, requireColumnType } from './require-column.js'
import { allColumns, rowBuilder } from './row-builder.js'

const TEMPORAL_TYPES = ['date', 'time', 'timestamp', 'timestamptz'] as const

const config = Type.Object({
  source_field: Type.String({ description: 'Column to read: text, or a date, time or timestamp column.', minLength: 1, examples: ['created'] }),
  source_format: Type.Optional(
    Type.String({
      description: 'strftime pattern the text is written in. Omit when the column is already a date/time type or ISO 8601 text.',
      minLength: 1,
      examples: ['%d/%m/%Y %H:%M', '%b %d, %Y', '%Y-%m-%dT%H:%M:%S%z'],
    }),
  ),
  target_format: Type.Optional(
    Type.String({
      description: 'strftime pattern to write the value with; the result is text. Omit to get a typed value (see target_type).',
      minLength: 1,
      examples: ['%Y-%m-%d', '%A %-d %B %Y'],
    }),
  ),
  target_type: Type.Optional(
    Type.Enum([...TEMPORAL_TYPES], {
      description:
        'Type of the result when there is no target_format. Default: what source_format reads (timestamptz with %z, timestamp with a date and a time, date, or time), else the column\'s own type.',
      examples: ['timestamp', 'date'],
    }),
  ),
  target_field: Type.Optional(Type.String({ description: 'Column for the result; default: the source column. Replaced if it exists, added otherwise.', minLength: 1, examples: ['created_on'] })),
})

type DateFormatConfig = Static<typeof config>

const ZONE_DIRECTIVES = /%(?:-|:)?[zZ]/
const TIME_DIRECTIVES = /%-?[HIMSfpTRrXc]/
const DATE_DIRECTIVES = /%-?[YyCGgmBbdejFDxcaAuwUWV]/

/** The type text read with `pattern` naturally has: what its directives can fill. */
function typeReadBy(pattern: string): TemporalType {
  if (ZONE_DIRECTIVES.test(pattern)) return 'timestamptz'
  const hasTime = TIME_DIRECTIVES.test(pattern)
  const hasDate = DATE_DIRECTIVES.test(pattern)
  if (hasTime && !hasDate) return 'time'
  return hasTime ? 'timestamp' : 'date'
}

/** Pattern errors carry the offset of the bad directive; the path makes lint point into the field. */
function checkPattern(pattern: string, path: string, type?: TemporalType): void {
  try {
    checkTemporalPattern(pattern)
    if (type !== undefined) parseTemporal('', pattern, type)
  } catch (error) {
    if (error instanceof ConfigError) throw error.with({ path })
    throw error
  }
}

class DateFormatProcessor implements Processor {
  /** The type the source is read as: the column's type, or what source_format parses into. */
  private readType: LogicalType = 'string'
  private resultType: LogicalType = 'string'
  private sourceIndex = -1
  private targetIndex = -1
  private output: Schema = { columns: [] }
  /** Set when the target is a new column: builds the row at its final width. */
  private widen: ((row: Row) => Row) | undefined

  constructor(private readonly config: DateFormatConfig) {
    const { source_format: sourceFormat, target_format: targetFormat, target_type: targetType } = config
    if (sourceFormat === undefined && targetFormat === undefined && targetType === undefined) {
      throw new ConfigError('config.missing_field', 'date_format needs source_format, target_format or target_type: otherwise it changes nothing', { path: 'target_format' })
    }
    if (targetFormat !== undefined && targetType !== undefined) {
      throw new ConfigError('config.invalid_value', 'target_type applies only without target_format (a formatted result is text)', { path: 'target_type' })
    }
    if (sourceFormat !== undefined) checkPattern(sourceFormat, 'source_format', targetType ?? typeReadBy(sourceFormat))
    if (targetFormat !== undefined) checkPattern(targetFormat, 'target_format')
  }

  prepare(schema: Schema): Schema {
    const { source_field: source, source_format: sourceFormat, target_format: targetFormat, target_type: targetType, target_field: target = source } = this.config
    this.sourceIndex = requireColumn(schema, source, 'source_field', 'date_format')
    if (sourceFormat !== undefined) {
      requireColumnType(schema, this.sourceIndex, ['string', 'json'], 'source_field', 'source_format reads text: drop source_format to convert a typed column')
      this.readType = targetType ?? typeReadBy(sourceFormat)
    } else {
      this.readType = requireColumnType(schema, this.sourceIndex, ['string', ...TEMPORAL_TYPES], 'source_field', 'date_format needs a date, time, timestamp or text column')
    }
    this.resultType = targetFormat !== undefined ? 'string' : (targetType ?? this.readType)
    const column: Column = { name: target, type: this.resultType }
    const columns = [...schema.columns]
    this.targetIndex = columns.findIndex((c) => c.name === target)
    if (this.targetIndex >= 0) columns[this.targetIndex] = column
    else this.targetIndex = columns.push(column) - 1
    this.widen = this.targetIndex === schema.columns.length ? rowBuilder(allColumns(schema.columns.length), 1) : undefined
    this.output = schema.primaryKey && !schema.primaryKey.includes(target) ? { columns, primaryKey: schema.primaryKey } : { columns }
    return this.output
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    const rows = batch.rows
    const { sourceIndex, targetIndex, widen } = this
    let kept = 0
    for (let r = 0; r < rows.length; r++) {
      const input = rows[r]
      let value: Value
      try {
        value = this.convert(input[sourceIndex])
      } catch (error) {
        if (!(error instanceof RecordError)) throw error
        ctx.reject(input, error.column === undefined ? this.withColumn(error) : error)
        continue
      }
      const row = widen === undefined ? input : widen(input)
      row[targetIndex] = value
      rows[kept++] = row
    }
    rows.length = kept
    return { schema: this.output, rows }
  }

  private convert(value: Value): Value {
    if (value === null) return null
    const { source_format: sourceFormat, target_format: targetFormat } = this.config
    let read: Value = value
    if (sourceFormat !== undefined) {
      const text = typeof value === 'string' ? value : formatValue(value)
      read = parseTemporal(text, sourceFormat, this.readType) ?? null
      if (read === null) {
        throw new RecordError('value.invalid', `${JSON.stringify(text)} in column "${this.config.source_field}" does not match date format ${JSON.stringify(sourceFormat)}`, {
          column: this.config.source_field,
        })
      }
    }
    if (targetFormat !== undefined) return formatTemporal(read as string, this.readType, targetFormat)
    return this.resultType === this.readType ? read : castValue(read, this.resultType, this.readType)
  }

  private withColumn(error: RecordError): RecordError {
    return new RecordError(error.code, `${error.message} in column "${this.config.source_field}"`, { column: this.config.source_field, cause: error })
  }
}

export const dateFormatProcessor = defineProcessor({
  type: 'date_format',
  status: 'stable',
  summary: 'Parses and formats dates and times with strftime patterns',
  description: [
    'Reads `source_field`, as text in `source_format` when given, else as the date/time value it holds (or ISO',
    '8601 text), and writes the result to `target_field` (by default the source column): text in',
    '`target_format`, or a typed value of `target_type`.',
    '',
    'Patterns are strftime\'s, as in C and Python: `%Y` year, `%m` month, `%d` day, `%H` hour, `%M` minute,',
    '`%S` second, `%f` microseconds, `%b`/`%B` month names, `%a`/`%A` day names, `%z` offset, `%j` day of year,',
    '`%-d` without padding, `%%` a percent sign (see docs/expressions.md for the full list). MySQL\'s `%i` and `%s`',
    'are refused, since strftime gives them other meanings. timestamptz values are written in UTC.',
    '',
    'Text that does not match `source_format`, or is not a valid date, sends the row to the dead-letter output.',
  ].join('\n'),
  categories: ['mapping', 'time'],
  stateless: true,
  config,
  examples: [
    {
      title: 'Signup day as text',
      yaml: `input:
  type: generate
  config:
    count: 1000
pipeline:
  processors:
    - type: date_format
      config:
        source_field: created_at
        target_format: '%A %-d %B %Y'
        target_field: signup_day
output:
  type: jsonl
  config:
    path: out/signup-days.jsonl
`,
    },
    {
      title: 'Text in a local format to timestamps',
      summary: 'Writes the timestamps as day/month/year text, then parses that text back into timestamps.',
      yaml: `input:
  type: generate
  config:
    count: 100
pipeline:
  processors:
    - type: date_format
      config:
        source_field: created_at
        target_format: '%d/%m/%Y %H:%M'
        target_field: created_text
    - type: date_format
      config:
        source_field: created_text
        source_format: '%d/%m/%Y %H:%M'
        target_field: created_again
output:
  type: drop
  config: {}
`,
    },
  ],
  create: (cfg) => new DateFormatProcessor(cfg),
})
