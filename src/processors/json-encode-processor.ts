/**
 * The `json_encode` processor: packs columns into one JSON object column (text or json), e.g. a
 * message body for a broker or an HTTP service.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type Processor } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import type { Column, JsonObject, LogicalType, Row, Schema } from '../core/schema.js'
import { toJsonValue } from '../core/values.js'
import { requireColumn } from './require-column.js'
import { rowBuilder } from './row-builder.js'

const config = Type.Object({
  fields: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'Columns to encode, in this order; they become the keys of the object. Omit to encode every column.',
      minItems: 1,
      examples: [['id', 'email', 'score']],
    }),
  ),
  target_field: Type.String({
    description: 'Column that receives the object; replaced if it exists, added otherwise.',
    minLength: 1,
    examples: ['payload'],
  }),
  target_type: Type.Enum(['string', 'json'], {
    description: '`string`: compact JSON text. `json`: the object itself, for outputs that write json columns natively.',
    default: 'string',
  }),
  drop_fields: Type.Boolean({ description: 'Removes the encoded columns, leaving the target column in their place.', default: false }),
})

type JsonEncodeConfig = Static<typeof config>

class JsonEncodeProcessor implements Processor {
  private keys: string[] = []
  private sources = new Int32Array(0)
  private targetIndex = -1
  private isTextTarget: boolean
  /** Builds the output row (kept columns, then room for a new target) when it differs from the input row. */
  private build: ((row: Row) => Row) | undefined
  private output: Schema = { columns: [] }

  constructor(private readonly config: JsonEncodeConfig) {
    this.isTextTarget = config.target_type === 'string'
    const seen = new Set<string>()
    config.fields?.forEach((name, i) => {
      if (seen.has(name)) throw new ConfigError('processor.duplicate_column', `column "${name}" is listed twice in json_encode fields`, { path: `fields[${i}]` })
      seen.add(name)
    })
  }

  prepare(schema: Schema): Schema {
    const { fields, target_field: target, drop_fields: dropFields } = this.config
    const sources = fields ? fields.map((name, i) => requireColumn(schema, name, `fields[${i}]`, 'json_encode')) : schema.columns.map((_, i) => i)
    this.keys = sources.map((index) => schema.columns[index].name)
    this.sources = Int32Array.from(sources)
    const encoded = new Set(sources)
    const kept = schema.columns.map((_, i) => i).filter((i) => !(dropFields && encoded.has(i) && schema.columns[i].name !== target))
    const targetType: LogicalType = this.isTextTarget ? 'string' : 'json'
    const columns: Column[] = kept.map((i) => (schema.columns[i].name === target ? { name: target, type: targetType } : schema.columns[i]))
    let targetIndex = columns.findIndex((column) => column.name === target)
    if (targetIndex < 0) {
      columns.push({ name: target, type: targetType })
      targetIndex = columns.length - 1
    }
    const added = columns.length - kept.length
    this.build = added > 0 || kept.length < schema.columns.length ? rowBuilder(kept, added) : undefined
    this.targetIndex = targetIndex
    const primaryKey = schema.primaryKey
    this.output = primaryKey && primaryKey.every((name) => columns.some((c) => c.name === name && name !== target)) ? { columns, primaryKey } : { columns }
    return this.output
  }

  process(batch: Batch): Batch {
    const rows = batch.rows
    const { keys, sources, targetIndex, isTextTarget, build } = this
    const fieldCount = keys.length
    for (let r = 0; r < rows.length; r++) {
      const input = rows[r]
      const object: JsonObject = {}
      for (let i = 0; i < fieldCount; i++) object[keys[i]] = toJsonValue(input[sources[i]])
      const row = build === undefined ? input : build(input)
      row[targetIndex] = isTextTarget ? JSON.stringify(object) : object
      rows[r] = row
    }
    return { schema: this.output, rows }
  }
}

export const jsonEncodeProcessor = defineProcessor({
  type: 'json_encode',
  status: 'stable',
  summary: 'Encodes columns as one JSON object column',
  description: [
    'Builds an object from `fields` (every column by default), keyed by column name, and writes it to',
    '`target_field` as JSON text or as a json value. Values keep their exact form: decimals and bigints',
    'beyond 2^53 become strings, bytes become base64, temporal values their ISO text, NULL becomes null.',
  ].join('\n'),
  categories: ['mapping', 'json'],
  stateless: true,
  config,
  examples: [
    {
      title: 'A message body per row',
      yaml: `input:
  type: generate
  config:
    count: 100
pipeline:
  processors:
    - type: json_encode
      config:
        fields: [id, email, score]
        target_field: body
    - type: mapping
      config:
        select: [id, body]
output:
  type: jsonl
  config:
    path: out/messages.jsonl
`,
    },
  ],
  create: (cfg) => new JsonEncodeProcessor(cfg),
})
