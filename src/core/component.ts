/**
 * Component contracts: how inputs, processors and outputs are declared and how the engine drives them.
 *
 * A component is declared once (STYLE.md): `defineInput`, `defineProcessor`, `defineOutput` or
 * `defineRouter` take the type name, a one-line summary, a TypeBox config schema, examples and a
 * `create` function. From that object come the TypeScript config type, validation with file positions,
 * the JSON Schema the API and designer use, `fustor plugins show` and docs/reference.
 *
 * Config schemas: snake_case keys; every field has a `description`, and a `default` or `examples`.
 * A field with a default is declared required (not `Type.Optional`): the loader fills defaults before
 * validating, so `create` receives it set; the published JSON Schema lists it as not required.
 * Mark secrets with `secret()`: they are redacted from errors, logs and API responses (invariant 6).
 *
 * Lifecycle (the engine is the only caller; nothing here runs concurrently with itself unless stated):
 *
 *   create(config, ctx)   pure: no I/O, may throw ConfigError (path relative to the component config).
 *                         Processors are also created by `fustor lint` to check columns.
 *   open()                inputs and outputs connect; errors: ConfigError (bad credentials, missing
 *                         table: the user must fix something), TransientError (retried), other (fatal).
 *   read()/process()/write()
 *   ack()/commit()        see Input and Output below (invariant 1)
 *   close()               exactly once, also after a failed open; must not throw for a closed resource.
 */
import type { Static, TSchema } from 'typebox'
import type { RetryPolicy } from './backoff.js'
import type { Batch, InputBatch, Position, RejectedRecord } from './batch.js'
import type { JsonValue, Row, Schema } from './schema.js'

export type ComponentKind = 'input' | 'processor' | 'router' | 'output'
export type ComponentStatus = 'stable' | 'beta' | 'experimental'

export interface ComponentExample {
  readonly title: string
  readonly summary?: string
  /** A complete pipeline file using the component. A test lints every example, and runs those whose
   * components need no external service (with examples/ as the working directory). */
  readonly yaml: string
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

export interface ComponentContext {
  /** Config path of the component in its file, e.g. `input` or `pipeline.processors[2]`. */
  readonly path: string
  readonly logger: Logger
  /** Aborted when the run is stopping (signal, failure). */
  readonly signal: AbortSignal
  /** FUSTOR_HOME (default ~/.fustor): where state such as caches may be kept. */
  readonly home: string
}

interface DefinitionBase<S extends TSchema> {
  /** The `type:` users write. snake_case. */
  readonly type: string
  readonly status: ComponentStatus
  /** One line, no trailing period. */
  readonly summary: string
  /** Markdown, for `fustor plugins show` and the reference docs. */
  readonly description?: string
  /** Groups in the catalogue: `file`, `database`, `broker`, `utility`... */
  readonly categories?: readonly string[]
  readonly config: S
  readonly examples: readonly ComponentExample[]
  /**
   * Lists the tables (or collections, files) the component's connection can see, with their columns
   * (`fustor discover-schema`, the API's schema browser). Connects; throws as open() does.
   */
  discover?(config: Static<S>, options: DiscoverOptions): Promise<DiscoveredSchema>
  /** Where `discover` looks, without credentials and without connecting (`DiscoveredSchema.location`, the cache key). */
  location?(config: Static<S>): string
}

export interface DiscoverOptions {
  /** Table patterns (`public.*`, `orders_*`); all tables when empty. */
  readonly tables?: readonly string[]
}

/** What a source holds, as `discover` finds it; JSON, cached under FUSTOR_HOME/schema_cache/. */
export interface DiscoveredSchema {
  /** The component type: `postgresql`. */
  readonly type: string
  /** Where, without credentials: `127.0.0.1:5432/shop`. */
  readonly location: string
  readonly discovered_at: string
  readonly tables: readonly DiscoveredTable[]
}

export interface DiscoveredTable {
  readonly schema?: string
  readonly name: string
  readonly primary_key: readonly string[]
  readonly columns: readonly DiscoveredColumn[]
}

export interface DiscoveredColumn {
  readonly name: string
  /** Fustor's logical type as written in configs: `decimal(10,2)`, `timestamptz`. */
  readonly type: string
  /** The database's own type: `numeric(10,2)`, `bigint unsigned`. */
  readonly native_type?: string
  readonly nullable: boolean
}

// ---------------------------------------------------------------------------------------------- inputs

export interface InputContext extends ComponentContext {
  /** Rows per batch the input should aim for (`settings.batch_size`). */
  readonly batchSize: number
  /** How long a partial batch may wait for more rows before it is delivered (`settings.linger_ms`). */
  readonly lingerMs: number
  /** Position from the checkpoint: continue after it. Undefined for a fresh start. */
  readonly resumeFrom: Position | undefined
  /**
   * Where the last finished run of the same pipeline ended (its last position), for inputs that read
   * incrementally; undefined for the first run or with `fustor run --full-refresh`.
   */
  readonly previousRun?: Position
  /** The run's retry policy (`settings.retry`), for inputs that reconnect on their own. */
  readonly retry?: RetryPolicy
  /**
   * Every output of the run writes text rows (`OutputDefinition.writesTextRows`) and no processor
   * stands between: an input that can give its rows as COPY text directly (core/text-rows.ts) should.
   */
  readonly textRows?: boolean
}

export interface InputProgress {
  readonly rowsTotal?: number
  readonly bytesTotal?: number
  readonly bytesRead?: number
}

export interface Input {
  open(): Promise<void>
  /**
   * The next batch, or null at the end of a bounded input (or soon after `signal` aborted).
   * Never called again before the previous call resolved. For push sources, resolve with what
   * arrived within `lingerMs` once at least one record is there: a trickle is delivered within
   * milliseconds, a flood in full batches. Rows the input cannot read go in `rejected`.
   */
  read(): Promise<InputBatch | null>
  /**
   * Cumulative acknowledgement: every record of the batch whose position this is, and of every batch
   * before it, is durable in every output and the checkpoint holding the position is saved
   * (invariant 1). Called in order, not necessarily once per batch (positions may be skipped).
   * Brokers acknowledge their messages up to there; file inputs need not implement it.
   */
  ack?(position: Position): Promise<void>
  /** For progress and ETA. Cheap; called about once a second. */
  progress?(): InputProgress
  /**
   * Parallel runs: instead of `read`, the engine may take the input in splits that worker threads
   * decode on their own with the definition's `decodeSplit` (see "Parallel runs" in
   * docs/ARCHITECTURE.md). Called once, after open(); returns undefined when this input, as
   * configured and opened, cannot be split (stdin, compressed files...): the engine then calls read().
   */
  splits?(): SplitSource | undefined
  close(): Promise<void>
}

/** Splits in input order. `next` is never called again before the previous call resolved. */
export interface SplitSource {
  /** The next split, or null at the end of the input (or soon after `signal` aborted). */
  next(): Promise<InputSplit | null>
}

/**
 * A part of the input made of whole records, which `decodeSplit` turns into rows in a worker thread
 * without the input instance: its bytes (transferred to the worker, not copied) or a description of
 * what to produce (a range of row numbers), plus the JSON context the decoder needs.
 */
export interface InputSplit {
  readonly payload: Uint8Array | JsonValue
  /** Schema, dialect, source name, first line number...: anything decodeSplit needs besides payload. */
  readonly context: JsonValue
  /** Position after the last record of the split, as `read` would have reported it. */
  readonly position: Position
  /** Bytes of the source this split covers, for statistics. */
  readonly bytes: number
}

/** What decodeSplit hands to the engine: rows in batches, and records it could not read. */
export interface SplitSink {
  rows(batch: Batch): void
  rejected(record: RejectedRecord): void
}

export interface InputDefinition<S extends TSchema = TSchema> extends DefinitionBase<S> {
  readonly kind: 'input'
  /** The schema when it is known from the config alone (declared columns, a fixed shape), so that
   * lint can check column names in expressions; undefined when only reading tells. */
  staticSchema?(config: Static<S>): Schema | undefined
  create(config: Static<S>, ctx: InputContext): Input
  /**
   * Pure, and run in a worker thread: the rows of one split from `Input.splits`, in batches of about
   * `batchSize` rows, exactly as `read` would have returned them (same values, same rejected records
   * with the same locations). Throws only for a bug or a FatalError; a bad record is `rejected`.
   */
  decodeSplit?(config: Static<S>, split: Pick<InputSplit, 'payload' | 'context'>, batchSize: number, sink: SplitSink): void
}

// ------------------------------------------------------------------------------------------ processors

export interface ProcessContext {
  /** Sends a row to the dead-letter output with its error (invariant 3). `schema` defaults to the
   * schema of the batch being processed. */
  reject(row: Row, error: unknown, schema?: Schema): void
}

export interface Processor {
  /**
   * The output schema for an input schema; compiles whatever depends on it (column indexes,
   * expressions). Called by lint when the schema is known statically, and by the engine before the
   * first batch of every new schema. Throws ConfigError (path relative to the config) for an unknown
   * column. Batches passed to process() always have the schema last prepared.
   */
  prepare(schema: Schema): Schema
  /**
   * Processes one batch. Return the resulting batch (possibly with no rows when every row was
   * filtered out or rejected), or null when the rows were taken into the processor's state
   * (aggregation): acknowledgement of those input rows then waits until a later batch carrying them
   * has been written. Stateless processors never return null.
   */
  process(batch: Batch, ctx: ProcessContext): Batch | null | Promise<Batch | null>
  /** End of a bounded input: emit what the state holds. */
  flush?(ctx: ProcessContext): Batch | null | Promise<Batch | null>
  /** Called about every `settings.tick_ms` while running, for time-based state (windows). */
  tick?(nowMs: number, ctx: ProcessContext): Batch | null | Promise<Batch | null>
  /**
   * For processors that emit results while still holding state (open windows): the state to save in
   * the checkpoint. The engine calls it when a checkpoint barrier passes the processor, that is after
   * process() of the last batch the checkpoint covers and before the next; the saved value comes back
   * as `resumeState` on resume. A processor that implements it never returns null from process().
   */
  snapshot?(): JsonValue
  close?(): void | Promise<void>
}

export interface ProcessorContext extends ComponentContext {
  /** What `snapshot` returned at the last checkpoint, when the run resumes; undefined otherwise. */
  readonly resumeState: JsonValue | undefined
}

export interface ProcessorDefinition<S extends TSchema = TSchema> extends DefinitionBase<S> {
  readonly kind: 'processor'
  /** Keeps no state between batches: the engine may run copies concurrently (order kept). */
  readonly stateless: boolean
  create(config: Static<S>, ctx: ProcessorContext): Processor
}

// --------------------------------------------------------------------------------------------- routers

/** A `{type, config}` node of the pipeline file, before validation. */
export interface ComponentSpec {
  readonly type: string
  readonly config?: unknown
}

/** One branch of a router: its own processor chain, and its own output or the pipeline's. */
export interface RouteBranch {
  readonly name: string
  /** Config path of the branch, e.g. `pipeline.processors[2].config.cases[0]`, relative to the router config. */
  readonly path: string
  readonly processors: readonly ComponentSpec[]
  /** Absent: rows continue to the pipeline's `output`. */
  readonly output?: ComponentSpec
}

export interface Router {
  prepare(schema: Schema): void
  /** Splits a batch by branch: element i holds the rows for branch i (empty batches included).
   * Rows matching no branch are dropped on purpose only when the config says so. */
  route(batch: Batch, ctx: ProcessContext): Batch[]
}

/** A processor that sends rows down one of several branches (the `switch` processor). */
export interface RouterDefinition<S extends TSchema = TSchema> extends DefinitionBase<S> {
  readonly kind: 'router'
  branches(config: Static<S>): readonly RouteBranch[]
  create(config: Static<S>, ctx: ProcessorContext): Router
}

// --------------------------------------------------------------------------------------------- outputs

export interface OutputContext extends ComponentContext {
  /** What `commit` returned at the last checkpoint, when the run resumes; undefined otherwise. */
  readonly resumeState: JsonValue | undefined
}

export interface WriteContext {
  /** Sends a row that cannot be written (a value the target refuses) to the dead-letter output. */
  reject(row: Row, error: unknown): void
}

export interface Output {
  open(): Promise<void>
  /**
   * Writes a batch; resolves when the output has accepted it. Batches arrive in order, one at a
   * time. A TransientError makes the engine retry the same batch after a backoff: a write must then
   * have left nothing behind, or be idempotent (upsert).
   */
  write(batch: Batch, ctx: WriteContext): Promise<void>
  /**
   * Makes everything written so far durable and returns the state needed to resume from here
   * (e.g. the file length); saved in the checkpoint and handed back as `resumeState`. The engine
   * calls it before it saves a checkpoint (invariant 1), retrying it after a transient error. Outputs
   * whose writes are durable on return need not implement it. An output that gathers rows across
   * writes refuses the ones the target rejects through `ctx` (they count as failed, not written).
   */
  commit?(ctx?: WriteContext): Promise<JsonValue | undefined>
  /** The input ended and everything is committed: publish the result (e.g. rename into place). */
  finish?(): Promise<void>
  /**
   * Parallel runs: appends bytes that the definition's `encoder` produced in a worker thread, in
   * order, as `write` would have written those rows (the output adds what only it knows: a CSV
   * header before the first chunk, separators between JSON array chunks). Implemented together
   * with `OutputDefinition.encoder`.
   */
  writeEncoded?(chunk: EncodedChunk): Promise<void>
  close(): Promise<void>
}

/** Rows a worker thread encoded for an output. */
export interface EncodedChunk {
  readonly bytes: Uint8Array
  /** Rows the bytes hold. */
  readonly rows: number
  /** Schema of those rows (names the CSV header). */
  readonly schema: Schema
}

/** Turns batches into an output's bytes, in a worker thread. */
export interface ChunkEncoder {
  /** Encodes a batch after what was encoded before; a row it cannot write goes to `ctx.reject`. */
  encode(batch: Batch, ctx: WriteContext): void
  /** Everything encoded since the last take (undefined when nothing was), and starts afresh. */
  take(): EncodedChunk | undefined
}

export interface OutputDefinition<S extends TSchema = TSchema> extends DefinitionBase<S> {
  readonly kind: 'output'
  create(config: Static<S>, ctx: OutputContext): Output
  /** Pure, and run in worker threads: an encoder for `Output.writeEncoded` (parallel runs). */
  encoder?(config: Static<S>): ChunkEncoder
  /** The output writes a batch's `text` (core/text-rows.ts) without decoding it, where its target allows. */
  readonly writesTextRows?: boolean
}

export type ComponentDefinition = InputDefinition<any> | ProcessorDefinition<any> | RouterDefinition<any> | OutputDefinition<any>

export function defineInput<S extends TSchema>(definition: Omit<InputDefinition<S>, 'kind'>): InputDefinition<S> {
  return { kind: 'input', ...definition }
}

export function defineProcessor<S extends TSchema>(definition: Omit<ProcessorDefinition<S>, 'kind'>): ProcessorDefinition<S> {
  return { kind: 'processor', ...definition }
}

export function defineRouter<S extends TSchema>(definition: Omit<RouterDefinition<S>, 'kind'>): RouterDefinition<S> {
  return { kind: 'router', ...definition }
}

export function defineOutput<S extends TSchema>(definition: Omit<OutputDefinition<S>, 'kind'>): OutputDefinition<S> {
  return { kind: 'output', ...definition }
}

/** Schema options marking a field as an expression (docs/expressions.md): lint checks its syntax
 * even when the schema of the rows is not known in advance. */
export function expression<T extends object>(options: T): T & { 'x-expression': true } {
  return { ...options, 'x-expression': true }
}

/** Schema options marking a secret (password, token): redacted everywhere (invariant 6). */
export function secret<T extends object>(options: T): T & { 'x-secret': true; writeOnly: true } {
  return { ...options, 'x-secret': true, writeOnly: true }
}
