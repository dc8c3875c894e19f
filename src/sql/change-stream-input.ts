/**
 * The Input of a CDC stream (mysql_cdc, postgresql_cdc): opens the stream (which reads the server and
 * fills its ChangeQueue, reconnecting on its own), hands the engine the queue's batches, and a
 * failure only after the changes queued before it (they and their positions are good).
 */
import type { InputBatch } from '../core/batch.js'
import type { Input, InputContext } from '../core/component.js'
import type { ChangeQueue } from './change-queue.js'

/** What the input needs of a CDC stream. */
export interface ChangeStream {
  readonly queue: ChangeQueue<unknown>
  /** The error that stopped the stream, once: a transient one is cleared, so that the next call restarts. */
  takeFailure(): unknown
  /** After a transient failure was taken: starts reading again from where the queue ends. */
  restartIfStopped(): void
  close(): Promise<void>
}

export class ChangeStreamInput<S extends ChangeStream> implements Input {
  protected stream: S | undefined
  private isClosed = false

  constructor(
    /** The component type, for messages. */
    private readonly type: string,
    /** Opens the stream (its module loads here: the client library loads with it). */
    private readonly openStream: () => Promise<S>,
    protected readonly ctx: InputContext,
  ) {}

  async open(): Promise<void> {
    const stream = await this.openStream()
    this.stream = stream
    if (this.isClosed) {
      await stream.close()
      return
    }
    this.ctx.signal.addEventListener('abort', () => stream.queue.interrupt(), { once: true })
  }

  async read(): Promise<InputBatch | null> {
    const stream = this.stream
    if (stream === undefined) throw new Error(`${this.type}: read() before open()`)
    for (;;) {
      if (this.isClosed || this.ctx.signal.aborted) return null
      // Changes queued before a failure are delivered first: they and their positions are good.
      if (stream.queue.size === 0) {
        const failure = stream.takeFailure()
        if (failure !== undefined) throw failure
        stream.restartIfStopped()
      }
      const batch = await stream.queue.nextBatch({ batchSize: this.ctx.batchSize, lingerMs: this.ctx.lingerMs })
      if (batch !== undefined) return batch
    }
  }

  async close(): Promise<void> {
    this.isClosed = true
    await this.stream?.close()
  }
}
