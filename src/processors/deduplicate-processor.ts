/**
 * The `deduplicate` processor: passes the first row of each key and removes later rows with the
 * same key, forever or within a time window. Seen keys live in one insertion-ordered Map bounded
 * by `max_keys` (invariant 2): when it is full the oldest key is forgotten first.
 *
 * The seen keys are not saved in checkpoints: a resumed run starts with none, so a row that
 * repeats one from before the restart passes again.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type Logger, type ProcessContext, type Processor } from '../core/component.js'
import { parseDuration } from '../core/duration.js'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import { toEpochMicros } from '../core/temporal.js'
import { requireColumn, requireColumnType } from './require-column.js'
import { rowKeyFunction, type RowKey } from './row-key.js'

const config = Type.Object({
  key_fields: Type.Array(Type.String({ minLength: 1 }), {
    description: 'Columns whose values together identify a duplicate. NULLs compare equal, as in SELECT DISTINCT.',
    minItems: 1,
    examples: [['id'], ['user_id', 'event_type']],
  }),
  time_window: Type.Optional(
    Type.String({
      description:
        'A row is a duplicate only if its key was first seen less than this long before (or after, on event time). ' +
        'After that the key counts as new again. Omit to remember keys until `max_keys` pushes them out.',
      examples: ['10m', '1h', '30s'],
    }),
  ),
  time_field: Type.Optional(
    Type.String({
      description: 'Measure `time_window` on this date or timestamp column (event time) instead of the time rows are processed.',
      minLength: 1,
      examples: ['occurred_at'],
    }),
  ),
  max_keys: Type.Integer({
    description: 'Most keys remembered at once (about 100 bytes each plus the key text); beyond it the oldest are forgotten first.',
    minimum: 1,
    default: 1_000_000,
  }),
})

type DeduplicateConfig = Static<typeof config>

class DeduplicateProcessor implements Processor {
  private readonly windowMs: number | undefined
  /** Key -> time (ms) the key was first seen in its current window; 0 without a window. In insertion order. */
  private readonly seen = new Map<RowKey, number>()
  private keyOf: (row: Row) => RowKey = () => null
  private timeIndex = -1
  private latestEventMs = -Infinity
  private schema: Schema = { columns: [] }
  private duplicates = 0
  private evicted = 0

  constructor(
    private readonly config: DeduplicateConfig,
    private readonly logger: Logger,
  ) {
    if (config.time_window !== undefined) {
      const windowMs = parseDuration(config.time_window)
      if (windowMs === undefined || windowMs <= 0) {
        throw new ConfigError('config.invalid_value', `invalid duration "${config.time_window}" in time_window`, {
          path: 'time_window',
          hint: 'write a number and a unit: 500ms, 30s, 10m, 1h, 1d',
        })
      }
      this.windowMs = windowMs
    } else if (config.time_field !== undefined) {
      throw new ConfigError('config.missing_field', 'time_field needs time_window: deduplicate measures the window on it', { path: 'time_window' })
    }
  }

  prepare(schema: Schema): Schema {
    const indexes = this.config.key_fields.map((name, i) => requireColumn(schema, name, `key_fields[${i}]`, 'deduplicate key_fields'))
    this.keyOf = rowKeyFunction(
      indexes,
      indexes.map((i) => schema.columns[i].type),
    )
    if (this.config.time_field !== undefined) {
      this.timeIndex = requireColumn(schema, this.config.time_field, 'time_field', 'deduplicate')
      requireColumnType(schema, this.timeIndex, ['date', 'timestamp', 'timestamptz'], 'time_field', 'time_field must be a date or timestamp')
    }
    this.schema = schema
    return schema
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    const rows = batch.rows
    const { seen, windowMs, timeIndex } = this
    const maxKeys = this.config.max_keys
    const hasEventTime = timeIndex >= 0
    const nowMs = windowMs === undefined ? 0 : Date.now()
    if (windowMs !== undefined && !hasEventTime) this.forgetBefore(nowMs - windowMs)
    let kept = 0
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]
      let timeMs = nowMs
      if (hasEventTime) {
        const value = row[timeIndex]
        if (value === null) {
          ctx.reject(row, new RecordError('deduplicate.missing_time', `time_field "${this.config.time_field}" is NULL, so the row has no time to deduplicate on`, { column: this.config.time_field }))
          continue
        }
        timeMs = toEpochMicros(value as string)! / 1000
        if (timeMs > this.latestEventMs) this.latestEventMs = timeMs
      }
      const key = this.keyOf(row)
      const firstMs = seen.get(key)
      if (firstMs !== undefined) {
        if (windowMs === undefined || Math.abs(timeMs - firstMs) < windowMs) {
          this.duplicates++
          continue
        }
        // The key's window has passed: it starts a new one, at the young end of the Map.
        seen.delete(key)
      }
      seen.set(key, timeMs)
      if (seen.size > maxKeys) {
        seen.delete(seen.keys().next().value as RowKey)
        this.evicted++
      }
      rows[kept++] = row
    }
    rows.length = kept
    if (hasEventTime && windowMs !== undefined) this.forgetBefore(this.latestEventMs - windowMs)
    return { schema: this.schema, rows }
  }

  /**
   * Forgets keys first seen at or before `limitMs`, from the old end of the Map. On processing time
   * the Map is in time order, so this is exact; on event time it stops at the first younger key.
   */
  private forgetBefore(limitMs: number): void {
    for (const [key, firstMs] of this.seen) {
      if (firstMs > limitMs) break
      this.seen.delete(key)
    }
  }

  close(): void {
    this.logger.debug('deduplicate finished', { duplicates: this.duplicates, keysForgottenAtLimit: this.evicted, keysHeld: this.seen.size })
  }
}

export const deduplicateProcessor = defineProcessor({
  type: 'deduplicate',
  status: 'stable',
  summary: 'Removes rows whose key was already seen, forever or within a time window',
  description: [
    'Keeps the first row of each key (the values of `key_fields`) and removes the later ones. With',
    '`time_window`, a key counts as seen only for that long after its first row: measured on the time rows',
    'are processed, or with `time_field` on the rows\' own time (in either direction, so that slightly',
    'out-of-order events still match).',
    '',
    'Memory is bounded by `max_keys`: when more keys are held, the oldest is forgotten, and a later duplicate',
    'of it passes. Seen keys are not saved in checkpoints: after `fustor run --resume` the processor starts with',
    'none, so duplicates of rows from before the restart pass once more.',
  ].join('\n'),
  categories: ['filtering'],
  stateless: false,
  config,
  examples: [
    {
      title: 'One event per type and page every ten seconds',
      summary: 'Keeps the first event of each type and page, then the next one at least ten seconds of event time later.',
      yaml: `input:
  type: generate
  config:
    preset: events
    count: 3000
pipeline:
  processors:
    - type: deduplicate
      config:
        key_fields: [event_type, page]
        time_window: 10s
        time_field: occurred_at
output:
  type: jsonl
  config:
    path: out/sampled-events.jsonl
`,
    },
    {
      title: 'Distinct countries',
      yaml: `input:
  type: generate
  config:
    count: 5000
pipeline:
  processors:
    - type: deduplicate
      config:
        key_fields: [country]
    - type: mapping
      config:
        select: [country]
output:
  type: jsonl
  config:
    path: out/countries.jsonl
`,
    },
  ],
  create: (cfg, ctx) => new DeduplicateProcessor(cfg, ctx.logger),
})
