/**
 * The splits of a csv or jsonl file input for a parallel run (core/component.ts `Input.splits`): the
 * files' bytes cut into parts of whole records, about `splitBytes` each, that worker threads decode
 * apart (file-split-decoder.ts) into exactly the rows and rejected records `read` would give.
 *
 * The main thread only reads and cuts: a record scanner (src/formats, csv-record-scanner.ts) finds
 * the end of the last whole record in each buffer as the parser would, counting line ends; the bytes
 * up to there are the split's payload, in an ArrayBuffer of their own (the engine transfers it), and
 * the rest starts the next split. A split never spans two files; a record longer than `splitBytes`
 * makes a longer split. A record longer than `max_record_bytes` is not held: it becomes a split of
 * its own that only reports it, and its first line is skipped, as the parser does.
 *
 * Each split carries the position `read` would report after its last record (`{file, offset,
 * line}`), so checkpoints and resume work unchanged; blank lines after that record go to the next
 * split, as `read` consumes them only with the next record.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import type { InputSplit, SplitSource } from '../../core/component.js'
import type { JsonValue, Schema } from '../../core/schema.js'
import type { TextEncodingName } from '../../formats/decoded-text.js'
import { RAW_PREVIEW_CHARS, rawPreview } from '../../formats/malformed-record.js'
import type { RecordScan } from '../../formats/record-scan.js'
import type { StreamPoint } from '../../formats/row-format.js'
import type { FilePosition } from './file-position.js'

/** Bytes per split: large enough that a worker's decoding dwarfs the cost of handing it over,
 * small enough that two cores get work early and memory in flight stays small. */
export const SPLIT_BYTES = 256 * 1024

const LF = 10

/** Finds record ends in bytes (CsvRecordScanner, JsonLinesScanner). */
export interface RecordScanner {
  scan(bytes: Buffer, start: number, isEnd: boolean): RecordScan
}

/** A file to split, from where its records start. */
export interface SplitFile {
  readonly path: string
  readonly size: number
  /** After the header (and skipped rows), or the resume position. */
  readonly start: StreamPoint
  /** CSV: fields each record must have, and for each column the index of its field. */
  readonly csvFieldCount?: number
  readonly csvFieldIndexes?: readonly number[]
}

/** The context of a split: what decodeSplit needs besides the bytes and the input's config. */
export type FileSplitContext = RecordsSplitContext | TooLargeSplitContext

export interface RecordsSplitContext {
  readonly kind: 'records'
  /** The file, as locations name it (`data/users.csv:12`). */
  readonly source: string
  /** Where the payload starts in the file (a byte-order mark is skipped only at offset 0). */
  readonly offset: number
  /** Line ends before the payload: the first record's line number is counted from there. */
  readonly line: number
  readonly schema: Schema
  readonly csvFieldCount?: number
  readonly csvFieldIndexes?: readonly number[]
}

/** A record longer than `max_record_bytes`: reported, not decoded. */
export interface TooLargeSplitContext {
  readonly kind: 'too_large'
  readonly source: string
  /** Line the record starts on. */
  readonly line: number
  /** Its first characters, as the parser keeps them. */
  readonly raw: string
}

export interface FileSplitOptions {
  readonly schema: Schema
  readonly encoding: TextEncodingName
  readonly splitBytes: number
  readonly signal: AbortSignal
}

/** The file being split. `bytes[0, length)` starts at `offset` in the file, after `line` line ends. */
interface OpenSplitFile {
  readonly file: SplitFile
  readonly handle: FileHandle
  bytes: Buffer
  length: number
  offset: number
  line: number
  /** Offset in the file of the next byte to read. */
  readAt: number
  isEnd: boolean
  /** Offset up to which bytes were counted in splits. */
  countedOffset: number
}

export class FileSplitSource implements SplitSource {
  private nextIndex = 0
  private current: OpenSplitFile | undefined
  /** Sizes of the files done with, for progress. */
  private doneBytes = 0

  constructor(
    private readonly files: readonly SplitFile[],
    private readonly scanner: RecordScanner,
    private readonly options: FileSplitOptions,
  ) {}

  async next(): Promise<InputSplit | null> {
    for (;;) {
      if (this.options.signal.aborted) return null
      const current = this.current ?? (await this.openNext())
      if (current === undefined) return null
      if (!current.isEnd && current.length < this.options.splitBytes) await this.fill(current, this.options.splitBytes)
      const start = current.offset === 0 && hasByteOrderMark(current.bytes, current.length, this.options.encoding) ? 3 : 0
      const scan = this.scanner.scan(current.bytes.subarray(0, current.length), start, current.isEnd)
      if (scan.lastEnd >= 0) return this.cut(current, scan.lastEnd, scan.lastEndLines)
      if (scan.isTooLarge) return this.tooLarge(current, scan.stop, scan.stopLines)
      if (current.isEnd) {
        // Only blank lines were left.
        await this.closeCurrent()
        continue
      }
      // One record, not whole yet: drop the blank lines before it and read on, doubling the buffer.
      this.drop(current, scan.stop, scan.stopLines)
      await this.fill(current, Math.max(this.options.splitBytes, current.length * 2))
    }
  }

  /** Bytes of the files read so far, for progress. */
  get bytesRead(): number {
    return this.doneBytes + (this.current ? Math.min(this.current.file.size, this.current.offset) : 0)
  }

  async close(): Promise<void> {
    await this.closeCurrent()
  }

  /** The split of `bytes[0, end)`: whole records, ending with the one that ends at `end`. */
  private cut(current: OpenSplitFile, end: number, lines: number): InputSplit {
    const { bytes, length, file } = current
    const payload = new Uint8Array(bytes.buffer, bytes.byteOffset, end)
    // The payload's buffer is handed over: the rest moves to a buffer of its own.
    const rest = Buffer.allocUnsafeSlow(Math.max(this.options.splitBytes, length - end))
    bytes.copy(rest, 0, end, length)
    const context: RecordsSplitContext = {
      kind: 'records',
      source: file.path,
      offset: current.offset,
      line: current.line,
      schema: this.options.schema,
      ...(file.csvFieldIndexes === undefined ? {} : { csvFieldCount: file.csvFieldCount, csvFieldIndexes: file.csvFieldIndexes }),
    }
    current.bytes = rest
    current.length = length - end
    current.offset += end
    current.line += lines
    return this.split(current, payload, context)
  }

  /**
   * The split reporting the too long record at `stop`: the parser skips it to the end of its first
   * line (not honouring a quote it opened) and goes on from there.
   */
  private async tooLarge(current: OpenSplitFile, stop: number, stopLines: number): Promise<InputSplit> {
    this.drop(current, stop, stopLines)
    const line = current.line + 1
    const preview = current.bytes.subarray(0, Math.min(current.length, RAW_PREVIEW_CHARS * 4))
    const raw = rawPreview(new StringDecoder(this.options.encoding).write(preview), 0)
    for (;;) {
      const newline = current.bytes.subarray(0, current.length).indexOf(LF)
      if (newline >= 0) {
        this.drop(current, newline + 1, 1)
        break
      }
      if (current.isEnd) {
        this.drop(current, current.length, 0)
        break
      }
      this.drop(current, current.length, 0)
      await this.fill(current, this.options.splitBytes)
    }
    const context: TooLargeSplitContext = { kind: 'too_large', source: current.file.path, line, raw }
    return this.split(current, new Uint8Array(0), context)
  }

  private split(current: OpenSplitFile, payload: Uint8Array, context: FileSplitContext): InputSplit {
    const position: FilePosition = { file: current.file.path, offset: current.offset, line: current.line }
    const bytes = current.offset - current.countedOffset
    current.countedOffset = current.offset
    return { payload, context: context as unknown as JsonValue, position: position as unknown as JsonValue, bytes }
  }

  /** Moves past `bytes[0, count)`, which holds `lines` line ends. */
  private drop(current: OpenSplitFile, count: number, lines: number): void {
    if (count === 0) return
    current.bytes.copy(current.bytes, 0, count, current.length)
    current.length -= count
    current.offset += count
    current.line += lines
  }

  /** Reads until `length` reaches `target` bytes or the file ends, growing the buffer to `target`. */
  private async fill(current: OpenSplitFile, target: number): Promise<void> {
    if (current.bytes.length < target) {
      const grown = Buffer.allocUnsafeSlow(target)
      current.bytes.copy(grown, 0, 0, current.length)
      current.bytes = grown
    }
    while (current.length < target && !current.isEnd) {
      const { bytesRead } = await current.handle.read(current.bytes, current.length, target - current.length, current.readAt)
      if (bytesRead === 0) current.isEnd = true
      current.length += bytesRead
      current.readAt += bytesRead
    }
  }

  private async openNext(): Promise<OpenSplitFile | undefined> {
    if (this.nextIndex >= this.files.length) return undefined
    const file = this.files[this.nextIndex++]
    const handle = await open(file.path, 'r')
    const { offset, line } = file.start
    this.current = {
      file,
      handle,
      bytes: Buffer.allocUnsafeSlow(this.options.splitBytes),
      length: 0,
      offset,
      line,
      readAt: offset,
      isEnd: false,
      countedOffset: offset,
    }
    return this.current
  }

  private async closeCurrent(): Promise<void> {
    const current = this.current
    if (!current) return
    this.current = undefined
    this.doneBytes += current.file.size
    await current.handle.close()
  }
}

/** A UTF-8 byte-order mark, which the parser skips at the start of a stream. */
function hasByteOrderMark(bytes: Buffer, length: number, encoding: TextEncodingName): boolean {
  return encoding === 'utf8' && length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
}
