/**
 * The `json_decode` processor: parses JSON text held in a column, into a json column and/or typed
 * columns taken from the decoded object's fields.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type ProcessContext, type Processor } from '../core/component.js'
import { ConfigError, RecordError } from '../core/errors.js'
import { TYPE_NAMES, parseTypeName, type Column, type LogicalType, type Row, type Schema, type Value } from '../core/schema.js'
import { didYouMean } from '../core/suggest.js'
import { castValue, parseValue, type CastTarget } from '../core/values.js'
import { requireColumn, requireColumnType } from './require-column.js'
import { allColumns, rowBuilder } from './row-builder.js'

const config = Type.Object({
  source_field: Type.String({ description: 'Column holding JSON text (a string, bytes or json column).', minLength: 1, examples: ['payload'] }),
  target_field: Type.Optional(
    Type.String({
      description:
        'Column that receives the decoded value, as json; replaced if it exists, added otherwise. ' +
        'Default: the source column itself, unless `columns` is set (then only the typed columns are added).',
      minLength: 1,
      examples: ['payload_json'],
    }),
  ),
  columns: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description:
        'Fields of the decoded object to add as typed columns: `field: type` (types as in casts: `int`, `decimal(10,2)`, `timestamptz`...). ' +
        'A missing field gives NULL; a value that does not convert rejects the row.',
      examples: [{ id: 'bigint', email: 'string', amount: 'decimal(12,2)', created_at: 'timestamptz' }],
    }),
  ),
})

type JsonDecodeConfig = Static<typeof config>

/** Where an output value goes: an existing column (replaced) or a new one (appended). */
interface Placement {
  readonly index: number
  readonly column: Column
}

function placeColumn(columns: Column[], column: Column): number {
  const existing = columns.findIndex((c) => c.name === column.name)
  if (existing >= 0) {
    columns[existing] = column
    return existing
  }
  columns.push(column)
  return columns.length - 1
}

class JsonDecodeProcessor implements Processor {
  private readonly fields: readonly string[]
  private readonly fieldTargets: readonly CastTarget[]
  private sourceIndex = -1
  private sourceType: LogicalType = 'string'
  private target: Placement | undefined
  private extracted: Placement[] = []
  private output: Schema = { columns: [] }
  /** Decoded field values of the row being processed, written to the row only once all converted. */
  private scratch: Value[] = []
  /** Set when columns are added: builds the row at its final width. */
  private widen: ((row: Row) => Row) | undefined

  constructor(private readonly config: JsonDecodeConfig) {
    const columns = config.columns ?? {}
    this.fields = Object.keys(columns)
    this.fieldTargets = this.fields.map((name) => {
      const parsed = parseTypeName(columns[name])
      if (!parsed) {
        throw new ConfigError('processor.unknown_type', `unknown type "${columns[name]}" for column "${name}" in json_decode${didYouMean(columns[name], TYPE_NAMES)}`, {
          path: `columns.${name}`,
          hint: `types: ${TYPE_NAMES.join(', ')}; decimals as decimal(precision,scale)`,
        })
      }
      return { ...parsed, name }
    })
  }

  prepare(schema: Schema): Schema {
    const { source_field: source, target_field: targetField } = this.config
    this.sourceIndex = requireColumn(schema, source, 'source_field', 'json_decode')
    this.sourceType = requireColumnType(schema, this.sourceIndex, ['string', 'bytes', 'json'], 'source_field', 'json_decode needs a string, bytes or json column')
    const columns = [...schema.columns]
    const targetName = targetField ?? (this.config.columns ? undefined : source)
    this.target = targetName === undefined ? undefined : { index: -1, column: { name: targetName, type: 'json' } }
    if (this.target) this.target = { ...this.target, index: placeColumn(columns, this.target.column) }
    this.extracted = this.fieldTargets.map((target) => {
      const column: Column = target.precision === undefined ? { name: target.name!, type: target.type } : { name: target.name!, type: target.type, precision: target.precision, scale: target.scale }
      return { index: placeColumn(columns, column), column }
    })
    this.scratch = new Array(this.extracted.length)
    const added = columns.length - schema.columns.length
    this.widen = added > 0 ? rowBuilder(allColumns(schema.columns.length), added) : undefined
    this.output = schema.primaryKey ? { columns, primaryKey: schema.primaryKey } : { columns }
    return this.output
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    const rows = batch.rows
    let kept = 0
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]
      try {
        rows[kept] = this.decodeRow(row)
      } catch (error) {
        if (!(error instanceof RecordError)) throw error
        ctx.reject(row, error)
        continue
      }
      kept++
    }
    rows.length = kept
    return { schema: this.output, rows }
  }

  /** The decoded row (the input row itself unless columns are added); throws a RecordError before changing anything. */
  private decodeRow(input: Row): Row {
    const raw = input[this.sourceIndex]
    const decoded = raw === null ? null : this.decode(raw)
    const extracted = this.extracted
    const scratch = this.scratch
    if (extracted.length > 0) {
      const isObject = decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded) && !(decoded instanceof Uint8Array)
      if (decoded !== null && !isObject) {
        throw new RecordError('json_decode.not_object', `column "${this.config.source_field}" holds ${Array.isArray(decoded) ? 'an array' : `a ${typeof decoded}`}, not an object, so its fields cannot be extracted`, {
          column: this.config.source_field,
        })
      }
      const object = decoded as Record<string, Value> | null
      for (let i = 0; i < extracted.length; i++) {
        const value = object === null ? undefined : object[this.fields[i]]
        scratch[i] = value === undefined || value === null ? null : castValue(value, this.fieldTargets[i], 'json')
      }
    }
    const row = this.widen === undefined ? input : this.widen(input)
    if (this.target) row[this.target.index] = decoded
    for (let i = 0; i < extracted.length; i++) row[extracted[i].index] = scratch[i]
    return row
  }

  private decode(raw: Value): Value {
    const name = this.config.source_field
    switch (this.sourceType) {
      case 'bytes':
        return parseValue(Buffer.from(raw as Uint8Array).toString('utf8'), { type: 'json', name })
      case 'json':
        // A json column may hold JSON text as a string (a message body), or an already decoded value.
        return typeof raw === 'string' ? parseValue(raw, { type: 'json', name }) : raw
      default:
        return parseValue(raw as string, { type: 'json', name })
    }
  }
}

export const jsonDecodeProcessor = defineProcessor({
  type: 'json_decode',
  status: 'stable',
  summary: 'Parses JSON text in a column into a json column or typed columns',
  description: [
    'Decodes the JSON text in `source_field`. The decoded value goes to `target_field` as json (by default it',
    'replaces the source column). With `columns`, fields of the decoded object become typed columns, converted',
    'as CAST does (`decimal(12,2)`, `timestamptz`...); an existing column of that name is replaced.',
    '',
    'NULL stays NULL. A row whose text is not valid JSON, whose value is not an object while `columns` asks for',
    'fields, or whose field does not convert to its type goes to the dead-letter output; the other rows continue.',
  ].join('\n'),
  categories: ['parsing', 'json'],
  stateless: true,
  config,
  examples: [
    {
      title: 'Typed columns from a JSON field',
      summary: 'The events preset carries a json `properties` object; its fields become columns.',
      yaml: `input:
  type: generate
  config:
    preset: events
    count: 1000
pipeline:
  processors:
    - type: json_decode
      config:
        source_field: properties
        columns:
          browser: string
          platform: string
          mobile: bool
output:
  type: jsonl
  config:
    path: out/events.jsonl
`,
    },
  ],
  create: (cfg) => new JsonDecodeProcessor(cfg),
})
