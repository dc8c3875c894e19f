/**
 * The `split` processor: one row into many, one per element of a list held in a column (a JSON
 * array, or text with a delimiter), like SQL's UNNEST.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type Processor } from '../core/component.js'
import type { Column, LogicalType, Row, Schema, Value } from '../core/schema.js'
import { requireColumn } from './require-column.js'
import { allColumns, rowBuilder } from './row-builder.js'

const config = Type.Object({
  field: Type.String({ description: 'Column holding the list: a json array, or text split at `delimiter`.', minLength: 1, examples: ['tags'] }),
  delimiter: Type.String({ description: 'Separator for text values.', minLength: 1, default: ',', examples: [';', ' | '] }),
  trim: Type.Boolean({ description: 'Removes whitespace around each text element.', default: false }),
  target_field: Type.Optional(
    Type.String({ description: 'Column that receives each element; default: `field` itself. Replaced if it exists, added otherwise.', minLength: 1, examples: ['tag'] }),
  ),
  index_field: Type.Optional(Type.String({ description: 'Column that receives the 0-based position of the element (int).', minLength: 1, examples: ['tag_index'] })),
  keep_empty: Type.Boolean({
    description: 'A row whose list is NULL or empty is kept once with NULL as its element (`true`), or produces no row (`false`, as UNNEST does).',
    default: false,
  }),
})

type SplitConfig = Static<typeof config>

const EMPTY: readonly Value[] = []

class SplitProcessor implements Processor {
  private sourceIndex = -1
  private sourceType: LogicalType = 'string'
  private targetIndex = -1
  private positionIndex = -1
  private output: Schema = { columns: [] }
  /** Copies a row at the output width (see row-builder.ts). */
  private copy: (row: Row) => Row = (row) => row
  private isWidening = false

  constructor(private readonly config: SplitConfig) {}

  prepare(schema: Schema): Schema {
    const { field, target_field: target = field, index_field: indexField } = this.config
    this.sourceIndex = requireColumn(schema, field, 'field', 'split')
    const source = schema.columns[this.sourceIndex]
    this.sourceType = source.type
    const columns: Column[] = [...schema.columns]
    const place = (column: Column): number => {
      const existing = columns.findIndex((c) => c.name === column.name)
      if (existing >= 0) {
        columns[existing] = column
        return existing
      }
      columns.push(column)
      return columns.length - 1
    }
    this.targetIndex = place(target === field ? source : { ...source, name: target })
    this.positionIndex = indexField === undefined ? -1 : place({ name: indexField, type: 'int' })
    const added = columns.length - schema.columns.length
    this.copy = rowBuilder(allColumns(schema.columns.length), added)
    this.isWidening = added > 0
    // Split rows share their key, so the key no longer identifies a row.
    this.output = { columns }
    return this.output
  }

  process(batch: Batch): Batch {
    const rows = batch.rows
    const out: Row[] = []
    const { sourceIndex, targetIndex, positionIndex, copy, isWidening } = this
    const keepEmpty = this.config.keep_empty
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]
      const elements = this.elementsOf(row[sourceIndex])
      if (elements.length === 0) {
        if (!keepEmpty) continue
        const kept = isWidening ? copy(row) : row
        kept[targetIndex] = null
        if (positionIndex >= 0) kept[positionIndex] = null
        out.push(kept)
        continue
      }
      const last = elements.length - 1
      for (let i = 0; i <= last; i++) {
        // Every element but the last gets a copy made before the row changes; the last may reuse the row.
        const target = i < last || isWidening ? copy(row) : row
        target[targetIndex] = elements[i]
        if (positionIndex >= 0) target[positionIndex] = i
        out.push(target)
      }
    }
    return { schema: this.output, rows: out }
  }

  private elementsOf(value: Value): readonly Value[] {
    if (value === null) return EMPTY
    if (Array.isArray(value)) return value
    if (typeof value === 'string' && (this.sourceType === 'string' || this.sourceType === 'json')) {
      if (value === '') return EMPTY
      const parts = value.split(this.config.delimiter)
      if (this.config.trim) for (let i = 0; i < parts.length; i++) parts[i] = parts[i].trim()
      return parts
    }
    // Anything else is a list of one.
    return [value]
  }
}

export const splitProcessor = defineProcessor({
  type: 'split',
  status: 'stable',
  summary: 'Turns one row into one row per element of a list column',
  description: [
    'For each element of the list in `field` (a json array, or text split at `delimiter`), emits a copy of the',
    'row with the element in `target_field` (by default replacing `field`), and optionally its position in',
    '`index_field`. A value that is neither an array nor text is a list of one. A NULL or empty list gives no row',
    'unless `keep_empty` is set. Elements of a json array stay json; elements of text are strings. The output has no',
    'primary key, since the copies share it.',
  ].join('\n'),
  categories: ['mapping'],
  stateless: true,
  config,
  examples: [
    {
      title: 'One row per path segment',
      summary: 'Splits each event\'s page path at "/" into one row per segment, numbered by depth.',
      yaml: `input:
  type: generate
  config:
    preset: events
    count: 100
pipeline:
  processors:
    - type: split
      config:
        field: page
        delimiter: /
        trim: true
        target_field: page_part
        index_field: depth
output:
  type: jsonl
  config:
    path: out/page-parts.jsonl
`,
    },
  ],
  create: (cfg) => new SplitProcessor(cfg),
})
