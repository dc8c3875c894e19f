/**
 * Reads the files of a csv, jsonl or json input into batches. The format code (src/formats) does the
 * parsing and converting; this class does the files: listing them, probing each (CSV header, a sample
 * for inference), reading them in order, resuming from a position.
 *
 * Position (opaque to the engine): `{"file": "data/b.csv", "offset": 1048576, "line": 10412}`, the
 * file as listed, the byte offset just after the last record of the batch (in decompressed bytes for
 * `.gz`) and the line ends before that offset. A resumed run lists the files again, skips those
 * before `file`, and continues in `file` at `offset`: plain files by seeking there, `.gz` files by
 * decompressing from the start and discarding the bytes before it. Records are never re-read or
 * skipped, provided the files did not change in between.
 *
 * Parallel runs take plain csv and jsonl files in splits instead (`splits`, file-split-source.ts),
 * which worker threads decode with file-split-decoder.ts into the same rows at the same positions.
 */
import type { InputBatch, RejectedRecord } from '../../core/batch.js'
import type { Input, InputContext, InputProgress, SplitSource } from '../../core/component.js'
import { FatalError } from '../../core/errors.js'
import type { Row, Schema } from '../../core/schema.js'
import type { RecordParser, RowDecoder } from '../../formats/row-reader.js'
import { readRows } from '../../formats/row-reader.js'
import type { RowFormat, StreamPoint, StreamProbe } from '../../formats/row-format.js'
import { openFileChunks, type FileChunks } from './file-chunks.js'
import { listFiles, type ListedFile } from './file-list.js'
import type { FilePosition } from './file-position.js'
import { FileSplitSource, SPLIT_BYTES, type SplitFile } from './file-split-source.js'


interface OpenFile {
  readonly index: number
  readonly chunks: FileChunks
  readonly parser: RecordParser
  readonly decoder: RowDecoder
  /** Offset up to which this file's bytes were counted in batches. */
  countedOffset: number
}

/** A probe standing for a JSON file that was not opened early (the sample was already complete). */
const UNPROBED: StreamProbe = { isEmpty: false, header: undefined, dataStart: { offset: 0, line: 0 }, sample: [], firstFieldCount: undefined }

export class FileInputReader implements Input {
  private files: ListedFile[] = []
  private probes: StreamProbe[] = []
  private decoders: (RowDecoder | undefined)[] = []
  private schema: Schema = { columns: [] }
  private nextIndex = 0
  private resumeAt: { index: number; point: StreamPoint } | undefined
  private current: OpenFile | undefined
  private position: FilePosition | undefined
  /** Sizes of the files done with, for progress. */
  private doneBytes = 0
  private totalBytes = 0
  private splitSource: FileSplitSource | undefined

  /** @param splitBytes size of the splits of a parallel run (tests make it tiny to cut everywhere) */
  constructor(
    private readonly format: RowFormat,
    private readonly pattern: string,
    private readonly sampleRows: number,
    private readonly ctx: InputContext,
    private readonly splitBytes = SPLIT_BYTES,
  ) {}

  async open(): Promise<void> {
    // The engine retries open() after a transient error: start from nothing each time.
    this.probes = []
    this.files = await listFiles(this.pattern)
    this.totalBytes = this.files.reduce((sum, file) => sum + file.size, 0)
    let sampleWanted = this.format.needsSample ? this.sampleRows : 0
    for (const file of this.files) {
      if (this.format.kind !== 'csv' && sampleWanted === 0) {
        this.probes.push(UNPROBED)
        continue
      }
      const chunks = await openFileChunks(file.path, file.isGzip, 0)
      try {
        const probe = await this.format.probe(() => chunks.next(), sampleWanted, file.path)
        sampleWanted = Math.max(0, sampleWanted - probe.sample.length)
        this.probes.push(probe)
      } finally {
        await chunks.close()
      }
    }
    this.schema = this.format.schema(this.probes) ?? { columns: [] }
    // Declared columns may leave keys out on purpose; inferred ones leave out keys the sample missed.
    const onUnknownKey = this.format.needsSample
      ? (key: string): void => {
          const file = this.current ? this.files[this.current.index].path : this.pattern
          this.ctx.logger.warn(
            `json key ${JSON.stringify(key)} in ${file} is not a column (columns were inferred from the first ${this.sampleRows} records; declare \`columns\` or raise infer_sample_rows); its values are not read`,
          )
        }
      : undefined
    this.decoders = this.files.map((file, i) => (this.probes[i].isEmpty ? undefined : this.format.decoder(this.schema, this.probes[i], file.path, onUnknownKey)))
    this.resumeAt = this.resumePoint()
    if (this.resumeAt) {
      for (let i = 0; i < this.resumeAt.index; i++) this.doneBytes += this.files[i].size
      this.nextIndex = this.resumeAt.index
    }
  }

  async read(): Promise<InputBatch | null> {
    const max = Math.max(1, this.ctx.batchSize)
    const rows: Row[] = []
    const rejected: RejectedRecord[] = []
    let bytes = 0
    while (rows.length + rejected.length < max && !this.ctx.signal.aborted) {
      const current = this.current ?? (await this.openNext())
      if (current === undefined) break
      const before = rows.length + rejected.length
      const file = this.files[current.index]
      const isFull = readRows(current.parser, current.decoder, rows, rejected, max, file.path)
      if (rows.length + rejected.length > before) {
        const offset = current.parser.endOffset
        bytes += offset - current.countedOffset
        current.countedOffset = offset
        this.position = { file: file.path, offset, line: current.parser.endLine }
      }
      if (isFull) break
      if (current.parser.done) {
        await this.closeCurrent()
        continue
      }
      const chunk = await current.chunks.next()
      if (chunk === null) current.parser.end()
      else current.parser.push(chunk)
    }
    if (rows.length === 0 && rejected.length === 0) return null
    const batch: InputBatch = { schema: this.schema, rows, position: { ...this.position! }, bytes }
    return rejected.length > 0 ? { ...batch, rejected } : batch
  }

  /**
   * Splits for a parallel run, or undefined when they would not decode to exactly what read() gives
   * or cannot be cut: JSON arrays (cutting one needs the parser's whole state), `.gz` files (they
   * would be decompressed on the main thread, the one that must stay free), UTF-16 or a CSV dialect with a non-ASCII
   * delimiter, quote or escape (the scanner works on bytes), and JSON Lines with inferred columns
   * (the warning about a key that is not a column could not be given from a worker).
   */
  splits(): SplitSource | undefined {
    const isReading = this.current !== undefined || this.position !== undefined || this.splitSource !== undefined
    if (isReading || this.files.some((file) => file.isGzip)) return undefined
    if (this.format.kind === 'jsonl' && this.format.needsSample) return undefined
    const scanner = this.format.scanner()
    if (scanner === undefined) return undefined
    const files: SplitFile[] = []
    for (let index = this.nextIndex; index < this.files.length; index++) {
      const file = this.files[index]
      const probe = this.probes[index]
      const start = this.startPoint(index)
      if (this.decoders[index] === undefined || start.offset >= file.size) {
        this.doneBytes += file.size
        continue
      }
      const csv =
        this.format.kind === 'csv'
          ? { csvFieldCount: this.format.fieldCount(this.schema, probe), csvFieldIndexes: this.format.csvFieldIndexes(this.schema, probe, file.path) }
          : {}
      files.push({ path: file.path, size: file.size, start, ...csv })
    }
    this.resumeAt = undefined
    this.nextIndex = this.files.length
    this.splitSource = new FileSplitSource(files, scanner, {
      schema: this.schema,
      encoding: this.format.options.encoding,
      splitBytes: this.splitBytes,
      signal: this.ctx.signal,
    })
    return this.splitSource
  }

  progress(): InputProgress {
    if (this.splitSource) return { bytesTotal: this.totalBytes, bytesRead: this.doneBytes + this.splitSource.bytesRead }
    const current = this.current
    let reading = 0
    if (current) {
      const file = this.files[current.index]
      reading = Math.min(file.size, file.isGzip ? current.chunks.fileBytesRead : current.countedOffset)
    }
    return { bytesTotal: this.totalBytes, bytesRead: this.doneBytes + reading }
  }

  async close(): Promise<void> {
    await this.closeCurrent()
    await this.splitSource?.close()
  }

  /** Where reading file `index` starts: the resume position, or after its header. */
  private startPoint(index: number): StreamPoint {
    return this.resumeAt?.index === index ? this.resumeAt.point : this.probes[index].dataStart
  }

  /** Opens the next file with records left, at its data start or at the resume position. */
  private async openNext(): Promise<OpenFile | undefined> {
    while (this.nextIndex < this.files.length) {
      const index = this.nextIndex++
      const file = this.files[index]
      const probe = this.probes[index]
      const decoder = this.decoders[index]
      let start: StreamPoint | undefined = probe.dataStart.offset > 0 ? probe.dataStart : undefined
      if (this.resumeAt?.index === index) {
        start = this.resumeAt.point
        this.resumeAt = undefined
      }
      if (decoder === undefined || (!file.isGzip && start !== undefined && start.offset >= file.size)) {
        this.doneBytes += file.size
        continue
      }
      const chunks = await openFileChunks(file.path, file.isGzip, start?.offset ?? 0)
      const parser = this.format.parser(start, this.format.fieldCount(this.schema, probe), true)
      this.current = { index, chunks, parser, decoder, countedOffset: start?.offset ?? 0 }
      return this.current
    }
    return undefined
  }

  private async closeCurrent(): Promise<void> {
    const current = this.current
    if (!current) return
    this.current = undefined
    this.doneBytes += this.files[current.index].size
    await current.chunks.close()
  }

  private resumePoint(): { index: number; point: StreamPoint } | undefined {
    const position = this.ctx.resumeFrom
    if (position === undefined || position === null) return undefined
    const { file, offset, line } = position as Partial<FilePosition>
    if (typeof file !== 'string' || !Number.isSafeInteger(offset) || offset! < 0 || !Number.isSafeInteger(line) || line! < 0) {
      throw new FatalError('file.invalid_position', `invalid file position ${JSON.stringify(position)} (expected {"file", "offset", "line"})`)
    }
    const index = this.files.findIndex((listed) => listed.path === file)
    if (index < 0) {
      throw new FatalError('file.position_not_found', `cannot resume: "${file}" is no longer among the files of "${this.pattern}"`)
    }
    return { index, point: { offset: offset!, line: line! } }
  }
}
