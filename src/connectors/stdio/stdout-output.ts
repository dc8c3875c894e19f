/**
 * The `stdout` output: rows as JSON Lines, CSV or a JSON array on standard output, encoded by
 * src/formats exactly as the file outputs encode them. Each batch is handed to the stream when
 * written (so that a trickle shows up at once), with the stream's backpressure respected. Not
 * resumable: nothing written to a pipe can be taken back, so commit() only waits for the stream
 * to take the bytes and returns no state.
 */
import Type from 'typebox'
import type { Batch } from '../../core/batch.js'
import { defineOutput, type Output, type WriteContext } from '../../core/component.js'
import { batchEncoder, OUTPUT_FORMAT_KINDS, type BatchEncoder, type BatchEncoderOptions, type OutputFormatKind } from '../../formats/batch-encoder.js'
import { csvWriteConfig, csvWriterOptionsOf, jsonEncoderOptionsOf, jsonWriteConfig } from '../../formats/format-config.js'
import { OutputBuffer } from '../../formats/output-buffer.js'

const config = Type.Object({
  format: Type.Enum([...OUTPUT_FORMAT_KINDS], {
    description: '`jsonl` (one JSON object per line), `csv` or `json` (one array of objects). The csv fields below apply to `csv` only.',
    default: 'jsonl',
  }),
  ...csvWriteConfig,
  ...jsonWriteConfig,
})

/** What the writer needs of a stream: process.stdout, or any Writable. */
export interface WritableStream {
  write(chunk: Buffer, callback: (error?: Error | null) => void): boolean
}

export class StdoutWriter implements Output {
  private readonly encoder: BatchEncoder
  private readonly buffer = new OutputBuffer(256 * 1024)
  /** The first write error the stream reported (EPIPE when the reader went away). */
  private error: Error | undefined

  constructor(
    kind: OutputFormatKind,
    encoderOptions: Omit<BatchEncoderOptions, 'resume' | 'target'>,
    private readonly stream: WritableStream = process.stdout,
  ) {
    this.encoder = batchEncoder(kind, { ...encoderOptions, target: 'stdout' })
  }

  async open(): Promise<void> {
    this.buffer.append(this.encoder.start())
  }

  async write(batch: Batch, ctx: WriteContext): Promise<void> {
    this.encoder.encode(batch, ctx, this.buffer)
    await this.flush()
  }

  async commit(): Promise<undefined> {
    await this.flush()
    return undefined
  }

  async finish(): Promise<void> {
    this.buffer.append(this.encoder.end())
    await this.flush()
  }

  async close(): Promise<void> {}

  private async flush(): Promise<void> {
    for (const chunk of this.buffer.takeAll()) {
      if (this.error) throw this.error
      let settle: () => void = () => undefined
      const written = new Promise<void>((resolve) => {
        settle = resolve
      })
      const isBelowLimit = this.stream.write(chunk, (error) => {
        if (error && !this.error) this.error = error
        settle()
      })
      // Over the stream's limit: wait until this chunk is handed on (or failed), which also covers a
      // stream that errored and will never emit 'drain'.
      if (!isBelowLimit) await written
    }
    if (this.error) throw this.error
  }
}

export const stdoutOutput = defineOutput({
  type: 'stdout',
  status: 'beta',
  summary: 'Writes rows to standard output as JSON Lines, CSV or a JSON array',
  description: [
    'Encodes exactly as the `jsonl`, `csv` and `json` file outputs do (same options), for looking at results or',
    'feeding another program: `fustor run pipeline.yaml | jq .`. Each batch is written when it arrives.',
    'Not resumable: what was written to a pipe cannot be taken back, so a resumed run may repeat rows.',
  ].join('\n'),
  categories: ['file'],
  config,
  examples: [
    {
      title: 'Look at a CSV file as JSON',
      yaml: `input:
  type: csv
  config:
    path: data/users.csv
output:
  type: stdout
  config:
    format: jsonl
`,
    },
  ],
  create: (cfg) =>
    new StdoutWriter(cfg.format, { csv: { ...csvWriterOptionsOf(cfg), hasHeader: cfg.header }, json: jsonEncoderOptionsOf(cfg) }),
})
