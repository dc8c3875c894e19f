/**
 * The ChunkEncoder of the text outputs (core/component.ts `OutputDefinition.encoder`): encodes rows in
 * a worker thread with the same code as `write` (a BatchEncoder, as a fragment), into bytes the
 * output appends with `BatchEncoder.appendEncoded`.
 *
 * Each chunk starts a fresh fragment, so that it is described by its own first schema alone: the
 * CSV columns of its rows are those of its first batch, and its later batches are written by name
 * against them, as `write` writes every batch against the header.
 */
import type { Batch } from '../core/batch.js'
import type { ChunkEncoder, EncodedChunk, WriteContext } from '../core/component.js'
import type { Schema } from '../core/schema.js'
import { batchEncoder, type BatchEncoder, type BatchEncoderOptions, type OutputFormatKind } from './batch-encoder.js'
import { OutputBuffer } from './output-buffer.js'

export function chunkEncoder(kind: OutputFormatKind, options: Omit<BatchEncoderOptions, 'resume' | 'isFragment'>): ChunkEncoder {
  return new TextChunkEncoder(kind, { ...options, isFragment: true })
}

class TextChunkEncoder implements ChunkEncoder {
  private readonly out = new OutputBuffer()
  private fragment: BatchEncoder | undefined
  private schema: Schema | undefined

  constructor(
    private readonly kind: OutputFormatKind,
    private readonly options: BatchEncoderOptions,
  ) {}

  encode(batch: Batch, ctx: WriteContext): void {
    if (this.fragment === undefined) {
      this.fragment = batchEncoder(this.kind, this.options)
      this.schema = batch.schema
    }
    this.fragment.encode(batch, ctx, this.out)
  }

  take(): EncodedChunk | undefined {
    // A chunk of no rows still counts once a batch was encoded: the CSV header comes with the first
    // batch written, even an empty one.
    if (this.fragment === undefined) return undefined
    const chunk: EncodedChunk = { bytes: this.out.takeBytes(), rows: this.fragment.rows, schema: this.schema! }
    this.fragment = undefined
    this.schema = undefined
    return chunk
  }
}
