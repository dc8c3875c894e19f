/**
 * Writes batches to a file in one text format (csv, jsonl, json), so that a resumed run never
 * duplicates or loses rows, and readers never see a half-written file:
 *
 * - rows go to a part file beside the target, `.<name>.fustor-part`, through a 1 MiB buffer;
 *   write() never syncs;
 * - commit() writes out the buffer, fsyncs the part file and returns its state
 *   `{"part", "bytes", "rows", "columns"}` (columns: the CSV header's, once fixed), which the engine
 *   saves in the checkpoint (invariant 1);
 * - an output created with that state (`resumeState`) reopens the part file, truncates it to `bytes`
 *   (dropping whatever was written after that checkpoint) and appends from there: no second header,
 *   the JSON array continued after its last element;
 * - finish() writes the end (the json array's `]`), fsyncs, and renames the part file over the
 *   target (atomic), then fsyncs the directory so that the rename is durable too.
 *
 * A run without resumeState starts a new part file, whatever an interrupted run left there.
 *
 * Parallel runs hand over rows that worker threads encoded (the definitions' `encoder`,
 * formats/chunk-encoder.ts) to `writeEncoded`, which goes through the same buffer and the same stream
 * state (header, rows, JSON array), so that commit, resume and finish work alike and the file is the
 * one `write` would have made.
 */
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Batch } from '../../core/batch.js'
import type { EncodedChunk, Output, OutputContext, WriteContext } from '../../core/component.js'
import { ConfigError, FatalError } from '../../core/errors.js'
import type { JsonValue } from '../../core/schema.js'
import { batchEncoder, type BatchEncoder, type BatchEncoderOptions, type OutputFormatKind } from '../../formats/batch-encoder.js'
import { OutputBuffer } from '../../formats/output-buffer.js'

/** State saved in checkpoints. */
export interface PartFileState {
  readonly part: string
  readonly bytes: number
  readonly rows: number
  readonly columns?: readonly string[]
}

export class FileOutputWriter implements Output {
  private readonly target: string
  private part: string
  private handle: FileHandle | undefined
  private encoder: BatchEncoder | undefined
  private buffer = new OutputBuffer()
  /** Bytes in the part file. */
  private bytes = 0
  private isFinished = false

  constructor(
    private readonly kind: OutputFormatKind,
    path: string,
    private readonly encoderOptions: Omit<BatchEncoderOptions, 'resume' | 'target'>,
    private readonly ctx: OutputContext,
  ) {
    this.target = path
    this.part = join(dirname(path), `.${basename(path)}.fustor-part`)
  }

  async open(): Promise<void> {
    // The engine retries open() after a transient error: start from nothing each time.
    await this.close()
    this.bytes = 0
    this.buffer = new OutputBuffer()
    await userErrors(this.target, () => makeDirectory(dirname(this.target)))
    // A directory where the file should go would only fail the final rename, after all the work.
    const existing = await stat(this.target).catch(() => undefined)
    if (existing?.isDirectory()) {
      throw new ConfigError('file.unwritable', `cannot write ${this.target}: it is a directory`, { path: 'path', hint: 'choose another path, or fix the directory' })
    }
    const state = this.ctx.resumeState
    if (state === undefined || state === null) {
      this.handle = await userErrors(this.target, () => open(this.part, 'w'))
      this.encoder = batchEncoder(this.kind, { ...this.encoderOptions, target: this.target })
      this.buffer.append(this.encoder.start())
      return
    }
    const { part, bytes, rows, columns } = parseState(state)
    let size: number
    try {
      size = (await stat(part)).size
    } catch (error) {
      throw new FatalError('file.part_missing', `cannot resume writing ${this.target}: its part file ${part} is gone`, { cause: error })
    }
    if (size < bytes) {
      throw new FatalError('file.part_truncated', `cannot resume writing ${this.target}: its part file ${part} holds ${size} bytes, fewer than the ${bytes} committed`)
    }
    this.part = part
    this.handle = await open(part, 'r+')
    // Whatever was written after the checkpoint belongs to batches that will be written again.
    await this.handle.truncate(bytes)
    this.bytes = bytes
    this.encoder = batchEncoder(this.kind, { ...this.encoderOptions, target: this.target, resume: { rows, columns } })
  }

  async write(batch: Batch, ctx: WriteContext): Promise<void> {
    this.encoder!.encode(batch, ctx, this.buffer)
    if (this.buffer.hasFullChunks) await this.writeChunks(this.buffer.takeFullChunks())
  }

  /** Keeps no reference to the chunk's bytes once resolved. */
  async writeEncoded(chunk: EncodedChunk): Promise<void> {
    this.encoder!.appendEncoded(chunk, this.buffer)
    if (this.buffer.hasFullChunks) await this.writeChunks(this.buffer.takeFullChunks())
  }

  async commit(): Promise<JsonValue> {
    await this.writeChunks(this.buffer.takeAll())
    await this.handle!.sync()
    const state: PartFileState = { part: this.part, bytes: this.bytes, rows: this.encoder!.rows }
    const columns = this.encoder!.columns
    return (columns === undefined ? state : { ...state, columns: [...columns] }) as unknown as JsonValue
  }

  async finish(): Promise<void> {
    if (this.isFinished) return
    const handle = this.handle!
    this.buffer.append(this.encoder!.end())
    await this.writeChunks(this.buffer.takeAll())
    await handle.sync()
    await handle.close()
    this.handle = undefined
    await userErrors(this.target, () => rename(this.part, this.target))
    await syncDirectory(dirname(this.target))
    this.isFinished = true
  }

  async close(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await handle?.close()
  }

  private async writeChunks(chunks: Buffer[]): Promise<void> {
    const handle = this.handle!
    for (const chunk of chunks) {
      let done = 0
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, this.bytes)
        done += bytesWritten
        this.bytes += bytesWritten
      }
    }
  }
}

/** Errors the user must fix (a path under a file, a directory in the way, no permission) named as
 * such, at the output's `path` (invariant 4), instead of as internal errors. */
const USER_ERRNOS: Readonly<Record<string, string>> = {
  ENOENT: 'a directory on the way does not exist and cannot be created',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
}

async function userErrors<T>(target: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    const reason = USER_ERRNOS[(error as NodeJS.ErrnoException).code ?? '']
    if (reason === undefined) throw error
    throw new ConfigError('file.unwritable', `cannot write ${target}: ${reason}`, { path: 'path', cause: error, hint: 'choose another path, or fix the directory' })
  }
}

/**
 * Creates a directory and its missing parents, one level at a time from the deepest existing one.
 * (Not mkdir's `recursive`: on Node 20 it loops forever on some paths, such as under /proc.)
 */
async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = []
  let current = path
  for (;;) {
    try {
      if ((await stat(current)).isDirectory()) break
      const error = new Error(`${current} is not a directory`) as NodeJS.ErrnoException
      error.code = 'ENOTDIR'
      throw error
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    missing.push(current)
    const parent = dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const directory of missing.reverse()) {
    try {
      await mkdir(directory)
    } catch (error) {
      // Another process made it meanwhile: fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

function parseState(state: JsonValue): PartFileState {
  const { part, bytes, rows, columns } = state as Partial<PartFileState> & Record<string, unknown>
  const isValid =
    typeof part === 'string' &&
    Number.isSafeInteger(bytes) &&
    (bytes as number) >= 0 &&
    Number.isSafeInteger(rows) &&
    (columns === undefined || (Array.isArray(columns) && columns.every((name) => typeof name === 'string')))
  if (!isValid) throw new FatalError('file.invalid_state', `invalid file output state ${JSON.stringify(state)} (expected {"part", "bytes", "rows"})`)
  return { part: part as string, bytes: bytes as number, rows: rows as number, columns: columns as string[] | undefined }
}

async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    // Some platforms cannot open a directory; the rename is then as durable as they make it.
    if (['EISDIR', 'EPERM', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')) return
    throw error
  }
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
