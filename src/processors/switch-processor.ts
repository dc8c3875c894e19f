/**
 * `switch`: routes each row to the first case whose condition holds; each case has its own
 * processor chain and, optionally, its own output (seed 002 §4.2, the branching flow). The engine
 * builds and runs the branches; this file decides which branch a row takes.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineRouter, expression, type ComponentSpec, type ProcessContext, type RouteBranch } from '../core/component.js'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import { compileCondition, type CompiledCondition } from '../expr/index.js'

const Component = Type.Object({
  type: Type.String({ description: 'Component type.' }),
  label: Type.Optional(Type.String({ description: 'A name for logs and the designer.' })),
  config: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'The component\'s settings.' })),
})

const Case = Type.Object({
  name: Type.Optional(Type.String({ description: 'Name of the branch, for logs, metrics and `expected_outputs` in pipeline tests. Default: `case<N>`.' })),
  condition: Type.Optional(
    Type.String(
      expression({
        description: 'Rows for which this expression is true take this branch. Omit it on the last case to catch every remaining row.',
        examples: ["type = 'order'"],
      }),
    ),
  ),
  processors: Type.Array(Component, { default: [], description: 'Processors applied to the rows of this branch.' }),
  output: Type.Optional({ ...Component, description: 'Where this branch writes. Omit it to send the rows to the pipeline\'s `output`.' }),
})

const SwitchConfig = Type.Object({
  cases: Type.Array(Case, { minItems: 1, description: 'Branches, tried in order: a row takes the first whose condition holds.' }),
  unmatched: Type.Union([Type.Literal('reject'), Type.Literal('drop')], {
    default: 'reject',
    description: 'What happens to a row no case takes: `reject` sends it to the dead-letter output, `drop` discards it on purpose.',
  }),
})

type SwitchConfigValue = Static<typeof SwitchConfig>

function caseName(config: SwitchConfigValue, index: number): string {
  return config.cases[index].name ?? `case${index}`
}

export const switchProcessor = defineRouter({
  type: 'switch',
  status: 'stable',
  summary: 'Routes each row to the first matching case, each with its own processors and output',
  description: [
    'Each case has a `condition` (an expression, see docs/expressions.md), its own `processors`,',
    'and optionally its own `output`; a case without an output continues to the pipeline\'s `output`.',
    'A case without a condition, which must be the last, takes every row the others did not.',
    'A switch is the last processor of its chain: what follows it goes inside its cases.',
  ].join('\n'),
  categories: ['routing'],
  config: SwitchConfig,
  examples: [
    {
      title: 'Route orders and refunds to different files',
      yaml: `input:
  type: csv
  config:
    path: data/events.csv
pipeline:
  processors:
    - type: switch
      config:
        cases:
          - name: orders
            condition: "kind = 'order'"
            output:
              type: jsonl
              config:
                path: out/orders.jsonl
          - name: refunds
            condition: "kind = 'refund'"
            processors:
              - type: transform
                config:
                  fields:
                    - target: amount
                      expression: "-amount"
            output:
              type: jsonl
              config:
                path: out/refunds.jsonl
          - name: other
output:
  type: csv
  config:
    path: out/other-events.csv
`,
    },
  ],
  branches(config): RouteBranch[] {
    return config.cases.map((entry, index) => ({
      name: caseName(config, index),
      path: `cases[${index}]`,
      processors: entry.processors as ComponentSpec[],
      output: entry.output as ComponentSpec | undefined,
    }))
  },
  create(config) {
    config.cases.forEach((entry, index) => {
      if (entry.condition === undefined && index !== config.cases.length - 1) {
        throw new ConfigError('switch.default_not_last', `case "${caseName(config, index)}" has no condition but is not the last case`, {
          path: `cases[${index}]`,
          hint: 'a case without a condition takes every row, so the cases after it would never be used',
        })
      }
    })
    let conditions: (CompiledCondition | undefined)[] = []
    let schema: Schema | undefined
    return {
      prepare(input: Schema): void {
        schema = input
        conditions = config.cases.map((entry, index) => {
          if (entry.condition === undefined) return undefined
          try {
            return compileCondition(entry.condition, input)
          } catch (error) {
            if (error instanceof ConfigError) throw error.under(`cases[${index}].condition`)
            throw error
          }
        })
      },
      route(batch: Batch, ctx: ProcessContext): Batch[] {
        const parts: Row[][] = config.cases.map(() => [])
        const count = conditions.length
        for (const row of batch.rows) {
          let target = -1
          try {
            for (let i = 0; i < count; i++) {
              const condition = conditions[i]
              if (condition === undefined || condition.test(row)) {
                target = i
                break
              }
            }
          } catch (error) {
            ctx.reject(row, error)
            continue
          }
          if (target >= 0) parts[target].push(row)
          else if (config.unmatched === 'reject') {
            ctx.reject(row, new RecordError('switch.unmatched', 'row matches no case of the switch', { hint: 'add a last case without a condition, or set unmatched: drop' }))
          }
        }
        return parts.map((rows) => ({ schema: schema ?? batch.schema, rows }))
      },
    }
  },
})
