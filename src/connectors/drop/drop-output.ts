/**
 * The `drop` output: accepts every batch and keeps nothing. For benchmarks (the cost of a pipeline
 * without any writing) and tests. Accepting is durable by definition, so it needs no commit.
 */
import Type from 'typebox'
import type { Batch } from '../../core/batch.js'
import { defineOutput, type ChunkEncoder, type EncodedChunk, type Output, type OutputContext, type WriteContext } from '../../core/component.js'
import type { Schema } from '../../core/schema.js'

const config = Type.Object({})

/** Discards what it is given, counting it for the closing log line. */
export class DropWriter implements Output {
  batches = 0
  rows = 0

  constructor(private readonly ctx: OutputContext) {}

  async open(): Promise<void> {}

  async write(batch: Batch, _ctx: WriteContext): Promise<void> {
    this.batches++
    this.rows += batch.rows.length
  }

  async writeEncoded(chunk: EncodedChunk): Promise<void> {
    this.batches++
    this.rows += chunk.rows
  }

  async close(): Promise<void> {
    this.ctx.logger.debug('drop output discarded rows', { rows: this.rows, batches: this.batches })
  }
}

/** Parallel runs: counts the rows a worker would have encoded; no bytes cross threads. */
class DropEncoder implements ChunkEncoder {
  private rows = 0
  private schema: Schema | undefined

  encode(batch: Batch, _ctx: WriteContext): void {
    this.schema ??= batch.schema
    this.rows += batch.rows.length
  }

  take(): EncodedChunk | undefined {
    if (this.schema === undefined) return undefined
    const chunk: EncodedChunk = { bytes: new Uint8Array(0), rows: this.rows, schema: this.schema }
    this.rows = 0
    this.schema = undefined
    return chunk
  }
}

export const dropOutput = defineOutput({
  type: 'drop',
  status: 'stable',
  summary: 'Discards every row, for benchmarks and tests',
  description: 'Accepts every batch at once and writes nothing. Use it to measure what the input and processors cost on their own.',
  categories: ['utility', 'testing'],
  config,
  examples: [
    {
      title: 'Measure a filter',
      summary: 'Generates rows, filters them and discards the result: the cost of the filter alone.',
      yaml: `input:
  type: generate
  config:
    count: 100000
pipeline:
  processors:
    - type: filter
      config:
        condition: age >= 30
output:
  type: drop
  config: {}
`,
    },
  ],
  create: (_config, ctx) => new DropWriter(ctx),
  encoder: () => new DropEncoder(),
})
