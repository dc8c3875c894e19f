/**
 * The lanes of a parallel run: worker threads, and optionally the main thread itself, which
 * otherwise idles while it waits for their results (its I/O is a small part of a run). Each task
 * goes to an idle worker, else to the main thread if it is idle, else waits; a payload buffer is
 * transferred to a worker, not copied. A worker that dies fails every task it held: the run then
 * fails as a whole, and a resume reprocesses the splits after the last checkpoint.
 */
import { Worker } from 'node:worker_threads'
import { FatalError } from '../core/errors.js'
import type { SplitPlan, SplitResult, SplitTask } from './split-plan.js'
import type { SplitRunner } from './split-runner.js'

/** Young generation per worker: room for a split's rows to die young instead of being promoted
 * (measured: the default makes garbage collection a third of a run). */
const YOUNG_GENERATION_MB = 16

/** Tasks a worker holds at once: while it works on one, the next is already there, so that it does
 * not idle while the main thread is busy with a split of its own. */
const TASKS_PER_WORKER = 2

interface PendingTask {
  readonly id: number
  readonly resolve: (result: SplitResult) => void
  readonly reject: (error: unknown) => void
}

interface Slot {
  readonly worker: Worker
  /** In the order the worker answers them. */
  readonly tasks: PendingTask[]
}

export class SplitPool {
  private readonly slots: Slot[] = []
  private readonly waiting: { task: SplitTask; resolve: (result: SplitResult) => void; reject: (error: unknown) => void }[] = []
  private failure: unknown
  private readonly ready: Promise<void>
  private isLocalBusy = false

  /**
   * `workers` threads start from `workerModule` (the wiring's entry, which calls `serveSplits` with
   * its registry); `local`, when given, runs tasks on the main thread too.
   */
  constructor(
    plan: SplitPlan,
    threads: number,
    workerModule: string,
    private readonly local?: SplitRunner,
  ) {
    const workerUrl = new URL(workerModule)
    const readiness: Promise<void>[] = []
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerUrl, { workerData: plan, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } })
      const slot: Slot = { worker, tasks: [] }
      readiness.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve())
          worker.once('error', reject)
        }),
      )
      worker.on('message', (message: SplitResult | { ready: true }) => {
        if ('ready' in message) return
        slot.tasks.shift()?.resolve(message)
        this.dispatch()
      })
      worker.on('error', (error) => this.die(slot, error))
      worker.on('exit', (code) => {
        if (code !== 0) this.die(slot, new FatalError('run.worker_exited', `a worker thread exited with code ${code}`))
      })
      this.slots.push(slot)
    }
    this.ready = Promise.all(readiness).then(() => undefined)
    this.ready.catch(() => undefined) // reported through the first task
  }

  /** Processes a split on the next idle worker. The payload's buffer is transferred when it is bytes. */
  async run(task: SplitTask): Promise<SplitResult> {
    await this.ready
    if (this.failure) throw this.failure
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject })
      this.dispatch()
    })
  }

  private dispatch(): void {
    for (let round = 0; round < TASKS_PER_WORKER; round++) {
      for (const slot of this.slots) {
        if (slot.tasks.length > round) continue
        const next = this.waiting.shift()
        if (!next) return
        slot.tasks.push({ id: next.task.id, resolve: next.resolve, reject: next.reject })
        const payload = next.task.payload
        const transfer = payload instanceof Uint8Array && payload.byteLength > 0 ? [payload.buffer as ArrayBuffer] : []
        slot.worker.postMessage(next.task, transfer)
      }
    }
    const local = this.local
    if (!local || this.isLocalBusy || this.waiting.length === 0) return
    this.isLocalBusy = true
    // On the next turn of the event loop: results the workers sent meanwhile are handled first.
    setImmediate(() => {
      const next = this.waiting.shift()
      if (!next) {
        this.isLocalBusy = false
        return
      }
      local.run(next.task).then(
        (result) => {
          this.isLocalBusy = false
          next.resolve(result)
          this.dispatch()
        },
        (error: unknown) => {
          this.isLocalBusy = false
          next.reject(error)
        },
      )
    })
  }

  private die(slot: Slot, error: unknown): void {
    if (!this.failure) this.failure = error
    for (const task of slot.tasks.splice(0)) task.reject(error)
    for (const waiting of this.waiting.splice(0)) waiting.reject(error)
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()))
  }
}
