/**
 * Runs a validated pipeline plan: input -> bounded queue -> processor chain (and switch branches) ->
 * one bounded queue per output -> output. See docs/ARCHITECTURE.md "Data flow" and "Checkpoints".
 *
 * Loops that run concurrently on the event loop:
 *   reader        calls input.read() and pushes batches into the input queue (waits when it is full)
 *   processor     takes batches in order, runs them through the processor chain into the output
 *                 queues, sends failed records to the dead-letter writer, injects checkpoint barriers
 *   sink          one per output: writes batches in order (retrying transient errors) and commits the
 *                 output when a barrier arrives
 *   dead letter   writes failed records to the dead-letter output (opened on the first one)
 *
 * Checkpoints (invariant 1) use barriers, as Flink does. Every `checkpoint_interval`, between two
 * batches and only when no processor holds rows in its state, the processor loop snapshots the
 * stateful processors and pushes a barrier carrying the position of the last batch it processed into
 * every output queue. An output that reaches the barrier has written everything before it; it commits
 * (fsync, transaction) and reports its state. When every output has, the barrier goes to the
 * dead-letter writer, which by then holds every failure from before it; when that has committed too,
 * the checkpoint is saved and the input is acknowledged up to the barrier's position.
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import type { Batch, InputBatch, Position } from '../core/batch.js'
import type { EncodedChunk, Input, Logger, Output, OutputDefinition, SplitSource, WriteContext } from '../core/component.js'
import { withRetries } from '../core/backoff.js'
import { compareDecimal, multiplyDecimal, numberToDecimal } from '../core/decimal.js'
import { ConfigError, FatalError, errorMessage } from '../core/errors.js'
import { rowCount } from '../core/text-rows.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import { BoundedQueue, QUEUE_TIMEOUT } from './bounded-queue.js'
import { CHECKPOINT_VERSION, type Checkpoint, type CheckpointStore, type RunCounters } from './checkpoint-store.js'
import { DEAD_LETTER_SCHEMA, deadLetterRow, redactor, type FailedRecord } from './dead-letter.js'
import type { ComponentPlan, PipelinePlan } from './pipeline-loader.js'
import { ProcessorChain, describeComponent } from './processor-chain.js'
import { SplitPool } from './split-pool.js'
import { SplitRunner } from './split-runner.js'
import { errorFromData, failureFromData, splitPlan, whyNotParallel, type SplitResult } from './split-plan.js'

export interface RunOptions {
  /** FUSTOR_HOME. */
  readonly home: string
  readonly logger: Logger
  readonly checkpoints: CheckpointStore
  /** Continue from this checkpoint (`fustor run --resume`). */
  readonly resume?: Checkpoint
  /** Where failed records go when the file sets no `settings.dead_letter`. */
  readonly defaultDeadLetter?: ComponentPlan<OutputDefinition>
  /** Identifies the run in the checkpoint; a resumed run keeps the checkpoint's. */
  readonly runId?: string
  /**
   * URL of the worker-thread entry of parallel runs: a module of the wiring that calls
   * `serveSplits(registry)` (src/cli/split-worker-main.ts). Without it a run stays on one thread.
   */
  readonly workerModule?: string
  /** Ignore where the last finished run ended (`fustor run --full-refresh`): incremental inputs read everything. */
  readonly fullRefresh?: boolean
}

/** `threads: auto` goes parallel from this input size on: below it, starting workers costs more. */
const AUTO_PARALLEL_BYTES = 16 * 1024 * 1024
const AUTO_PARALLEL_ROWS = 200_000
const AUTO_MAX_THREADS = 4

export type RunStatus = 'completed' | 'stopped' | 'failed'

export interface RunResult {
  readonly status: RunStatus
  readonly counters: RunCounters
  readonly durationMs: number
  /** Why the run failed. A ConfigError means the user must fix the file or the environment. */
  readonly error?: unknown
  /** Where failed records were written, when any were. */
  readonly deadLetter?: { readonly component: string; readonly records: number }
  /** Whether a checkpoint remains to `--resume` from. */
  readonly isResumable: boolean
}

export interface RunProgress {
  readonly read: number
  readonly written: number
  readonly failed: number
  readonly bytes: number
  readonly elapsedMs: number
  readonly rowsTotal?: number
  readonly bytesTotal?: number
  readonly bytesRead?: number
}

interface DataItem {
  readonly kind: 'data'
  readonly batch: Batch
  readonly position: Position | undefined
}

interface Barrier {
  /** 1 for the run's first barrier, then 2...: failed records say after which barrier they came. */
  readonly epoch: number
  readonly position: Position
  readonly snapshots: Record<string, JsonValue>
  readonly read: number
  readonly isFinal: boolean
  readonly outputStates: Record<string, JsonValue>
  readonly pending: Set<string>
  written: number
  failed: number
}

interface EncodedItem {
  readonly kind: 'encoded'
  readonly chunk: EncodedChunk
  readonly position: Position
}

type SinkItem = DataItem | EncodedItem | { readonly kind: 'barrier'; readonly barrier: Barrier }

interface InputItem {
  readonly batch: InputBatch
  readonly rows: number
}

interface Sink {
  readonly path: string
  readonly label: string
  readonly plan: ComponentPlan<OutputDefinition>
  output: Output | undefined
  isOpen: boolean
  readonly queue: BoundedQueue<SinkItem>
  written: number
}

/** A failed record with the number of barriers created before its batch (0: before the first). */
type PendingRecord = FailedRecord & { readonly epoch: number }

interface DeadLetter {
  readonly sink: Sink
  /** Failed records and barriers in arrival order, drained by the dead-letter loop. */
  pending: (PendingRecord | Barrier)[]
  wake: (() => void) | undefined
  /** The first record waits for a barrier: more failed records do not wake the loop. */
  isAwaitingBarrier: boolean
  records: number
}

const NO_POSITION = Symbol('no position')

export class PipelineRun {
  private readonly plan: PipelinePlan
  private readonly options: RunOptions
  private readonly logger: Logger
  private readonly redact: (text: string) => string
  private readonly abort = new AbortController()
  /** Aborted when the run fails, not when it stops: a stop still lets writes retry and finish. */
  private readonly failing = new AbortController()
  private readonly inputQueue: BoundedQueue<InputItem>
  private readonly resumed: RunCounters
  private readonly counters: RunCounters
  private readonly startedAt = Date.now()
  private readonly runId: string
  private readonly runStartedAt: string
  private input: Input | undefined
  private chain: ProcessorChain<Position | undefined> | undefined
  private readonly sinks: Sink[] = []
  private deadLetter: DeadLetter | undefined
  private isStopping = false
  private hasInputEnded = false
  private failure: unknown
  /** The failure lets what was read be written and checkpointed (error limit), rather than abort. */
  private isGracefulFailure = false
  private isCheckpointDue = false
  private processedRead: number
  private lastPosition: Position | typeof NO_POSITION = NO_POSITION
  private lastBarrierRead = -1
  private checkpointChain: Promise<void> = Promise.resolve()
  private hasCheckpoint = false
  private isFinalCheckpointSaved = false
  private sinksDone = 0
  /** The last checkpoint saved, so that finish() can note the outputs it publishes in it. */
  private lastCheckpoint: Checkpoint | undefined
  /** Barriers created so far; failed records of the batches that follow barrier N carry epoch N. */
  private barriers = 0
  /** Set when the run is parallel: splits of the input, processed by worker threads. */
  private parallel: { readonly source: SplitSource; readonly pool: SplitPool; readonly threads: number } | undefined

  constructor(plan: PipelinePlan, options: RunOptions) {
    this.plan = plan
    this.options = options
    this.redact = redactor(plan.secrets)
    this.logger = redactingLogger(options.logger, this.redact)
    this.inputQueue = new BoundedQueue<InputItem>(plan.settings.bufferRows, (item) => item.rows)
    this.resumed = { ...(options.resume?.counters ?? { read: 0, written: 0, failed: 0, bytes: 0 }) }
    this.counters = { ...this.resumed }
    this.processedRead = this.counters.read
    this.runId = options.resume?.run_id ?? options.runId ?? newRunId()
    this.runStartedAt = options.resume?.started_at ?? new Date().toISOString()
  }

  /** Stop gracefully: stop reading, write what was read, checkpoint, close. Safe to call twice. */
  stop(): void {
    if (this.isStopping) return
    this.isStopping = true
    this.abort.abort()
  }

  progress(): RunProgress {
    const inputProgress = this.input?.progress?.() ?? {}
    return {
      read: this.counters.read,
      written: this.counters.written,
      failed: this.counters.failed,
      bytes: this.counters.bytes,
      elapsedMs: Date.now() - this.startedAt,
      ...inputProgress,
    }
  }

  async run(): Promise<RunResult> {
    const timer = setInterval(() => {
      this.isCheckpointDue = true
    }, Math.max(this.plan.settings.checkpointIntervalMs, 10))
    try {
      await this.open()
      const loops = [
        ...(this.parallel ? [this.parallelLoop()] : [this.readLoop(), this.processLoop()]),
        ...this.sinks.map((sink) => this.sinkLoop(sink)),
      ]
      if (this.deadLetter) loops.push(this.deadLetterLoop(this.deadLetter))
      await Promise.all(loops)
      await this.checkpointChain
      if (!this.failure && this.hasInputEnded && this.isFinalCheckpointSaved) await this.finish()
    } catch (error) {
      this.fail(error)
    } finally {
      clearInterval(timer)
      await this.closeAll()
    }
    return this.result()
  }

  // ------------------------------------------------------------------------------------ open/close

  private async open(): Promise<void> {
    const { plan, options } = this
    const resume = options.resume
    const base = { logger: this.logger, signal: this.abort.signal, home: options.home }
    this.chain = new ProcessorChain<Position | undefined>(
      plan.processors,
      plan.output,
      base,
      {
        deliver: (outputPath, batch, position) => this.sinkAt(outputPath).queue.push({ kind: 'data', batch, position }),
        reject: (failure, position) => this.reject({ ...failure, position }),
      },
      resume?.processors,
    )
    for (const { plan: outputPlan } of this.chain.outputs()) this.sinks.push(this.newSink(outputPlan))
    // Every output of the interrupted run is in its checkpoint. One that is not was added to the file
    // since: resumed, it would only get the rows after the checkpoint (invariant 1).
    const added = resume ? this.sinks.find((sink) => !(sink.path in resume.outputs)) : undefined
    if (added) {
      throw new ConfigError('checkpoint.output_added', `${added.label} was not in the pipeline when the interrupted run started: resumed, it would miss the rows written before`, {
        path: added.path,
        hint: 'run without --resume to start over, or restore the file as it was',
      })
    }
    const deadLetterPlan = plan.deadLetter ?? options.defaultDeadLetter
    if (deadLetterPlan) this.deadLetter = { sink: this.newSink(deadLetterPlan), pending: [], wake: undefined, isAwaitingBarrier: false, records: 0 }
    // Outputs open first: a destination that cannot be reached fails the run before anything is read.
    // Outputs a resumed run already published (status finishing) stay closed: their part files are
    // gone, renamed into place.
    const published = new Set(resume?.finished ?? [])
    for (const sink of this.sinks) if (!published.has(sink.path)) await this.openSink(sink)
    // The dead-letter output opens on the first failed record, or now if it has a run to continue.
    if (this.deadLetter && resume?.outputs[this.deadLetter.sink.path] != null && !published.has(this.deadLetter.sink.path)) await this.openSink(this.deadLetter.sink)
    const input = await inComponent(plan.input.path, async () =>
      plan.input.definition.create(plan.input.config, {
        ...base,
        path: plan.input.path,
        batchSize: plan.settings.batchSize,
        lingerMs: plan.settings.lingerMs,
        resumeFrom: resume?.input.position,
        previousRun: this.options.fullRefresh ? undefined : await this.options.checkpoints.loadLastRun(this.plan.file),
        retry: plan.settings.retry,
        textRows: this.chain!.passesBatchesThrough && this.sinks.every((sink) => sink.plan.definition.writesTextRows === true),
      }),
    )
    this.input = input
    await this.retrying(`open ${describeComponent(plan.input)}`, () => inComponent(plan.input.path, () => input.open()))
    this.parallel = this.parallelism(input)
  }

  /** Workers for a parallel run, when `pipeline.threads` asks for it and the pipeline allows it. */
  private parallelism(input: Input): PipelineRun['parallel'] {
    const { threads } = this.plan
    const workerModule = this.options.workerModule
    if (threads === 1 || !workerModule) return undefined
    const reason = whyNotParallel(this.plan)
    if (reason) {
      if (threads !== 'auto') this.logger.info(`pipeline.threads: batches stay on the main thread (${reason}); up to ${threads} at once`)
      return undefined
    }
    let count: number
    if (threads === 'auto') {
      const { bytesTotal = 0, rowsTotal = 0 } = input.progress?.() ?? {}
      if (bytesTotal < AUTO_PARALLEL_BYTES && rowsTotal < AUTO_PARALLEL_ROWS) return undefined
      count = Math.min(availableParallelism(), AUTO_MAX_THREADS)
      if (count < 2) return undefined
    } else {
      count = threads
    }
    const source = input.splits?.()
    if (!source) return undefined
    // The main thread is one of the lanes: it would otherwise idle while the workers decode.
    const local = new SplitRunner({ input: this.plan.input, processors: this.plan.processors, output: this.plan.output, batchSize: this.plan.settings.batchSize })
    this.logger.info(`running on ${count} threads: this one and ${count - 1} worker${count > 2 ? 's' : ''}`)
    return { source, pool: new SplitPool(splitPlan(this.plan), count - 1, workerModule, local), threads: count }
  }

  private newSink(plan: ComponentPlan<OutputDefinition>): Sink {
    return {
      path: plan.path,
      label: describeComponent(plan),
      plan,
      output: undefined,
      isOpen: false,
      queue: new BoundedQueue<SinkItem>(this.plan.settings.bufferRows, (item) => (item.kind === 'data' ? rowCount(item.batch) : item.kind === 'encoded' ? item.chunk.rows : 0)),
      written: 0,
    }
  }

  private sinkAt(path: string): Sink {
    return this.sinks.find((sink) => sink.path === path)!
  }

  private async openSink(sink: Sink): Promise<Output> {
    if (sink.output && sink.isOpen) return sink.output
    const output = await inComponent(sink.path, async () =>
      sink.plan.definition.create(sink.plan.config, {
        logger: this.logger,
        signal: this.abort.signal,
        home: this.options.home,
        path: sink.path,
        resumeState: this.options.resume?.outputs[sink.path] ?? undefined,
      }),
    )
    sink.output = output
    await this.retrying(`open ${sink.label}`, () => inComponent(sink.path, () => output.open()))
    sink.isOpen = true
    return output
  }

  private allSinks(): Sink[] {
    return this.deadLetter ? [...this.sinks, this.deadLetter.sink] : this.sinks
  }

  private async closeAll(): Promise<void> {
    const report = (label: string, error: unknown): void => this.logger.warn(`closing ${label} failed: ${errorMessage(error)}`)
    try {
      await this.input?.close()
    } catch (error) {
      report(describeComponent(this.plan.input), error)
    }
    await this.chain?.close(report)
    await this.parallel?.pool.close()
    for (const sink of this.allSinks()) {
      try {
        await sink.output?.close()
      } catch (error) {
        report(sink.label, error)
      }
    }
  }

  /** Everything is written and checkpointed: publish the outputs, forget the checkpoint. */
  /**
   * Publishes the outputs one by one, noting each in the checkpoint once done: if one fails (a
   * target turned into a directory, a full disk), `--resume` publishes the others and leaves the
   * published ones alone.
   */
  private async finish(): Promise<void> {
    const finished = new Set(this.options.resume?.finished ?? [])
    for (const sink of this.allSinks()) {
      const output = sink.output
      if (finished.has(sink.path) || !sink.isOpen || !output?.finish) continue
      await this.retrying(`finish ${sink.label}`, () => inComponent(sink.path, () => output.finish!()), this.failing.signal)
      finished.add(sink.path)
      if (this.lastCheckpoint) {
        this.lastCheckpoint = { ...this.lastCheckpoint, updated_at: new Date().toISOString(), finished: [...finished] }
        await this.options.checkpoints.save(this.lastCheckpoint)
      }
    }
    // Where this run ended, for the next run of the file (incremental inputs continue above it). A run
    // that read nothing keeps the last one's.
    const position = this.lastPosition === NO_POSITION ? this.options.resume?.input.position : this.lastPosition
    if (position !== undefined && position !== null) await this.options.checkpoints.saveLastRun(this.plan.file, { run_id: this.runId, finished_at: new Date().toISOString(), position })
    await this.options.checkpoints.remove(this.plan.file)
    this.hasCheckpoint = false
  }

  // ------------------------------------------------------------------------------------------ loops

  private async readLoop(): Promise<void> {
    const input = this.input!
    try {
      while (!this.isStopping && !this.failure) {
        const reading = this.retrying(`read ${describeComponent(this.plan.input)}`, () => inComponent(this.plan.input.path, () => input.read()))
        const batch = await unlessAborted(reading, this.abort.signal)
        if (batch === null) {
          this.hasInputEnded = !this.isStopping && !this.failure
          break
        }
        const rows = rowCount(batch) + (batch.rejected?.length ?? 0)
        this.counters.read += rows
        this.counters.bytes += batch.bytes ?? 0
        await this.inputQueue.push({ batch, rows })
      }
    } catch (error) {
      this.fail(error)
    } finally {
      this.inputQueue.close()
    }
  }

  private async processLoop(): Promise<void> {
    const chain = this.chain!
    const { tickIntervalMs, checkpointIntervalMs } = this.plan.settings
    const idleMs = Math.max(5, Math.min(tickIntervalMs, checkpointIntervalMs))
    // pipeline.threads: batches in the main chain's (stateless) processors at once. Results are
    // delivered in input order; a barrier or a change of schema waits until they all are.
    const window: { item: InputItem; result: Promise<Batch | null> }[] = []
    const concurrency = typeof this.plan.threads === 'number' ? this.plan.threads : 1
    let windowSchema: Schema | undefined
    const deliverOldest = async (): Promise<void> => {
      const { item, result } = window.shift()!
      await chain.deliver(await result, item.batch.position)
      this.lastPosition = item.batch.position
      this.processedRead += item.rows
    }
    const drain = async (): Promise<void> => {
      while (window.length > 0) await deliverOldest()
    }
    try {
      for (;;) {
        const item = await this.inputQueue.pop(idleMs)
        if (item === undefined || this.isAborted()) break
        if (item === QUEUE_TIMEOUT) {
          await drain()
          await chain.tick(Date.now(), this.currentPosition())
        } else {
          const { batch } = item
          for (const rejected of batch.rejected ?? []) {
            this.reject({ ...rejected, component: describeComponent(this.plan.input), position: batch.position })
          }
          if (batch.schema !== windowSchema) {
            await drain()
            windowSchema = batch.schema
          }
          const result = rowCount(batch) > 0 ? chain.transform(batch, batch.position) : Promise.resolve(null)
          result.catch(() => undefined) // awaited in order by deliverOldest
          window.push({ item, result })
          if (window.length >= concurrency) await deliverOldest()
        }
        await this.deadLetterBackpressure()
        if (this.isCheckpointDue) {
          await drain()
          await this.barrier(false)
        }
      }
      if (!this.isAborted()) {
        await drain()
        if (this.hasInputEnded) await chain.flush(this.currentPosition())
        await this.barrier(this.hasInputEnded)
      }
    } catch (error) {
      this.fail(error)
    } finally {
      for (const sink of this.sinks) sink.queue.close()
    }
  }

  /**
   * The parallel run's reader and processor loop in one: keeps up to two splits per worker in
   * flight and delivers their results in input order, so that barriers, failed records and counters
   * work as in a run on one thread.
   */
  private async parallelLoop(): Promise<void> {
    const { source, pool, threads } = this.parallel!
    const window: { position: Position; bytes: number; result: Promise<SplitResult> }[] = []
    let nextId = 0
    let isEnd = false
    try {
      for (;;) {
        while (!isEnd && window.length < threads * 2 && !this.isStopping && !this.failure) {
          const split = await unlessAborted(
            this.retrying(`read ${describeComponent(this.plan.input)}`, () => source.next()),
            this.abort.signal,
          )
          if (split === null) {
            isEnd = !this.isStopping && !this.failure
            break
          }
          const result = pool.run({ id: nextId++, payload: split.payload, context: split.context })
          result.catch(() => undefined) // awaited in order below
          window.push({ position: split.position, bytes: split.bytes, result })
        }
        const oldest = window.shift()
        if (!oldest || this.isAborted()) break
        const done = await oldest.result
        if (done.error) throw errorFromData(done.error)
        this.counters.read += done.records
        this.counters.bytes += oldest.bytes
        for (const failure of done.failures) this.reject(failureFromData(failure, oldest.position))
        for (const chunk of done.chunks) await this.sinkAt(chunk.path).queue.push({ kind: 'encoded', chunk, position: oldest.position })
        this.lastPosition = oldest.position
        this.processedRead += done.records
        await this.deadLetterBackpressure()
        if (this.isCheckpointDue) await this.barrier(false)
      }
      this.hasInputEnded = isEnd && !this.isAborted()
      if (!this.isAborted()) await this.barrier(this.hasInputEnded)
    } catch (error) {
      this.fail(error)
    } finally {
      for (const sink of this.sinks) sink.queue.close()
    }
  }

  private async sinkLoop(sink: Sink): Promise<void> {
    const output = sink.output
    const isPublished = output === undefined
    let schema: Schema | undefined
    let position: Position | undefined
    // Rows refused during one attempt: a write that fails transiently is retried whole and refuses
    // them again, so they are only sent on once the write succeeded (invariant 3: once each).
    let refused: FailedRecord[] = []
    // The barriers this output passed: its failed records belong after the last of them.
    let epoch = 0
    const context: WriteContext = {
      reject: (row: Row, error: unknown) => {
        refused.push({ record: row, schema, error, component: sink.label, position })
      },
    }
    try {
      for (;;) {
        const item = await sink.queue.pop()
        if (item === undefined || item === QUEUE_TIMEOUT || this.isAborted()) break
        if (item.kind === 'barrier') {
          // An output a resumed run already published keeps the state it was published with.
          const state = isPublished
            ? (this.options.resume?.outputs[sink.path] ?? null)
            : ((await this.retrying(
                `commit ${sink.label}`,
                () => {
                  refused = []
                  return inComponent(sink.path, async () => output!.commit?.(context))
                },
                this.failing.signal,
              )) ?? null)
          // Rows the output gathered and the target then refused: failed, not written; they belong
          // before this barrier.
          for (const failed of refused) this.reject(failed, epoch)
          sink.written -= refused.length
          this.counters.written -= refused.length
          refused = []
          epoch = item.barrier.epoch
          item.barrier.written += sink.written
          this.reached(item.barrier, sink.path, state)
          continue
        }
        if (isPublished) {
          throw new FatalError('checkpoint.published_output', `${sink.label} was already published by the run being resumed, but rows came for it`, {
            hint: 'the input gave rows after the position it had reached: start the run afresh without --resume',
          })
        }
        if (item.kind === 'encoded') {
          const chunk = item.chunk
          await this.retrying(`write to ${sink.label}`, () => inComponent(sink.path, () => output!.writeEncoded!(chunk)), this.failing.signal)
          sink.written += chunk.rows
          this.counters.written += chunk.rows
          continue
        }
        schema = item.batch.schema
        position = item.position
        await this.retrying(
          `write to ${sink.label}`,
          () => {
            refused = []
            return inComponent(sink.path, () => output!.write(item.batch, context))
          },
          this.failing.signal,
        )
        const written = rowCount(item.batch) - refused.length
        for (const failed of refused) this.reject(failed, epoch)
        refused = []
        sink.written += written
        this.counters.written += written
      }
    } catch (error) {
      this.fail(error)
    } finally {
      this.sinksDone++
      this.wakeDeadLetter()
    }
  }

  private async deadLetterLoop(deadLetter: DeadLetter): Promise<void> {
    const batchSize = this.plan.settings.batchSize
    const refuse = (_row: Row, error: unknown): void => {
      throw new FatalError('dead_letter.refused', `the dead-letter output refused a record: ${errorMessage(error)}`, { cause: error })
    }
    // Epoch of the last barrier committed here. A record of a later epoch (a batch after a barrier
    // that has not come through yet) waits for that barrier, so that each checkpoint covers exactly
    // the failed records before its position (invariant 1): a resumed run repeats none.
    let committed = 0
    const isWritable = (item: PendingRecord | Barrier): boolean => !isBarrier(item) && item.epoch <= committed
    try {
      for (;;) {
        if (this.isAborted()) break
        if (deadLetter.pending.length === 0) {
          if (this.sinksDone >= this.sinks.length) break
          await new Promise<void>((resolve) => (deadLetter.wake = resolve))
          continue
        }
        const first = deadLetter.pending[0]
        if (isBarrier(first)) {
          deadLetter.pending.shift()
          const output = deadLetter.sink.output
          const state = deadLetter.sink.isOpen ? ((await this.retrying(`commit ${deadLetter.sink.label}`, async () => output!.commit?.({ reject: refuse }), this.failing.signal)) ?? null) : null
          committed = first.epoch
          first.failed += deadLetter.records
          this.completeBarrier(first, state)
          continue
        }
        if (!isWritable(first)) {
          const at = deadLetter.pending.findIndex(isBarrier)
          if (at < 0) {
            // Every output is done, so no barrier is coming any more: write what is left.
            if (this.sinksDone >= this.sinks.length) committed = Number.POSITIVE_INFINITY
            else {
              deadLetter.isAwaitingBarrier = true
              await new Promise<void>((resolve) => (deadLetter.wake = resolve))
              deadLetter.isAwaitingBarrier = false
            }
            continue
          }
          // The records before the barrier that belong before it, the barrier, then the others.
          const before = deadLetter.pending.slice(0, at) as PendingRecord[]
          deadLetter.pending = [
            ...before.filter(isWritable),
            deadLetter.pending[at],
            ...before.filter((item) => !isWritable(item)),
            ...deadLetter.pending.slice(at + 1),
          ]
          continue
        }
        let end = 0
        while (end < deadLetter.pending.length && end < batchSize && isWritable(deadLetter.pending[end])) end++
        const records = deadLetter.pending.splice(0, end) as PendingRecord[]
        const output = await this.openSink(deadLetter.sink)
        const now = new Date()
        const batch: Batch = { schema: DEAD_LETTER_SCHEMA, rows: records.map((record) => deadLetterRow(record, this.redact, now)) }
        await this.retrying(`write to ${deadLetter.sink.label}`, () => output.write(batch, { reject: refuse }), this.failing.signal)
        deadLetter.records += records.length
      }
    } catch (error) {
      this.fail(error)
    }
  }

  private currentPosition(): Position | undefined {
    return this.lastPosition === NO_POSITION ? undefined : this.lastPosition
  }

  // ------------------------------------------------------------------------------- failed records

  /** Every failed record comes here (invariant 3): to the dead-letter writer, or it fails the run. */
  private reject(failed: FailedRecord, epoch = this.barriers): void {
    this.counters.failed++
    if (!this.deadLetter) {
      this.fail(
        new FatalError('run.record_failed', `${failed.component}: ${this.redact(errorMessage(failed.error))}${failed.location ? ` (${failed.location})` : ''}`, {
          cause: failed.error,
          hint: 'set settings.dead_letter to keep failed records and settings.error_limit to tolerate some',
        }),
      )
      return
    }
    this.deadLetter.pending.push({ ...failed, epoch })
    if (!this.deadLetter.isAwaitingBarrier) this.wakeDeadLetter()
    this.checkErrorLimit(false)
  }

  private checkErrorLimit(isFinal: boolean): void {
    const limit = this.plan.settings.errorLimit
    const { failed, read } = this.counters
    let exceeded: string | undefined
    if ('count' in limit) {
      if (failed > limit.count) exceeded = `${failed} ${failed === 1 ? 'record' : 'records'} failed, more than settings.error_limit (${limit.count})`
    } else if (isFinal || read >= 1000) {
      const percent = (failed / Math.max(read, 1)) * 100
      // Exactly, in decimals: 7 of 1000 is 0.7%, not 0.7000000000000001% (more than "0.7%").
      const isOver = compareDecimal(String(failed * 100), multiplyDecimal(numberToDecimal(limit.percent) ?? '0', String(read))) > 0
      if (isOver) exceeded = `${failed} of ${read} records failed (${percent.toFixed(2)}%), more than settings.error_limit (${limit.percent}%)`
    }
    if (!exceeded || this.failure) return
    const where = this.deadLetter ? ` The failed records are in ${this.deadLetter.sink.label}.` : ''
    this.isGracefulFailure = true
    this.fail(
      new FatalError('run.error_limit', `${exceeded}.${where}`, {
        hint: 'fix the input or the pipeline, or raise settings.error_limit; `fustor run --resume` continues from the last checkpoint',
      }),
    )
  }

  private wakeDeadLetter(): void {
    const wake = this.deadLetter?.wake
    if (wake) {
      this.deadLetter!.wake = undefined
      wake()
    }
  }

  /** Keeps failed records from piling up in memory when the dead-letter output is slow. */
  private async deadLetterBackpressure(): Promise<void> {
    const deadLetter = this.deadLetter
    while (deadLetter && deadLetter.pending.length > this.plan.settings.bufferRows && !this.isAborted()) {
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }

  // ------------------------------------------------------------------------------------ checkpoints

  /** Sends a barrier through every output if a checkpoint can be taken now (see the file comment). */
  private async barrier(isFinal: boolean): Promise<void> {
    this.isCheckpointDue = false
    const chain = this.chain!
    if (!isFinal && (chain.isHolding() || this.processedRead === this.lastBarrierRead)) return
    this.lastBarrierRead = this.processedRead
    const barrier: Barrier = {
      epoch: ++this.barriers,
      position: this.lastPosition === NO_POSITION ? (this.options.resume?.input.position ?? null) : this.lastPosition,
      snapshots: chain.snapshot(),
      read: this.processedRead,
      isFinal,
      outputStates: {},
      pending: new Set(this.sinks.map((sink) => sink.path)),
      written: this.resumed.written,
      failed: this.resumed.failed,
    }
    for (const sink of this.sinks) await sink.queue.push({ kind: 'barrier', barrier })
  }

  /** An output reached a barrier and committed. */
  private reached(barrier: Barrier, path: string, state: JsonValue): void {
    barrier.outputStates[path] = state
    barrier.pending.delete(path)
    if (barrier.pending.size > 0) return
    if (this.deadLetter) {
      this.deadLetter.pending.push(barrier)
      this.wakeDeadLetter()
    } else {
      this.completeBarrier(barrier, undefined)
    }
  }

  private completeBarrier(barrier: Barrier, deadLetterState: JsonValue | undefined): void {
    if (this.deadLetter) barrier.outputStates[this.deadLetter.sink.path] = deadLetterState ?? null
    this.checkpointChain = this.checkpointChain
      .then(async () => {
        if (this.isAborted()) return
        // A percentage limit is checked for good at the end, before the outputs are published: a run
        // over it fails, resumably, rather than publish its outputs and then say it failed.
        if (barrier.isFinal && !this.failure && this.hasInputEnded) this.checkErrorLimit(true)
        const isFinishing = barrier.isFinal && !this.failure
        const checkpoint: Checkpoint = {
          version: CHECKPOINT_VERSION,
          pipeline: resolve(this.plan.file),
          config_hash: this.plan.configHash,
          run_id: this.runId,
          started_at: this.runStartedAt,
          updated_at: new Date().toISOString(),
          status: isFinishing ? 'finishing' : 'running',
          input: { position: barrier.position },
          outputs: barrier.outputStates,
          processors: barrier.snapshots,
          counters: { read: barrier.read, written: barrier.written, failed: barrier.failed, bytes: this.counters.bytes },
        }
        await this.options.checkpoints.save(checkpoint)
        this.lastCheckpoint = checkpoint
        this.hasCheckpoint = true
        if (isFinishing) this.isFinalCheckpointSaved = true
        if (barrier.position !== null) await this.input!.ack?.(barrier.position)
      })
      .catch((error) => this.fail(error))
  }

  // ----------------------------------------------------------------------------------------- errors

  /** Retries transient errors. Writes pass `this.failing.signal`: after a stop, what was read is
   * still written, so a transient error then is retried too, not turned into a failure. */
  private retrying<T>(what: string, operation: () => Promise<T>, signal: AbortSignal = this.abort.signal): Promise<T> {
    const policy = this.plan.settings.retry
    return withRetries(operation, policy, {
      signal,
      onRetry: (error, attempt, delayMs) => {
        this.logger.warn(`${what} failed, retry ${attempt}/${policy.maxRetries} in ${delayMs}ms: ${errorMessage(error)}`)
      },
    })
  }

  /** A failure that stops everything at once, without a new checkpoint. */
  private isAborted(): boolean {
    return this.failure !== undefined && !this.isGracefulFailure
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) {
      if (this.isGracefulFailure && !(error instanceof FatalError && error.code === 'run.error_limit')) {
        // A real failure while finishing gracefully: stop at once after all, and report it: it is
        // what the user must fix first (an unknown column, say), the error limit only came first.
        this.logger.warn(`${errorMessage(this.failure)} (and then the run failed)`)
        this.failure = error
        this.isGracefulFailure = false
        this.abortQueues(error)
      }
      return
    }
    this.failure = error
    if (this.isGracefulFailure) {
      // Stop reading; what was read is still written and checkpointed.
      this.isStopping = true
      this.abort.abort()
    } else {
      this.abortQueues(error)
    }
    this.wakeDeadLetter()
  }

  private abortQueues(error: unknown): void {
    this.abort.abort()
    this.failing.abort()
    this.inputQueue.fail(error)
    for (const sink of this.sinks) sink.queue.fail(error)
    this.wakeDeadLetter()
  }

  private result(): RunResult {
    if (!this.failure && this.hasInputEnded) this.checkErrorLimit(true)
    const status: RunStatus = this.failure ? 'failed' : this.hasInputEnded ? 'completed' : 'stopped'
    const deadLetter = this.deadLetter && this.deadLetter.records > 0 ? { component: this.deadLetter.sink.label, records: this.deadLetter.records } : undefined
    return {
      status,
      counters: { ...this.counters },
      durationMs: Date.now() - this.startedAt,
      error: this.failure,
      deadLetter,
      isResumable: status !== 'completed' && (this.hasCheckpoint || this.options.resume !== undefined),
    }
  }
}

/**
 * The promise's value, or null as soon as the signal aborts. When the abort wins, the operation is
 * abandoned: a read's batch is then never processed, so its position is never checkpointed and a
 * resumed run reads it again. (Not Promise.race with one long-lived promise: every race would leave
 * a reaction on it holding its result, and the run would keep every batch it ever read.)
 */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.resolve(null)
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(null)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Runs a call into an input or output. A ConfigError it throws (a missing file, a table that does not
 * exist) has a path relative to the component's config: placed under the component's, so that the
 * message names the place in the file (invariant 4).
 */
/** Runs a component's method; a ConfigError it throws gets the component's config path in front of its own. */
export async function inComponent<T>(path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw error instanceof ConfigError && !error.location ? error.under(`${path}.config`) : error
  }
}

function isBarrier(item: FailedRecord | Barrier): item is Barrier {
  return (item as Barrier).pending instanceof Set
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${Math.random().toString(36).slice(2, 8)}`
}

function redactingLogger(logger: Logger, redact: (text: string) => string): Logger {
  // Values are masked one by one, not the JSON text: a secret with a quote or a backslash is escaped
  // there (and would show), and a mask inside a number or a key would break the JSON.
  const mask = (_key: string, value: unknown): unknown => {
    if (typeof value === 'string') return redact(value)
    if (typeof value === 'number' || typeof value === 'bigint') {
      const text = value.toString()
      const masked = redact(text)
      return masked !== text || typeof value === 'bigint' ? masked : value
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value)
      if (entries.some(([key]) => redact(key) !== key)) return Object.fromEntries(entries.map(([key, field]) => [redact(key), field]))
    }
    return value
  }
  const redactFields = (fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
    fields && (JSON.parse(JSON.stringify(fields, mask)) as Record<string, unknown>)
  return {
    debug: (message, fields) => logger.debug(redact(message), redactFields(fields)),
    info: (message, fields) => logger.info(redact(message), redactFields(fields)),
    warn: (message, fields) => logger.warn(redact(message), redactFields(fields)),
    error: (message, fields) => logger.error(redact(message), redactFields(fields)),
  }
}

