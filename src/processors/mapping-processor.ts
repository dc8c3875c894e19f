/**
 * The `mapping` processor: renames, selects and drops columns. Everything is resolved in
 * `prepare`: when only names change, rows pass through untouched; when columns are only removed,
 * the kept values move down within each row; when they are reordered, each row is rebuilt by a
 * generated array literal (row-builder.ts).
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type Processor } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import type { Column, Row, Schema } from '../core/schema.js'
import { requireColumn } from './require-column.js'
import { rowBuilder } from './row-builder.js'

const config = Type.Object({
  mappings: Type.Record(Type.String(), Type.String({ minLength: 1 }), {
    description: 'Renames: `old_name: new_name`. Columns not listed keep their names.',
    default: {},
    examples: [{ user_name: 'username', created: 'created_at' }],
  }),
  select: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'Keeps only these columns, in this order. Names are input names (before renaming). Omit to keep every column.',
      minItems: 1,
      examples: [['id', 'user_name', 'email']],
    }),
  ),
  drop: Type.Array(Type.String({ minLength: 1 }), {
    description: 'Removes these columns. Names are input names (before renaming).',
    default: [],
    examples: [['password_hash', 'internal_notes']],
  }),
})

type MappingConfig = Static<typeof config>

/** How a prepared mapping moves values: not at all, by compacting rows in place, or into new rows. */
type Shape = 'same' | 'compact' | 'rebuild'

class MappingProcessor implements Processor {
  private output: Schema = { columns: [] }
  /** Output column j takes input column sources[j]. */
  private sources = new Int32Array(0)
  private shape: Shape = 'same'
  private build: (row: Row) => Row = (row) => row

  constructor(private readonly config: MappingConfig) {
    const seen = new Set<string>()
    config.select?.forEach((name, i) => {
      if (seen.has(name)) throw new ConfigError('processor.duplicate_column', `column "${name}" is selected twice in mapping`, { path: `select[${i}]` })
      seen.add(name)
    })
  }

  prepare(schema: Schema): Schema {
    const { mappings, select, drop } = this.config
    const inputNames = new Set(schema.columns.map((column) => column.name))
    const lookup = (name: string, path: string): number => {
      const renamedFrom = inputNames.has(name) ? undefined : Object.keys(mappings).find((old) => mappings[old] === name)
      if (renamedFrom !== undefined) {
        throw new ConfigError('processor.unknown_column', `unknown column "${name}" in mapping: select and drop name input columns, and "${name}" is the new name of "${renamedFrom}"`, {
          path,
          hint: `write "${renamedFrom}"`,
        })
      }
      return requireColumn(schema, name, path, 'mapping')
    }
    for (const old of Object.keys(mappings)) lookup(old, `mappings.${old}`)
    const dropped = new Set(drop.map((name, i) => lookup(name, `drop[${i}]`)))
    const chosen = select ? select.map((name, i) => lookup(name, `select[${i}]`)) : schema.columns.map((_, i) => i)
    const sources = chosen.filter((index) => !dropped.has(index))

    const columns: Column[] = []
    const owner = new Map<string, string>()
    for (const index of sources) {
      const column = schema.columns[index]
      const name = mappings[column.name] ?? column.name
      const earlier = owner.get(name)
      if (earlier !== undefined) {
        const renamed = mappings[column.name] !== undefined ? column.name : earlier
        throw new ConfigError('processor.duplicate_column', `mapping gives two columns the name "${name}" ("${earlier}" and "${column.name}")`, {
          path: `mappings.${renamed}`,
          hint: 'rename or drop one of them',
        })
      }
      owner.set(name, column.name)
      columns.push(name === column.name ? column : { ...column, name })
    }

    this.sources = Int32Array.from(sources)
    this.output = { columns }
    const primaryKey = schema.primaryKey?.map((name) => (sources.some((i) => schema.columns[i].name === name) ? (mappings[name] ?? name) : undefined))
    if (primaryKey && primaryKey.length > 0 && primaryKey.every((name) => name !== undefined)) this.output = { columns, primaryKey: primaryKey as string[] }

    const isIncreasing = sources.every((index, j) => j === 0 || index > sources[j - 1])
    this.shape = isIncreasing && sources.length === schema.columns.length ? 'same' : isIncreasing ? 'compact' : 'rebuild'
    this.build = rowBuilder(sources)
    return this.output
  }

  process(batch: Batch): Batch {
    const rows = batch.rows
    const sources = this.sources
    const width = sources.length
    if (this.shape === 'compact') {
      // Kept columns keep their order: move them down within each row, then cut the tail.
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]
        for (let j = 0; j < width; j++) row[j] = row[sources[j]]
        row.length = width
      }
    } else if (this.shape === 'rebuild') {
      const build = this.build
      for (let r = 0; r < rows.length; r++) rows[r] = build(rows[r])
    }
    return { schema: this.output, rows }
  }
}

export const mappingProcessor = defineProcessor({
  type: 'mapping',
  status: 'stable',
  summary: 'Renames, selects and drops columns',
  description: [
    '`select` keeps only the listed columns in the listed order; `drop` removes columns; `mappings` renames',
    'what is kept. `select` and `drop` name input columns (the names before renaming), so a mapping reads',
    'like `SELECT user_name AS username`. Renaming to a name another kept column has is an error.',
    '',
    'When only names change, rows pass through untouched; otherwise values are moved with a precomputed',
    'index list.',
  ].join('\n'),
  categories: ['mapping'],
  stateless: true,
  config,
  examples: [
    {
      title: 'Rename and keep a few columns',
      yaml: `input:
  type: generate
  config:
    count: 1000
pipeline:
  processors:
    - type: mapping
      config:
        select: [id, name, email, created_at]
        mappings:
          name: full_name
          created_at: signed_up_at
output:
  type: jsonl
  config:
    path: out/users.jsonl
`,
    },
    {
      title: 'Drop columns',
      yaml: `input:
  type: generate
  config:
    preset: orders
    count: 1000
pipeline:
  processors:
    - type: mapping
      config:
        drop: [currency, status]
output:
  type: drop
  config: {}
`,
    },
  ],
  create: (cfg) => new MappingProcessor(cfg),
})
