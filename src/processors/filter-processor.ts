/**
 * The `filter` processor: keeps (or removes) the rows for which a SQL-style condition holds.
 * The condition is compiled once per schema in `prepare`; a batch costs one call of the compiled
 * test per row, and kept rows are moved down within the batch's own array (no new rows).
 *
 * This is the file to copy for a new stateless processor.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, expression, type ProcessContext, type Processor } from '../core/component.js'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import { checkSyntax, compileCondition } from '../expr/index.js'

const config = Type.Object({
  condition: Type.String(
    expression({
      description: 'SQL-style condition (docs/expressions.md). A row matches when it is true; NULL does not match.',
      minLength: 1,
      examples: ["age >= 18 AND status = 'active'", "country IN ('DE', 'FR') AND email LIKE '%@example.com'"],
    }),
  ),
  mode: Type.Enum(['include', 'exclude'], {
    description: '`include` keeps the matching rows, `exclude` removes them (and keeps rows where the condition is NULL).',
    default: 'include',
  }),
})

type FilterConfig = Static<typeof config>

/** A ConfigError from the expression compiler, placed at the `condition` field. */
function atCondition(error: unknown): unknown {
  return error instanceof ConfigError ? error.under('condition') : error
}

class FilterProcessor implements Processor {
  private readonly isKeptOnMatch: boolean
  private test: (row: Row) => boolean = () => false
  private schema: Schema = { columns: [] }

  constructor(private readonly config: FilterConfig) {
    this.isKeptOnMatch = config.mode === 'include'
    try {
      checkSyntax(config.condition)
    } catch (error) {
      throw atCondition(error)
    }
  }

  prepare(schema: Schema): Schema {
    try {
      this.test = compileCondition(this.config.condition, schema).test
    } catch (error) {
      throw atCondition(error)
    }
    this.schema = schema
    return schema
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    const rows = batch.rows
    const count = rows.length
    const test = this.test
    const isKeptOnMatch = this.isKeptOnMatch
    let kept = 0
    let r = 0
    // The try block wraps the whole loop, not each row: a failing row is rejected and the loop resumes after it.
    while (r < count) {
      try {
        for (; r < count; r++) {
          const row = rows[r]
          if (test(row) === isKeptOnMatch) rows[kept++] = row
        }
      } catch (error) {
        if (!(error instanceof RecordError)) throw error
        ctx.reject(rows[r], error)
        r++
      }
    }
    rows.length = kept
    return { schema: this.schema, rows }
  }
}

export const filterProcessor = defineProcessor({
  type: 'filter',
  status: 'stable',
  summary: 'Keeps or removes rows with a SQL-style condition',
  description: [
    'Evaluates `condition` for each row. With `mode: include` (the default) the rows where it is true pass and',
    'the others are removed; with `mode: exclude` the rows where it is true are removed. NULL is not true: a',
    'row whose condition is NULL is removed by include and kept by exclude.',
    '',
    'A row whose condition cannot be evaluated (a value that does not convert, a division by zero) goes to the',
    'dead-letter output with the error; the other rows continue. Column names are checked before the first',
    'row, and `fustor lint` checks them when the input\'s schema is known.',
  ].join('\n'),
  categories: ['filtering'],
  stateless: true,
  config,
  examples: [
    {
      title: 'Active adults',
      yaml: `input:
  type: generate
  config:
    count: 10000
pipeline:
  processors:
    - type: filter
      config:
        condition: "active AND age >= 18 AND country IN ('DE', 'FR', 'NL')"
output:
  type: jsonl
  config:
    path: out/active-adults.jsonl
`,
    },
    {
      title: 'Remove test accounts',
      yaml: `input:
  type: generate
  config:
    count: 1000
pipeline:
  processors:
    - type: filter
      config:
        condition: "email LIKE '%@mail.test'"
        mode: exclude
output:
  type: drop
  config: {}
`,
    },
  ],
  create: (cfg) => new FilterProcessor(cfg),
})
