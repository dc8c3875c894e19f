/**
 * The `aggregate` processor: GROUP BY with count, count_distinct, sum, avg, min and max.
 *
 * Two modes:
 * - Without `window`, every row goes into the state and `process` returns null (acknowledgement of
 *   those rows waits, see Processor.process); `flush` emits one row per group at the end of a bounded
 *   input.
 * - With `window`, rows fall into tumbling windows and each window is emitted once it closes: on
 *   event time when a row of a later window arrives, on processing time when `tick` (or a batch)
 *   finds the clock past its end. The open window is saved by `snapshot` and restored from
 *   `resumeState`, so `process` never returns null in this mode.
 *
 * Result types (PostgreSQL's rules, exact wherever the input is):
 *   count, count_distinct -> bigint
 *   sum(int) -> bigint; sum(bigint), sum(decimal) -> decimal (exact); sum(float) -> float
 *   avg(int | bigint | decimal) -> decimal, exact and rounded half away from zero to max(6, input scale)
 *   digits; avg(float) -> float
 *   min, max -> the input type
 * NULLs are ignored; an aggregate over no values is NULL (count: 0).
 *
 * Memory is bounded by `max_groups` and `max_distinct_values` (invariant 2): beyond them the run
 * fails with a FatalError rather than growing without limit.
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type Logger, type ProcessContext, type Processor, type ProcessorContext } from '../core/component.js'
import { compareDecimal, divideDecimal, pack, unpack } from '../core/decimal.js'
import { parseDuration } from '../core/duration.js'
import { ConfigError, FatalError, RecordError } from '../core/errors.js'
import type { Column, JsonValue, LogicalType, Row, Schema, Value } from '../core/schema.js'
import { epochMicrosToTimestamp, epochMicrosToTimestamptz, toEpochMicros } from '../core/temporal.js'
import { requireColumn, requireColumnType } from './require-column.js'
import { rowKeyFunction, valueKey, type RowKey } from './row-key.js'

const FUNCTIONS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const
type AggregateFunction = (typeof FUNCTIONS)[number]

const config = Type.Object({
  group_by: Type.Array(Type.String({ minLength: 1 }), {
    description: 'Columns to group by; one output row per distinct combination (NULL is a group of its own). Empty: one row for all input.',
    default: [],
    examples: [['country'], ['country', 'active']],
  }),
  aggregations: Type.Array(
    Type.Object({
      function: Type.Enum([...FUNCTIONS], { description: 'What to compute over each group.', examples: ['count', 'sum', 'avg'] }),
      field: Type.Optional(Type.String({ description: 'Input column; omit for `count` to count rows.', minLength: 1, examples: ['score'] })),
      target: Type.Optional(Type.String({ description: 'Output column; default `<function>_<field>`, or `count`.', minLength: 1, examples: ['avg_score'] })),
    }),
    { description: 'Aggregates to compute, in output order after the group columns.', minItems: 1, examples: [[{ function: 'count' }, { function: 'avg', field: 'score' }]] },
  ),
  window: Type.Optional(
    Type.Object(
      {
        size: Type.String({ description: 'Window length: tumbling windows aligned to the epoch (UTC).', examples: ['1m', '1h', '1d'] }),
        time_field: Type.Optional(
          Type.String({
            description: 'Date or timestamp column giving each row its window (event time). Omit to use the time rows are processed.',
            minLength: 1,
            examples: ['occurred_at'],
          }),
        ),
      },
      { description: 'Emit results per tumbling window instead of once at the end. Adds `window_start` and `window_end` columns.' },
    ),
  ),
  max_groups: Type.Integer({ description: 'Most groups held at once (across open windows); the run fails beyond it.', minimum: 1, default: 1_000_000 }),
  max_distinct_values: Type.Integer({
    description: 'Most distinct values held at once by all count_distinct aggregates together; the run fails beyond it.',
    minimum: 1,
    default: 1_000_000,
  }),
})

type AggregateConfig = Static<typeof config>

const STATE_VERSION = 1

// -------------------------------------------------------------------------------------- accumulators

/** The running state of one aggregate over one group. `save` gives JSON that `restore` reads back. */
interface Accumulator {
  add(value: Value): void
  result(): Value
  save(): JsonValue
}

/** Shared limit on distinct values held by every count_distinct of a processor. */
interface DistinctBudget {
  held: number
  readonly max: number
}

/** An aggregate bound to its input column: makes and restores accumulators. */
interface AggregateKind {
  readonly column: Column
  create(): Accumulator
  restore(state: JsonValue): Accumulator
}

class CountRows implements Accumulator {
  constructor(private count = 0) {}
  add(): void {
    this.count++
  }
  result(): Value {
    return BigInt(this.count)
  }
  save(): JsonValue {
    return this.count
  }
}

class CountValues implements Accumulator {
  constructor(private count = 0) {}
  add(value: Value): void {
    if (value !== null) this.count++
  }
  result(): Value {
    return BigInt(this.count)
  }
  save(): JsonValue {
    return this.count
  }
}

class CountDistinct implements Accumulator {
  constructor(
    private readonly type: LogicalType,
    private readonly budget: DistinctBudget,
    private readonly keys = new Set<RowKey>(),
  ) {}
  add(value: Value): void {
    if (value === null) return
    const before = this.keys.size
    this.keys.add(valueKey(value, this.type))
    if (this.keys.size > before && ++this.budget.held > this.budget.max) {
      throw new FatalError('aggregate.too_many_distinct_values', `count_distinct holds more than ${this.budget.max} distinct values`, {
        hint: 'raise max_distinct_values, or use window so that values are released as windows close',
      })
    }
  }
  result(): Value {
    return BigInt(this.keys.size)
  }
  save(): JsonValue {
    return [...this.keys].map((key) => encodeValue(key as Value, keyTypeOf(this.type)))
  }
}

/** A value's Map key is the value itself for these types, and text for the others (row-key.ts). */
function keyTypeOf(type: LogicalType): LogicalType {
  return type === 'int' || type === 'bigint' || type === 'float' || type === 'bool' ? type : 'string'
}

const SAFE_SUM = 2 ** 52

/** sum(int) -> bigint: adds doubles (exact below 2^53) and moves the total into a bigint before it could stop being exact. */
class SumInt implements Accumulator {
  constructor(
    private small = 0,
    private big = 0n,
    private hasValue = false,
  ) {}
  add(value: Value): void {
    if (value === null) return
    this.hasValue = true
    this.small += value as number
    if (this.small > SAFE_SUM || this.small < -SAFE_SUM) {
      this.big += BigInt(this.small)
      this.small = 0
    }
  }
  total(): bigint {
    return this.big + BigInt(this.small)
  }
  result(): Value {
    return this.hasValue ? this.total() : null
  }
  save(): JsonValue {
    return this.hasValue ? this.total().toString() : null
  }
}

/** Exact decimal sum held as units and scale; bigints enter with scale 0. */
class SumExact implements Accumulator {
  constructor(
    private units = 0n,
    private scale = 0,
    private hasValue = false,
  ) {}
  add(value: Value): void {
    if (value === null) return
    this.hasValue = true
    if (typeof value === 'bigint') {
      this.units += this.scale === 0 ? value : value * 10n ** BigInt(this.scale)
      return
    }
    const next = unpack(value as string)
    if (next.scale > this.scale) {
      this.units *= 10n ** BigInt(next.scale - this.scale)
      this.scale = next.scale
    }
    this.units += next.scale === this.scale ? next.units : next.units * 10n ** BigInt(this.scale - next.scale)
  }
  total(): string {
    return pack({ units: this.units, scale: this.scale })
  }
  result(): Value {
    return this.hasValue ? this.total() : null
  }
  save(): JsonValue {
    return this.hasValue ? this.total() : null
  }
}

class SumFloat implements Accumulator {
  constructor(
    private total = 0,
    private hasValue = false,
  ) {}
  add(value: Value): void {
    if (value === null) return
    this.hasValue = true
    this.total += value as number
  }
  result(): Value {
    return this.hasValue ? this.total : null
  }
  save(): JsonValue {
    return this.hasValue ? encodeValue(this.total, 'float') : null
  }
}

/** avg of int, bigint or decimal: an exact sum and a count, divided at the end. */
class AvgExact implements Accumulator {
  constructor(
    private readonly sum: SumInt | SumExact,
    private count = 0,
  ) {}
  add(value: Value): void {
    if (value === null) return
    this.count++
    this.sum.add(value)
  }
  result(): Value {
    if (this.count === 0) return null
    const total = this.sum instanceof SumInt ? this.sum.total().toString() : this.sum.total()
    return divideDecimal(total, String(this.count))
  }
  save(): JsonValue {
    return [this.sum.save(), this.count]
  }
}

class AvgFloat implements Accumulator {
  constructor(
    private total = 0,
    private count = 0,
  ) {}
  add(value: Value): void {
    if (value === null) return
    this.count++
    this.total += value as number
  }
  result(): Value {
    return this.count === 0 ? null : this.total / this.count
  }
  save(): JsonValue {
    return [encodeValue(this.total, 'float'), this.count]
  }
}

type Compare = (a: Value, b: Value) => number

/** min (direction -1) or max (direction 1) with the type's own order. */
class Extreme implements Accumulator {
  constructor(
    private readonly compare: Compare,
    private readonly direction: number,
    private readonly type: LogicalType,
    private best: Value = null,
  ) {}
  add(value: Value): void {
    if (value === null) return
    if (this.best === null || this.compare(value, this.best) * this.direction > 0) this.best = value
  }
  result(): Value {
    return this.best
  }
  save(): JsonValue {
    return encodeValue(this.best, this.type)
  }
}

const compareNatural: Compare = (a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0)
// Stored timestamptz text ends in Z, which sorts after the `.` of a fraction: compare without it.
const compareTimestamptz: Compare = (a, b) => compareNatural((a as string).slice(0, -1), (b as string).slice(0, -1))
const compareDecimals: Compare = (a, b) => compareDecimal(a as string, b as string)

function comparatorOf(type: LogicalType): Compare {
  if (type === 'decimal') return compareDecimals
  if (type === 'timestamptz') return compareTimestamptz
  return compareNatural
}

const NUMERIC: readonly LogicalType[] = ['int', 'bigint', 'decimal', 'float']
const ORDERED: readonly LogicalType[] = ['string', 'int', 'bigint', 'decimal', 'float', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid']

function aggregateKind(fn: AggregateFunction, input: Column | undefined, target: string, budget: DistinctBudget): AggregateKind {
  if (input === undefined) return { column: { name: target, type: 'bigint' }, create: () => new CountRows(), restore: (s) => new CountRows(s as number) }
  const type = input.type
  switch (fn) {
    case 'count':
      return { column: { name: target, type: 'bigint' }, create: () => new CountValues(), restore: (s) => new CountValues(s as number) }
    case 'count_distinct': {
      const keyType = keyTypeOf(type)
      return {
        column: { name: target, type: 'bigint' },
        create: () => new CountDistinct(type, budget),
        restore: (s) => {
          const keys = (s as JsonValue[]).map((key) => decodeValue(key, keyType) as RowKey)
          budget.held += keys.length
          return new CountDistinct(type, budget, new Set(keys))
        },
      }
    }
    case 'sum':
      if (type === 'int') return { column: { name: target, type: 'bigint' }, create: () => new SumInt(), restore: (s) => restoreSumInt(s) }
      if (type === 'float') return { column: { name: target, type: 'float' }, create: () => new SumFloat(), restore: (s) => (s === null ? new SumFloat() : new SumFloat(decodeValue(s, 'float') as number, true)) }
      return { column: { name: target, type: 'decimal' }, create: () => new SumExact(0n, input.scale ?? 0), restore: (s) => restoreSumExact(s) }
    case 'avg':
      if (type === 'float') {
        return {
          column: { name: target, type: 'float' },
          create: () => new AvgFloat(),
          restore: (s) => new AvgFloat(decodeValue((s as JsonValue[])[0], 'float') as number, (s as JsonValue[])[1] as number),
        }
      }
      return {
        column: { name: target, type: 'decimal' },
        create: () => new AvgExact(type === 'int' ? new SumInt() : new SumExact(0n, input.scale ?? 0)),
        restore: (s) => {
          const [sum, count] = s as [JsonValue, number]
          return new AvgExact(type === 'int' ? restoreSumInt(sum) : restoreSumExact(sum), count)
        },
      }
    case 'min':
    case 'max': {
      const compare = comparatorOf(type)
      const direction = fn === 'min' ? -1 : 1
      const column: Column = input.precision === undefined ? { name: target, type } : { name: target, type, precision: input.precision, scale: input.scale }
      return { column, create: () => new Extreme(compare, direction, type), restore: (s) => new Extreme(compare, direction, type, decodeValue(s, type)) }
    }
  }
}

function restoreSumInt(state: JsonValue): SumInt {
  return state === null ? new SumInt() : new SumInt(0, BigInt(state as string), true)
}

function restoreSumExact(state: JsonValue): SumExact {
  if (state === null) return new SumExact()
  const { units, scale } = unpack(state as string)
  return new SumExact(units, scale, true)
}

// ------------------------------------------------------------------------------ values in snapshots

/** A value as JSON that `decodeValue` turns back into the same value of `type`. */
function encodeValue(value: Value, type: LogicalType): JsonValue {
  if (value === null) return null
  switch (type) {
    case 'bigint':
      return (value as bigint).toString()
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64')
    case 'float':
      return Number.isFinite(value as number) ? (value as number) : String(value)
    default:
      return value as JsonValue
  }
}

function decodeValue(json: JsonValue, type: LogicalType): Value {
  if (json === null) return null
  switch (type) {
    case 'bigint':
      return BigInt(json as string)
    case 'bytes':
      return Buffer.from(json as string, 'base64')
    case 'float':
      return typeof json === 'string' ? Number(json) : json
    default:
      return json as Value
  }
}

// ----------------------------------------------------------------------------------------- group table

interface Group {
  readonly keys: Value[]
  readonly accumulators: Accumulator[]
}

/** What the state depends on in the input schema: the types of the group and aggregate columns. */
function signatureOf(groupTypes: readonly LogicalType[], fieldTypes: readonly (LogicalType | null)[]): string {
  return `${groupTypes.join(',')}|${fieldTypes.map((type) => type ?? '*').join(',')}`
}

/** What a snapshot holds. */
interface SavedState {
  readonly version: number
  /** The config the state was built with (configKey): another config cannot read it. */
  readonly config: string
  readonly signature: string
  readonly output: Schema
  readonly groupTypes: LogicalType[]
  readonly fieldTypes: (LogicalType | null)[]
  /** Epoch ms of the open window's start. */
  readonly windowStartMs: number | null
  /** Per group: the encoded group values, then the saved accumulators. */
  readonly groups: [JsonValue[], JsonValue[]][]
}

/**
 * Groups rows and holds their accumulators: the part both modes share. Compiled per input schema
 * by `prepare`; groups are kept across schemas as long as the columns they depend on keep their types.
 */
class GroupTable {
  groups = new Map<RowKey, Group>()
  output: Schema = { columns: [] }
  signature = ''
  groupTypes: LogicalType[] = []
  fieldTypes: (LogicalType | null)[] = []
  private groupIndexes: number[] = []
  private fieldIndexes = new Int32Array(0)
  private kinds: AggregateKind[] = []
  private keyOf: (row: Row) => RowKey = () => null
  private readonly targets: string[]
  readonly budget: DistinctBudget

  constructor(
    private readonly config: AggregateConfig,
    /** Output columns between the group columns and the aggregates (window bounds). */
    private readonly windowColumns: (schema: Schema) => Column[],
  ) {
    this.budget = { held: 0, max: config.max_distinct_values }
    this.targets = config.aggregations.map((aggregation, i) => {
      if (aggregation.field === undefined && aggregation.function !== 'count') {
        throw new ConfigError('config.missing_field', `${aggregation.function} needs a field`, { path: `aggregations[${i}].field` })
      }
      return aggregation.target ?? (aggregation.field === undefined ? 'count' : `${aggregation.function}_${aggregation.field}`)
    })
    const seen = new Set<string>(config.group_by)
    this.targets.forEach((target, i) => {
      if (seen.has(target)) {
        throw new ConfigError('processor.duplicate_column', `aggregate has two output columns named "${target}"`, {
          path: `aggregations[${i}]${config.aggregations[i].target === undefined ? '' : '.target'}`,
          hint: 'give each aggregation its own target',
        })
      }
      seen.add(target)
    })
  }

  prepare(schema: Schema): Schema {
    const { group_by: groupBy, aggregations } = this.config
    const groupIndexes = groupBy.map((name, i) => requireColumn(schema, name, `group_by[${i}]`, 'aggregate group_by'))
    const groupTypes = groupIndexes.map((i) => schema.columns[i].type)
    const fieldIndexes: number[] = []
    const fieldTypes: (LogicalType | null)[] = []
    const kinds = aggregations.map((aggregation, i) => {
      const path = `aggregations[${i}].field`
      const index = aggregation.field === undefined ? -1 : requireColumn(schema, aggregation.field, path, 'aggregate')
      if (index >= 0 && (aggregation.function === 'sum' || aggregation.function === 'avg')) {
        requireColumnType(schema, index, NUMERIC, path, `${aggregation.function} needs a number (int, bigint, decimal or float)`)
      } else if (index >= 0 && (aggregation.function === 'min' || aggregation.function === 'max')) {
        requireColumnType(schema, index, ORDERED, path, `${aggregation.function} needs a column whose values have an order (not json or bytes)`)
      }
      fieldIndexes.push(index)
      fieldTypes.push(index < 0 ? null : schema.columns[index].type)
      return aggregateKind(aggregation.function, index < 0 ? undefined : schema.columns[index], this.targets[i], this.budget)
    })
    const signature = signatureOf(groupTypes, fieldTypes)
    if (this.groups.size > 0 && this.signature !== '' && signature !== this.signature) {
      throw new FatalError('aggregate.schema_changed', 'the types of the columns aggregate groups or computes on changed while it holds groups', {
        hint: `before: ${this.signature}; now: ${signature}`,
      })
    }
    const windowColumns = this.windowColumns(schema)
    const columns: Column[] = [...groupIndexes.map((i) => schema.columns[i]), ...windowColumns, ...kinds.map((kind) => kind.column)]
    const names = new Set<string>()
    const firstTarget = groupIndexes.length + windowColumns.length
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i].name
      if (!names.has(name)) {
        names.add(name)
        continue
      }
      const path = i < groupIndexes.length ? `group_by[${i}]` : i < firstTarget ? 'window' : `aggregations[${i - firstTarget}].target`
      throw new ConfigError('processor.duplicate_column', `aggregate has two output columns named "${name}"`, { path, hint: 'give each output column its own name' })
    }
    this.groupIndexes = groupIndexes
    this.groupTypes = groupTypes
    this.fieldIndexes = Int32Array.from(fieldIndexes)
    this.fieldTypes = fieldTypes
    this.kinds = kinds
    this.keyOf = groupIndexes.length === 0 ? () => null : rowKeyFunction(groupIndexes, groupTypes)
    this.signature = signature
    // A group (within its window) is one output row: its columns are the key.
    const primaryKey = [...groupBy, ...windowColumns.slice(0, 1).map((column) => column.name)]
    this.output = primaryKey.length > 0 ? { columns, primaryKey } : { columns }
    return this.output
  }

  /** Adds one row to its group. */
  add(row: Row): void {
    const key = this.keyOf(row)
    let group = this.groups.get(key)
    if (group === undefined) group = this.newGroup(key, row)
    const accumulators = group.accumulators
    const fieldIndexes = this.fieldIndexes
    for (let i = 0; i < accumulators.length; i++) {
      const index = fieldIndexes[i]
      accumulators[i].add(index < 0 ? null : row[index])
    }
  }

  private newGroup(key: RowKey, row: Row): Group {
    if (this.groups.size >= this.config.max_groups) {
      throw new FatalError('aggregate.too_many_groups', `aggregate holds more than ${this.config.max_groups} groups`, {
        hint: 'raise max_groups, or use window so that groups are emitted as time passes',
      })
    }
    const group: Group = { keys: this.groupIndexes.map((i) => row[i]), accumulators: this.kinds.map((kind) => kind.create()) }
    this.groups.set(key, group)
    return group
  }

  /** One output row per group (with `between` after the group values), and forgets the groups. */
  drain(between: readonly Value[]): Row[] {
    const rows: Row[] = []
    for (const group of this.groups.values()) {
      const row: Row = group.keys.slice()
      for (const value of between) row.push(value)
      for (const accumulator of group.accumulators) row.push(accumulator.result())
      rows.push(row)
    }
    this.clear()
    return rows
  }

  /** The row an aggregation over no rows gives: count 0, everything else NULL. */
  emptyRow(): Row {
    return this.kinds.map((kind) => kind.create().result())
  }

  clear(): void {
    this.groups = new Map()
    this.budget.held = 0
  }

  save(windowStartMs: number | null): SavedState {
    const groups: [JsonValue[], JsonValue[]][] = []
    for (const group of this.groups.values()) {
      groups.push([group.keys.map((value, i) => encodeValue(value, this.groupTypes[i])), group.accumulators.map((accumulator) => accumulator.save())])
    }
    return {
      version: STATE_VERSION,
      config: configKey(this.config),
      signature: this.signature,
      output: this.output,
      groupTypes: this.groupTypes,
      fieldTypes: this.fieldTypes,
      windowStartMs,
      groups,
    }
  }

  /** Restores groups saved by `save`, with the kinds the saved column types give. */
  restore(state: SavedState): void {
    const columnOf = (type: LogicalType | null, i: number): Column | undefined => (type === null ? undefined : { name: `field${i}`, type })
    const kinds = this.config.aggregations.map((aggregation, i) => aggregateKind(aggregation.function, columnOf(state.fieldTypes[i], i), this.targets[i], this.budget))
    const keyOf = state.groupTypes.length === 0 ? () => null : rowKeyFunction(state.groupTypes.map((_, i) => i), state.groupTypes)
    for (const [encodedKeys, saved] of state.groups) {
      const keys = encodedKeys.map((value, i) => decodeValue(value, state.groupTypes[i]))
      this.groups.set(keyOf(keys), { keys, accumulators: saved.map((accumulatorState, i) => kinds[i].restore(accumulatorState)) })
    }
    this.signature = state.signature
    this.groupTypes = state.groupTypes
    this.fieldTypes = state.fieldTypes
    this.output = state.output
  }
}

// ------------------------------------------------------------------------------------------ processors

/** Without a window: holds everything until the input ends. */
class BoundedAggregateProcessor implements Processor {
  private readonly table: GroupTable

  constructor(private readonly config: AggregateConfig) {
    this.table = new GroupTable(config, () => [])
  }

  prepare(schema: Schema): Schema {
    return this.table.prepare(schema)
  }

  process(batch: Batch): null {
    const rows = batch.rows
    for (let r = 0; r < rows.length; r++) this.table.add(rows[r])
    return null
  }

  flush(): Batch | null {
    const table = this.table
    // Never prepared: the input delivered no batch, so there is no schema to aggregate over.
    if (table.output.columns.length === 0) return null
    // Without GROUP BY, SQL gives one row even for no input: count 0, other aggregates NULL.
    if (table.groups.size === 0 && this.config.group_by.length === 0) return { schema: table.output, rows: [table.emptyRow()] }
    return { schema: table.output, rows: table.drain([]) }
  }
}

/** What of the config decides the meaning of saved state. */
function configKey(config: AggregateConfig): string {
  const aggregations = config.aggregations.map(({ function: fn, field, target }) => ({ function: fn, field: field ?? null, target: target ?? null }))
  return JSON.stringify({ group_by: config.group_by, aggregations, window: { size: config.window?.size ?? null, time_field: config.window?.time_field ?? null } })
}

function isSavedState(value: unknown): value is SavedState {
  const state = value as Partial<SavedState> | null
  return typeof state === 'object' && state !== null && state.version === STATE_VERSION && Array.isArray(state.groups) && typeof state.signature === 'string'
}

/** With a window: one open window at a time, emitted when it closes. */
class WindowedAggregateProcessor implements Processor {
  private readonly table: GroupTable
  private readonly sizeMs: number
  private readonly timeField: string | undefined
  private timeIndex = -1
  private boundType: 'timestamp' | 'timestamptz' = 'timestamptz'
  /** Start (epoch ms) of the open window, or null when none is open. */
  private openStartMs: number | null = null

  constructor(
    private readonly config: AggregateConfig,
    ctx: ProcessorContext,
    private readonly logger: Logger,
  ) {
    const window = config.window!
    const sizeMs = parseDuration(window.size)
    if (sizeMs === undefined || sizeMs <= 0) {
      throw new ConfigError('config.invalid_value', `invalid duration "${window.size}" in window size`, {
        path: 'window.size',
        hint: 'write a number and a unit: 30s, 1m, 1h, 1d',
      })
    }
    this.sizeMs = sizeMs
    this.timeField = window.time_field
    this.table = new GroupTable(config, (schema) => this.boundColumns(schema))
    if (ctx.resumeState !== undefined && ctx.resumeState !== null) this.resume(ctx.resumeState)
  }

  private boundColumns(schema: Schema): Column[] {
    if (this.timeField !== undefined) {
      this.timeIndex = requireColumn(schema, this.timeField, 'window.time_field', 'aggregate window')
      const type = requireColumnType(schema, this.timeIndex, ['date', 'timestamp', 'timestamptz'], 'window.time_field', 'window.time_field must be a date or timestamp')
      this.boundType = type === 'timestamptz' ? 'timestamptz' : 'timestamp'
    }
    return [
      { name: 'window_start', type: this.boundType },
      { name: 'window_end', type: this.boundType },
    ]
  }

  private resume(state: JsonValue): void {
    if (!isSavedState(state)) {
      throw new FatalError('aggregate.invalid_state', 'the saved state of aggregate cannot be read', { hint: 'it was written by another version or config; start without --resume' })
    }
    if (state.config !== configKey(this.config)) {
      throw new FatalError('aggregate.invalid_state', 'the saved state of aggregate was written with another config', { hint: 'start without --resume, or restore the config' })
    }
    this.table.restore(state)
    this.openStartMs = state.windowStartMs
    this.boundType = state.output.columns[this.config.group_by.length].type === 'timestamp' ? 'timestamp' : 'timestamptz'
    this.logger.debug('aggregate resumed an open window', { groups: state.groups.length, windowStartMs: state.windowStartMs })
  }

  prepare(schema: Schema): Schema {
    return this.table.prepare(schema)
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    const rows = batch.rows
    const table = this.table
    let closed: Row[] = []
    if (this.timeField === undefined) {
      const startMs = this.windowOf(Date.now())
      if (this.openStartMs !== null && startMs > this.openStartMs) closed = this.closeWindow()
      if (rows.length > 0) this.openStartMs ??= startMs
      for (let r = 0; r < rows.length; r++) table.add(rows[r])
      return { schema: table.output, rows: closed }
    }
    const timeIndex = this.timeIndex
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]
      const time = row[timeIndex]
      if (time === null) {
        ctx.reject(row, new RecordError('aggregate.missing_time', `window time_field "${this.timeField}" is NULL, so the row belongs to no window`, { column: this.timeField }))
        continue
      }
      const startMs = this.windowOf(toEpochMicros(time as string)! / 1000)
      if (this.openStartMs !== null && startMs !== this.openStartMs) {
        if (startMs < this.openStartMs) {
          ctx.reject(row, this.lateRow(time as string, startMs))
          continue
        }
        closed = closed.length === 0 ? this.closeWindow() : closed.concat(this.closeWindow())
      }
      this.openStartMs = startMs
      table.add(row)
    }
    return { schema: table.output, rows: closed }
  }

  tick(nowMs: number): Batch | null {
    if (this.timeField !== undefined || this.openStartMs === null || nowMs < this.openStartMs + this.sizeMs) return null
    return { schema: this.table.output, rows: this.closeWindow() }
  }

  flush(): Batch | null {
    if (this.openStartMs === null) return null
    return { schema: this.table.output, rows: this.closeWindow() }
  }

  snapshot(): JsonValue {
    return this.table.save(this.openStartMs) as unknown as JsonValue
  }

  private windowOf(timeMs: number): number {
    return Math.floor(timeMs / this.sizeMs) * this.sizeMs
  }

  private closeWindow(): Row[] {
    const startMs = this.openStartMs!
    this.openStartMs = null
    return this.table.drain([this.bound(startMs), this.bound(startMs + this.sizeMs)])
  }

  private bound(epochMs: number): string {
    return this.boundType === 'timestamptz' ? epochMicrosToTimestamptz(epochMs * 1000) : epochMicrosToTimestamp(epochMs * 1000)
  }

  private lateRow(time: string, startMs: number): RecordError {
    return new RecordError(
      'aggregate.late_row',
      `row at ${time} belongs to window ${this.bound(startMs)}, which already closed (the open window starts at ${this.bound(this.openStartMs!)})`,
      { column: this.timeField },
    )
  }
}

export const aggregateProcessor = defineProcessor({
  type: 'aggregate',
  status: 'beta',
  summary: 'Groups rows and computes count, count_distinct, sum, avg, min and max, once or per time window',
  description: [
    'Outputs one row per group: the `group_by` columns, then (with `window`) `window_start` and `window_end`,',
    'then one column per aggregation. NULLs are ignored as in SQL; `count` without a field counts rows.',
    '',
    'Result types: `count` and `count_distinct` give bigint; `sum` of int gives bigint, of bigint or decimal an',
    'exact decimal, of float a float; `avg` of int, bigint or decimal gives an exact decimal rounded half away',
    'from zero to 6 digits (or the input\'s scale if larger), of float a float; `min` and `max` keep the input type.',
    '',
    'Without `window`, results are emitted once, when a bounded input ends; rows are held until then and',
    'acknowledged after the results are written. With `window`, tumbling windows of `size` aligned to the epoch',
    '(UTC) are emitted as they close. On event time (`time_field`) a window closes when a row of a later window',
    'arrives, and a row for a window that already closed goes to the dead-letter output as late. On processing',
    'time a window closes when the clock passes its end. The open window is saved in checkpoints and restored',
    'by `fustor run --resume`.',
    '',
    '`max_groups` and `max_distinct_values` bound memory: the run fails rather than exceeding them.',
  ].join('\n'),
  categories: ['aggregation'],
  stateless: false,
  config,
  examples: [
    {
      title: 'Users per country',
      yaml: `input:
  type: generate
  config:
    count: 10000
pipeline:
  processors:
    - type: aggregate
      config:
        group_by: [country]
        aggregations:
          - function: count
          - function: avg
            field: score
          - function: max
            field: created_at
            target: last_signup
output:
  type: jsonl
  config:
    path: out/users-by-country.jsonl
`,
    },
    {
      title: 'Events per minute and type',
      summary: 'Tumbling one-minute windows on the events\' own time.',
      yaml: `input:
  type: generate
  config:
    preset: events
    count: 3000
pipeline:
  processors:
    - type: aggregate
      config:
        group_by: [event_type]
        aggregations:
          - function: count
            target: events
          - function: count_distinct
            field: user_id
            target: users
        window:
          size: 1m
          time_field: occurred_at
output:
  type: jsonl
  config:
    path: out/events-per-minute.jsonl
`,
    },
  ],
  create: (cfg, ctx) => (cfg.window === undefined ? new BoundedAggregateProcessor(cfg) : new WindowedAggregateProcessor(cfg, ctx, ctx.logger)),
})

