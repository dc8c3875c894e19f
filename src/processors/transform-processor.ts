/**
 * The `transform` processor: computes columns from expressions and casts columns to other types.
 *
 * Fields apply in order, each seeing the columns the previous ones made. Everything is compiled in
 * `prepare`; a row costs one compiled evaluation (or one castValue) per field. When fields only
 * replace columns, values are written into the row itself, and a row that fails is restored before
 * it goes to the dead-letter output; when they add columns, each row is rebuilt once at its final
 * width (see row-builder.ts) and the input row is left untouched.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, expression, type ProcessContext, type Processor } from '../core/component.js'
import { ConfigError, RecordError } from '../core/errors.js'
import { TYPE_NAMES, parseTypeName, type Column, type LogicalType, type ParsedTypeName, type Row, type Schema, type Value } from '../core/schema.js'
import { didYouMean } from '../core/suggest.js'
import { castValue, type CastTarget } from '../core/values.js'
import { checkSyntax, compileExpression } from '../expr/index.js'
import { requireColumn } from './require-column.js'
import { allColumns, rowBuilder } from './row-builder.js'

const target = Type.String({ description: 'Column to write: replaced if it exists, added at the end otherwise.', minLength: 1, examples: ['full_name', 'age'] })
const cast = Type.String({
  description: 'Type to convert to, as CAST does: `int`, `bigint`, `decimal(10,2)`, `float`, `bool`, `date`, `timestamp`, `timestamptz`, `string`, `json`...',
  minLength: 1,
  examples: ['int', 'decimal(10,2)', 'timestamptz'],
})

const config = Type.Object({
  fields: Type.Array(
    Type.Union([
      Type.Object({
        target,
        expression: Type.String(
          expression({ description: 'SQL-style expression computing the value (docs/expressions.md).', minLength: 1, examples: ["first_name || ' ' || last_name", 'price * quantity'] }),
        ),
        cast: Type.Optional(cast),
      }),
      Type.Object({ target, cast }),
    ]),
    {
      description: 'Columns to compute or convert, applied in order: `{target, expression}` computes a column, `{target, cast}` converts a column in place, both together convert the computed value.',
      minItems: 1,
      examples: [[{ target: 'total', expression: 'price * quantity' }, { target: 'age', cast: 'int' }]],
    },
  ),
})

type TransformConfig = Static<typeof config>
type FieldConfig = TransformConfig['fields'][number]

/** One compiled field. */
interface Step {
  readonly evaluate: ((row: Row) => Value) | undefined
  /** Where the value goes. */
  readonly index: number
  readonly cast: CastTarget | undefined
  /** The type of the value before the cast (for castValue's `from`). */
  readonly castFrom: LogicalType | undefined
}

function castTargetOf(field: FieldConfig, i: number): ParsedTypeName | undefined {
  if (field.cast === undefined) return undefined
  const parsed = parseTypeName(field.cast)
  if (parsed) return parsed
  throw new ConfigError('processor.unknown_type', `unknown type "${field.cast}" in transform cast${didYouMean(field.cast, TYPE_NAMES)}`, {
    path: `fields[${i}].cast`,
    hint: `types: ${TYPE_NAMES.join(', ')}; decimals as decimal(precision,scale)`,
  })
}

function sameType(column: Column, type: ParsedTypeName): boolean {
  return column.type === type.type && column.precision === type.precision && column.scale === type.scale
}

class TransformProcessor implements Processor {
  private readonly castTypes: (ParsedTypeName | undefined)[]
  private steps: Step[] = []
  /** Set when fields add columns: builds the output row at its final width. */
  private widen: ((row: Row) => Row) | undefined
  private output: Schema = { columns: [] }
  /** Values a failing row had before each step wrote, to restore it in place. */
  private saved: Value[] = []

  constructor(private readonly config: TransformConfig) {
    this.castTypes = config.fields.map((field, i) => castTargetOf(field, i))
    config.fields.forEach((field, i) => {
      if (!('expression' in field)) return
      try {
        checkSyntax(field.expression)
      } catch (error) {
        throw error instanceof ConfigError ? error.under(`fields[${i}].expression`) : error
      }
    })
  }

  prepare(schema: Schema): Schema {
    const columns: Column[] = [...schema.columns]
    const steps: Step[] = []
    this.config.fields.forEach((field, i) => {
      const name = field.target
      const existing = columns.findIndex((column) => column.name === name)
      const castType = this.castTypes[i]
      let evaluate: ((row: Row) => Value) | undefined
      let valueType: LogicalType | undefined
      if ('expression' in field) {
        const current: Schema = { columns: [...columns] }
        try {
          const compiled = compileExpression(field.expression, current)
          evaluate = compiled.evaluate
          valueType = compiled.type === 'null' ? undefined : compiled.type
        } catch (error) {
          throw error instanceof ConfigError ? error.under(`fields[${i}].expression`) : error
        }
      } else {
        // A cast alone converts a column that must exist.
        const index = requireColumn({ columns }, name, `fields[${i}].target`, 'transform')
        valueType = columns[index].type
        if (sameType(columns[index], castType!)) return
      }
      let column: Column
      if (castType) column = castType.precision === undefined ? { name, type: castType.type } : { name, type: castType.type, precision: castType.precision, scale: castType.scale }
      else column = { name, type: valueType ?? (existing >= 0 ? columns[existing].type : 'string') }
      const index = existing >= 0 ? existing : columns.length
      columns[index] = column
      steps.push({
        evaluate,
        index,
        cast: castType && (valueType === undefined || !sameType({ name, type: valueType }, castType)) ? { ...castType, name } : undefined,
        castFrom: valueType,
      })
    })
    this.steps = steps
    const addedCount = columns.length - schema.columns.length
    this.widen = addedCount > 0 ? rowBuilder(allColumns(schema.columns.length), addedCount) : undefined
    this.saved = new Array(steps.length)
    const replaced = new Set(steps.filter((step) => step.index < schema.columns.length).map((step) => columns[step.index].name))
    this.output = schema.primaryKey && !schema.primaryKey.some((name) => replaced.has(name)) ? { columns, primaryKey: schema.primaryKey } : { columns }
    return this.output
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    if (this.widen !== undefined) return this.processWidening(batch, ctx, this.widen)
    const rows = batch.rows
    const count = rows.length
    const steps = this.steps
    const stepCount = steps.length
    const saved = this.saved
    let kept = 0
    let r = 0
    let s = 0
    // One try around the loop rather than one per row: a failing row is restored, rejected and skipped.
    while (r < count) {
      try {
        for (; r < count; r++) {
          const row = rows[r]
          for (s = 0; s < stepCount; s++) {
            const step = steps[s]
            let value = step.evaluate === undefined ? row[step.index] : step.evaluate(row)
            if (step.cast !== undefined) value = castValue(value, step.cast, step.castFrom)
            saved[s] = row[step.index]
            row[step.index] = value
          }
          rows[kept++] = row
        }
      } catch (error) {
        if (!(error instanceof RecordError)) throw error
        const row = rows[r]
        for (let undo = s - 1; undo >= 0; undo--) row[steps[undo].index] = saved[undo]
        ctx.reject(row, error)
        r++
      }
    }
    rows.length = kept
    return { schema: this.output, rows }
  }

  /** When columns are added: each row is copied at its final width, and the input row stays as it was for rejection. */
  private processWidening(batch: Batch, ctx: ProcessContext, widen: (row: Row) => Row): Batch {
    const rows = batch.rows
    const count = rows.length
    const steps = this.steps
    const stepCount = steps.length
    let kept = 0
    let r = 0
    while (r < count) {
      try {
        for (; r < count; r++) {
          const row = widen(rows[r])
          for (let s = 0; s < stepCount; s++) {
            const step = steps[s]
            let value = step.evaluate === undefined ? row[step.index] : step.evaluate(row)
            if (step.cast !== undefined) value = castValue(value, step.cast, step.castFrom)
            row[step.index] = value
          }
          rows[kept++] = row
        }
      } catch (error) {
        if (!(error instanceof RecordError)) throw error
        ctx.reject(rows[r], error)
        r++
      }
    }
    rows.length = kept
    return { schema: this.output, rows }
  }
}

export const transformProcessor = defineProcessor({
  type: 'transform',
  status: 'stable',
  summary: 'Computes columns with SQL-style expressions and converts column types',
  description: [
    'Each entry of `fields` writes one column: `{target, expression}` computes it (a new column is added at the',
    'end, an existing one replaced), `{target, cast}` converts an existing column in place as CAST does, and',
    '`{target, expression, cast}` converts the computed value. Entries apply in order, so later expressions can',
    'use the columns earlier ones made. Expressions are compiled once per schema (docs/expressions.md).',
    '',
    'A row for which an expression fails or a value does not convert goes to the dead-letter output with the',
    'error, unchanged; the other rows continue.',
  ].join('\n'),
  categories: ['mapping'],
  stateless: true,
  config,
  examples: [
    {
      title: 'Computed columns and a cast',
      yaml: `input:
  type: generate
  config:
    count: 1000
pipeline:
  processors:
    - type: transform
      config:
        fields:
          - target: email_domain
            expression: "SPLIT_PART(email, '@', 2)"
          - target: is_senior
            expression: age >= 65
          - target: score
            cast: int
output:
  type: jsonl
  config:
    path: out/users-enriched.jsonl
`,
    },
  ],
  create: (cfg) => new TransformProcessor(cfg),
})
