/**
 * `COPY (query) TO STDOUT` read straight off the connection's socket, in chunks of rows.
 *
 * This is pg-copy-streams' `copy-to` way of reading a COPY (pg-copy-streams/copy-to.js): submitted
 * to a `pg.Client` like a query, it takes the socket from `pg` while the COPY runs (removes `pg`'s
 * data listener, reads the socket itself) and hands it back with the bytes left over once the COPY
 * ends, so that `pg` reads the closing messages and the next query as usual. What differs is what
 * it does with the bytes: instead of cutting a Buffer out for each CopyData message (one message
 * per row) and pushing their concatenation into a byte stream to be parsed again, it decodes rows
 * from the socket chunk in place (copy-text-decoder.ts). Measured on 1M users rows, pg-copy-streams'
 * framing alone cost 0.5 µs of CPU per row, a third of the budget of a whole copy (PRODUCT.md).
 *
 * Flow control (invariant 2): decoded rows wait in chunks of `chunkRows`; while two chunks wait,
 * the socket is not read, so TCP stops the server. `discard()` (the consumer left) drops rows and
 * reads on until the server ends the COPY (the caller sends a cancel request meanwhile).
 */
import type { Socket } from 'node:net'
import type { RejectedRecord } from '../../core/batch.js'
import type { RowChunk } from '../../sql/driver.js'
import type { CopyRowDecoder, DecodedRows } from './copy-text-decoder.js'

/** Chunks decoded and not yet taken by the consumer before the socket stops being read. */
const MAX_WAITING_CHUNKS = 2

/** Backend message types met during COPY OUT (PostgreSQL's protocol, "Message Formats"). */
const Message = {
  copyOutResponse: 72, // H
  copyData: 100, // d
  copyDone: 99, // c
  errorResponse: 69, // E
} as const

/** The part of `pg`'s Connection this reads: its socket. */
interface PgConnection {
  readonly stream: Socket
}

export class CopyOutStream {
  /** The server ended the COPY (ReadyForQuery) or it failed: nothing more will come. */
  isFinished = false
  /** Resolves once finished. */
  readonly finished: Promise<void>
  /** For `pg`, which sets it on submittables; unused. */
  callback: (() => void) | undefined
  private readonly text: string
  private readonly decoder: CopyRowDecoder
  private readonly chunkRows: number
  private readonly waiting: RowChunk[] = []
  private current: DecodedRows = { rows: [], rejected: [] }
  private currentBytes = 0
  /** Bytes of a message cut by the end of a socket chunk, waiting for the rest. */
  private pending: Buffer[] = []
  private pendingBytes = 0
  private failure: unknown
  private isDiscarding = false
  private isAttached = false
  private isPumping = false
  private socket: Socket | undefined
  private pgDataHandler: ((chunk: Buffer) => void) | undefined
  private wake: (() => void) | undefined
  private markFinished!: () => void
  private readonly onReadable = (): void => this.pump()

  constructor(text: string, decoder: CopyRowDecoder, chunkRows: number) {
    this.text = text
    this.decoder = decoder
    this.chunkRows = chunkRows
    this.finished = new Promise((resolve) => {
      this.markFinished = resolve
    })
  }

  // -------------------------------------------------------------------------------- pg's Submittable

  /** Starts the COPY; an error returned is handed back by `pg` to handleError. */
  submit(connection: PgConnection): Error | undefined {
    const socket = connection.stream
    const listeners = socket.listeners('data')
    if (listeners.length !== 1) return new Error(`expected pg to have one data listener on its socket, found ${listeners.length}`)
    this.socket = socket
    this.pgDataHandler = listeners[0] as (chunk: Buffer) => void
    socket.removeListener('data', this.pgDataHandler)
    socket.pause()
    socket.on('readable', this.onReadable)
    this.isAttached = true
    ;(connection as unknown as { query(text: string): void }).query(this.text)
    this.pump()
    return undefined
  }

  handleError(error: unknown): void {
    // After discard() the error is the cancellation the caller asked for.
    if (!this.isDiscarding) this.failure ??= error
    if (this.isAttached) this.detach(Buffer.alloc(0))
    this.finish()
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.finish()
  }

  // ------------------------------------------------------------------------------------ the consumer

  /** The next chunk, or null at the end; throws what the COPY failed with. */
  async next(): Promise<RowChunk | null> {
    for (;;) {
      const chunk = this.waiting.shift()
      if (chunk !== undefined) {
        if (this.waiting.length < MAX_WAITING_CHUNKS) this.pump()
        return chunk
      }
      if (this.failure !== undefined) throw this.failure
      if (this.isFinished) return null
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }

  /** The consumer left: drop what is held and what still comes, reading on until the server ends the COPY. */
  discard(): void {
    this.isDiscarding = true
    this.waiting.length = 0
    this.current = { rows: [], rejected: [] }
    this.pump()
  }

  // ------------------------------------------------------------------------------------- internals

  /** Reads the socket while the consumer keeps up. */
  private pump(): void {
    if (this.isPumping || !this.isAttached) return
    this.isPumping = true
    try {
      while (this.isAttached && (this.isDiscarding || this.waiting.length < MAX_WAITING_CHUNKS)) {
        const chunk = (this.socket as Socket).read() as Buffer | null
        if (chunk === null) break
        this.parse(chunk)
      }
    } catch (error) {
      // Bytes this reader cannot make sense of: fail the consumer's loop, which cancels the COPY.
      this.failure ??= error
      this.isDiscarding = true
    } finally {
      this.isPumping = false
    }
    this.notify()
  }

  /** Decodes the whole messages of a socket chunk; keeps a cut message for the next one. */
  private parse(chunk: Buffer): void {
    let bytes = chunk
    if (this.pendingBytes > 0) {
      this.pending.push(chunk)
      this.pendingBytes += chunk.length
      // A long message spans many chunks: join them once it is complete, not at every chunk.
      if (this.pendingBytes < this.pendingNeed()) return
      bytes = Buffer.concat(this.pending, this.pendingBytes)
      this.pending = []
      this.pendingBytes = 0
    }
    const text = bytes.toString('latin1')
    let pos = 0
    while (pos < bytes.length) {
      if (!this.isDiscarding) {
        const before = pos
        pos = this.decoder.decodeMessages(bytes, text, pos, this.current)
        this.currentBytes += pos - before
      }
      if (pos + 5 > bytes.length) break
      const length = bytes.readInt32BE(pos + 1)
      const type = bytes[pos]
      if (type === Message.errorResponse) {
        // `pg` reads the error (and calls handleError) and the ReadyForQuery after it.
        this.detach(bytes.subarray(pos))
        return
      }
      if (pos + 1 + length > bytes.length) break
      if (type === Message.copyOutResponse) this.checkColumnCount(bytes.readInt16BE(pos + 6))
      pos += 1 + length
      if (type === Message.copyDone) {
        this.cut(true)
        this.detach(bytes.subarray(pos))
        return
      }
      // CopyData while discarding, NoticeResponse, ParameterStatus, NotificationResponse: skipped.
    }
    if (pos < bytes.length) {
      this.pending = [Buffer.from(bytes.subarray(pos))]
      this.pendingBytes = bytes.length - pos
    }
    this.cut(false)
  }

  /** Bytes the first pending message needs in all (its header, once known). */
  private pendingNeed(): number {
    const first = this.pending[0]
    if (this.pendingBytes < 5) return 5
    const header = first.length >= 5 ? first : Buffer.concat(this.pending, 5)
    return 1 + header.readInt32BE(1)
  }

  private checkColumnCount(count: number): void {
    if (count !== this.decoder.columnCount) {
      throw new Error(`the COPY has ${count} columns but ${this.decoder.columnCount} were described: the columns do not describe this query`)
    }
  }

  /** Gives the socket back to `pg`, with the bytes it has to read. */
  private detach(rest: Buffer): void {
    const socket = this.socket as Socket
    const handler = this.pgDataHandler as (chunk: Buffer) => void
    this.isAttached = false
    socket.removeListener('readable', this.onReadable)
    socket.on('data', handler)
    if (rest.length > 0) handler(rest)
    // As pg-copy-streams does: resume on the next tick, after `pg` handled what it was given.
    process.nextTick(() => socket.resume())
  }

  private finish(): void {
    if (this.isFinished) return
    this.isFinished = true
    this.markFinished()
    this.notify()
  }

  /**
   * Moves the decoded rows into chunks of `chunkRows` (a socket chunk may hold several chunks' worth,
   * or part of one); at the end, the rest too. Rejected rows count toward a chunk's size.
   */
  private cut(isEnd: boolean): void {
    const { rows } = this.current
    let { rejected } = this.current
    let bytes = this.currentBytes
    let start = 0
    let hasCut = false
    for (;;) {
      const left = rows.length - start + rejected.length
      if (left === 0 || (left < this.chunkRows && !isEnd)) break
      const take = Math.min(rows.length - start, Math.max(0, this.chunkRows - rejected.length))
      const part = start === 0 && take === rows.length ? rows : rows.slice(start, start + take)
      const partBytes = Math.round((bytes * (take + rejected.length)) / left)
      this.waiting.push({ rows: part, rejected, bytes: partBytes })
      bytes -= partBytes
      rejected = [] as RejectedRecord[]
      start += take
      hasCut = true
    }
    if (hasCut) this.current = { rows: start === rows.length ? [] : rows.slice(start), rejected }
    this.currentBytes = bytes
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
