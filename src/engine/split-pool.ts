/**
 * The worker threads of a parallel run. Each task goes to an idle worker (or waits for one); its
 * payload buffer is transferred, not copied. A worker that dies fails every task it held: the run
 * then fails as a whole, and a resume reprocesses the splits after the last checkpoint.
 */
import { Worker } from 'node:worker_threads'
import { FatalError } from '../core/errors.js'
import type { SplitPlan, SplitResult, SplitTask } from './split-plan.js'

/** Young generation per worker: room for a split's rows to die young instead of being promoted
 * (measured: the default makes garbage collection a third of a run). */
const YOUNG_GENERATION_MB = 32

interface Slot {
  readonly worker: Worker
  isBusy: boolean
  task: { readonly id: number; readonly resolve: (result: SplitResult) => void; readonly reject: (error: unknown) => void } | undefined
}

export class SplitPool {
  private readonly slots: Slot[] = []
  private readonly waiting: { task: SplitTask; resolve: (result: SplitResult) => void; reject: (error: unknown) => void }[] = []
  private failure: unknown
  private readonly ready: Promise<void>

  constructor(plan: SplitPlan, threads: number) {
    const workerUrl = new URL('./split-worker.js', import.meta.url)
    const readiness: Promise<void>[] = []
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerUrl, { workerData: plan, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } })
      const slot: Slot = { worker, isBusy: false, task: undefined }
      readiness.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve())
          worker.once('error', reject)
        }),
      )
      worker.on('message', (message: SplitResult | { ready: true }) => {
        if ('ready' in message) return
        const task = slot.task
        slot.task = undefined
        slot.isBusy = false
        task?.resolve(message)
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
    for (const slot of this.slots) {
      if (slot.isBusy) continue
      const next = this.waiting.shift()
      if (!next) return
      slot.isBusy = true
      slot.task = { id: next.task.id, resolve: next.resolve, reject: next.reject }
      const payload = next.task.payload
      const transfer = payload instanceof Uint8Array && payload.byteLength > 0 ? [payload.buffer as ArrayBuffer] : []
      slot.worker.postMessage(next.task, transfer)
    }
  }

  private die(slot: Slot, error: unknown): void {
    if (!this.failure) this.failure = error
    slot.task?.reject(error)
    slot.task = undefined
    for (const waiting of this.waiting.splice(0)) waiting.reject(error)
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()))
  }
}
