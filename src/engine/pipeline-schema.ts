/**
 * The shape of a pipeline file (seed 002 §3): `input`, `pipeline.processors[]`, `output`,
 * `settings`, and optional `tests`. Component configs are validated against their own schemas by
 * the loader; here a component is just `{type, config}`.
 */
import Type, { type Static } from 'typebox'
import { DURATION_SCHEMA_PATTERN, parseDuration } from '../core/duration.js'
import { ConfigError } from '../core/errors.js'
import type { RetryPolicy } from '../core/backoff.js'

export const ComponentNode = Type.Object({
  type: Type.String({ description: 'Component type, e.g. `csv`, `filter`, `postgresql` (see `fustor plugins list`).', examples: ['csv'] }),
  label: Type.Optional(Type.String({ description: 'A name for this component in logs, metrics and the designer.' })),
  config: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'The component\'s own settings (see `fustor plugins show <type>`).' })),
})

const Duration = (description: string, fallback: string) =>
  Type.Union([Type.String({ pattern: DURATION_SCHEMA_PATTERN }), Type.Number({ minimum: 0 })], {
    description: `${description} A duration: \`500ms\`, \`5s\`, \`1m\`, or a number of milliseconds.`,
    default: fallback,
  })

export const RetrySettings = Type.Object(
  {
    max_retries: Type.Integer({ minimum: 0, default: 3, description: 'Retries of a transient failure (connection reset, timeout) before the run fails.' }),
    initial_delay: Duration('Wait before the first retry.', '1s'),
    max_delay: Duration('Longest wait between retries.', '30s'),
    backoff_multiplier: Type.Number({ minimum: 1, default: 2, description: 'Each wait is the previous one times this.' }),
  },
  { description: 'Retries with exponential backoff for transient errors (seed 002 §11.2 defaults).' },
)

export const Settings = Type.Object(
  {
    batch_size: Type.Integer({ minimum: 1, default: 1000, description: 'Rows per batch read from the input.' }),
    linger: Duration('How long a partial batch may wait for more rows, so that a trickle is delivered quickly.', '5ms'),
    buffer_rows: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'Rows that may wait between two stages; default: batch_size (one batch). With batch_size this bounds memory, whatever the size of the input (invariant 2). Raise it when an output is slow to answer but fast to take a lot at once; more rows waiting costs memory and, measured here, garbage-collection time.',
        examples: [1000, 10000],
      }),
    ),
    checkpoint_interval: Duration('How often the position is checkpointed (after the outputs made everything before it durable).', '1s'),
    tick_interval: Duration('How often time-based processors (windows) are woken when no rows arrive.', '1s'),
    error_limit: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d+)?%$' })], {
      default: 0,
      description:
        'Failed records tolerated before the run fails: a count (`100`) or a percentage of records read (`"0.5%"`, checked once 1000 records are read and at the end). Failed records always go to the dead-letter output first.',
      examples: [0, 100, '1%'],
    }),
    dead_letter: Type.Optional({
      ...ComponentNode,
      description:
        'Where failed records go, with their error, component and position: any output. Default: a JSON Lines file under FUSTOR_HOME/dead_letter/.',
    }),
    retry: RetrySettings,
  },
  { description: 'How the pipeline runs.' },
)

const RowObject = Type.Record(Type.String(), Type.Unknown(), { description: 'A row: column name to value.' })

export const PipelineTestCase = Type.Object({
  name: Type.String({ description: 'What the case checks.' }),
  input: Type.Array(RowObject, { description: 'Rows fed to the processors, as mappings of column to value.' }),
  expected: Type.Optional(Type.Array(RowObject, { description: 'Rows expected at the pipeline\'s output, in order.' })),
  expected_outputs: Type.Optional(
    Type.Record(Type.String(), Type.Array(RowObject), {
      description: 'For a pipeline with a switch: rows expected per branch name (`output` for the pipeline\'s own output).',
    }),
  ),
  expected_rejected: Type.Optional(Type.Integer({ minimum: 0, description: 'How many input rows are expected to fail (go to the dead-letter output).' })),
})

export const PipelineFile = Type.Object({
  name: Type.Optional(Type.String({ description: 'Pipeline name, for logs and the checkpoint.' })),
  description: Type.Optional(Type.String({ description: 'What the pipeline is for.' })),
  input: ComponentNode,
  pipeline: Type.Object(
    {
      processors: Type.Array(ComponentNode, { default: [], description: 'Processors applied in order.' }),
      threads: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1 })], {
        default: 'auto',
        description:
          'How many batches the processors work on at once, order kept (stateless processors only). When the input can be split (files, generate) and every output can encode in parallel, batches are processed by that many worker threads. `auto`: one per CPU core (at most 4) for inputs over 16 MiB or 200,000 rows, else 1.',
        examples: ['auto', 1, 4],
      }),
    },
    { description: 'What happens to rows between input and output.' },
  ),
  output: Type.Optional(ComponentNode),
  settings: Settings,
  tests: Type.Optional(Type.Array(PipelineTestCase, { description: 'Test cases run by `fustor test` (input rows -> expected rows).' })),
})

export type PipelineFileValue = Static<typeof PipelineFile>
export type SettingsValue = Static<typeof Settings>
export type PipelineTestCaseValue = Static<typeof PipelineTestCase>

/** Settings in engine units. */
export interface RunSettings {
  readonly batchSize: number
  readonly lingerMs: number
  readonly bufferRows: number
  readonly checkpointIntervalMs: number
  readonly tickIntervalMs: number
  readonly errorLimit: { readonly count: number } | { readonly percent: number }
  readonly retry: RetryPolicy
}

function durationMs(value: string | number, path: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw new ConfigError('config.invalid_value', `invalid duration ${JSON.stringify(value)}`, { path, hint: 'write e.g. 500ms, 5s, 1m' })
  return ms
}

export function runSettings(settings: SettingsValue): RunSettings {
  const limit = settings.error_limit
  return {
    batchSize: settings.batch_size,
    lingerMs: durationMs(settings.linger, 'settings.linger'),
    bufferRows: settings.buffer_rows ?? settings.batch_size,
    checkpointIntervalMs: durationMs(settings.checkpoint_interval, 'settings.checkpoint_interval'),
    tickIntervalMs: durationMs(settings.tick_interval, 'settings.tick_interval'),
    errorLimit: typeof limit === 'number' ? { count: limit } : { percent: Number(limit.slice(0, -1)) },
    retry: {
      maxRetries: settings.retry.max_retries,
      initialDelayMs: durationMs(settings.retry.initial_delay, 'settings.retry.initial_delay'),
      maxDelayMs: durationMs(settings.retry.max_delay, 'settings.retry.max_delay'),
      multiplier: settings.retry.backoff_multiplier,
    },
  }
}
