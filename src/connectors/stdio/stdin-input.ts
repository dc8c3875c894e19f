/**
 * The `stdin` input: CSV, JSON Lines or a JSON array piped into the process, parsed and converted by
 * src/formats exactly as the file inputs do. Not resumable: a pipe cannot be read twice, so the
 * position is null and a resumed run reads whatever stdin holds then.
 *
 * The schema is settled before the first batch: the records read for inference (and the CSV header)
 * are kept and replayed into the parser, so nothing is read twice from the pipe. A pipe can trickle
 * (`tail -f log | fustor run ...`): once a batch holds a record, it is delivered when no more bytes
 * arrive within `settings.linger_ms`.
 */
import Type from 'typebox'
import type { InputBatch, RejectedRecord } from '../../core/batch.js'
import { defineInput, type Input, type InputContext } from '../../core/component.js'
import type { Row, Schema } from '../../core/schema.js'
import { csvReadConfig, encodingConfig, readSchemaConfig, rowFormatOf } from '../../formats/format-config.js'
import { ROW_FORMAT_KINDS, type RowFormat } from '../../formats/row-format.js'
import { readRows, type RecordParser, type RowDecoder } from '../../formats/row-reader.js'

const SOURCE = 'stdin'

const config = Type.Object({
  format: Type.Enum([...ROW_FORMAT_KINDS], {
    description: '`csv`, `jsonl` (one JSON object per line) or `json` (one array of objects). The csv fields below apply to `csv` only.',
    default: 'jsonl',
  }),
  ...csvReadConfig,
  ...encodingConfig,
  ...readSchemaConfig,
})

type ChunkResult = IteratorResult<Buffer | string>

export class StdinReader implements Input {
  private iterator: AsyncIterator<Buffer | string> | undefined
  /** A chunk read that has not arrived yet (a linger timed out while waiting for it). */
  private pendingChunk: Promise<ChunkResult> | undefined
  private isStreamEnded = false
  private parser: RecordParser | undefined
  private decoder: RowDecoder | undefined
  private schema: Schema = { columns: [] }
  private bytesRead = 0

  constructor(
    private readonly format: RowFormat,
    private readonly sampleRows: number,
    private readonly ctx: InputContext,
    private readonly stream: AsyncIterable<Buffer | string> = process.stdin,
  ) {}

  async open(): Promise<void> {
    this.iterator = this.stream[Symbol.asyncIterator]()
    const kept: Buffer[] = []
    const probe = await this.format.probe(
      async () => {
        const chunk = await this.nextChunk()
        if (chunk !== null) kept.push(chunk)
        return chunk
      },
      this.format.needsSample ? this.sampleRows : 0,
      SOURCE,
    )
    this.schema = this.format.schema([probe]) ?? { columns: [] }
    if (probe.isEmpty) return
    const onUnknownKey = this.format.needsSample
      ? (key: string): void =>
          this.ctx.logger.warn(`json key ${JSON.stringify(key)} on stdin is not a column (declare \`columns\` or raise infer_sample_rows); its values are not read`)
      : undefined
    this.decoder = this.format.decoder(this.schema, probe, SOURCE, onUnknownKey)
    const start = probe.dataStart.offset > 0 ? probe.dataStart : undefined
    this.parser = this.format.parser(start, this.format.fieldCount(this.schema, probe))
    const replay = Buffer.concat(kept)
    this.parser.push(replay.subarray(start?.offset ?? 0))
    if (this.isStreamEnded) this.parser.end()
  }

  async read(): Promise<InputBatch | null> {
    const parser = this.parser
    const decoder = this.decoder
    if (parser === undefined || decoder === undefined) return null
    const max = Math.max(1, this.ctx.batchSize)
    const rows: Row[] = []
    const rejected: RejectedRecord[] = []
    const startOffset = parser.endOffset
    while (!this.ctx.signal.aborted) {
      if (readRows(parser, decoder, rows, rejected, max, SOURCE) || parser.done) break
      const hasRecords = rows.length + rejected.length > 0
      const chunk = hasRecords ? await this.nextChunkWithin(this.ctx.lingerMs) : await this.nextChunk()
      if (chunk === undefined) break
      if (chunk === null) parser.end()
      else parser.push(chunk)
    }
    if (rows.length === 0 && rejected.length === 0) return null
    const batch: InputBatch = { schema: this.schema, rows, position: null, bytes: parser.endOffset - startOffset }
    return rejected.length > 0 ? { ...batch, rejected } : batch
  }

  progress(): { bytesRead: number } {
    return { bytesRead: this.bytesRead }
  }

  async close(): Promise<void> {
    const iterator = this.iterator
    this.iterator = undefined
    // Stop reading the pipe; for process.stdin this releases it rather than closing descriptor 0.
    if (iterator?.return && !this.isStreamEnded) await iterator.return()
  }

  private async nextChunk(): Promise<Buffer | null> {
    if (this.isStreamEnded || this.iterator === undefined) return null
    const result = await (this.pendingChunk ?? this.iterator.next())
    this.pendingChunk = undefined
    return this.take(result)
  }

  /** The next chunk if it arrives within `ms`; undefined otherwise (the read stays pending). */
  private async nextChunkWithin(ms: number): Promise<Buffer | null | undefined> {
    if (this.isStreamEnded || this.iterator === undefined) return null
    const pending = this.pendingChunk ?? this.iterator.next()
    this.pendingChunk = pending
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, ms))
    })
    const result = await Promise.race([pending, timeout])
    clearTimeout(timer)
    if (result === undefined) return undefined
    this.pendingChunk = undefined
    return this.take(result)
  }

  private take(result: ChunkResult): Buffer | null {
    if (result.done) {
      this.isStreamEnded = true
      return null
    }
    const chunk = typeof result.value === 'string' ? Buffer.from(result.value, 'utf8') : result.value
    this.bytesRead += chunk.length
    return chunk
  }
}

export const stdinInput = defineInput({
  type: 'stdin',
  status: 'beta',
  summary: 'Reads CSV, JSON Lines or a JSON array from standard input (not resumable)',
  description: [
    'Parses and converts exactly as the `csv`, `jsonl` and `json` file inputs do (same options, same inference,',
    'same rejected records, located as `stdin:<line>`), for pipelines at the end of a shell pipe:',
    '`zcat users.csv.gz | fustor run pipeline.yaml`.',
    '',
    'Not resumable: the position is null, since a pipe cannot be read again; a resumed run reads what stdin',
    'holds then. A slow pipe is delivered in small batches within `settings.linger_ms`.',
  ].join('\n'),
  categories: ['file'],
  config,
  staticSchema: (cfg) => rowFormatOf(cfg.format, cfg).options.declared,
  examples: [
    {
      title: 'CSV from a pipe to a JSON Lines file',
      summary: 'Run as `fustor run stdin.yaml < data/users.csv`.',
      yaml: `input:
  type: stdin
  config:
    format: csv
output:
  type: jsonl
  config:
    path: out/users-from-stdin.jsonl
`,
    },
  ],
  create: (cfg, ctx) => new StdinReader(rowFormatOf(cfg.format, cfg), cfg.infer_sample_rows, ctx),
})
