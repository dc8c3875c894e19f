/**
 * Batches to the text of an output stream in one format, for every connector that writes text
 * (files, stdout): what comes first (CSV header, `[`), each batch, what comes last (`]`).
 *
 * A CSV stream has one header, so its columns are fixed by the first batch (or by the state of the
 * stream being resumed). Later batches are written by column name: a column missing from a batch is
 * written as NULL; a row holding a non-NULL value in a column the header lacks is rejected
 * (`csv.column_not_in_header`), since writing it would lose that value. JSON formats write each
 * batch with its own columns.
 *
 * Parallel runs encode in worker threads (chunk-encoder.ts) with a fragment encoder, which writes
 * rows only: no header, and a comma before every JSON array element. The stream's own encoder then
 * appends those bytes with `appendEncoded`, adding what only it knows: the header before the first
 * rows, the first element without its comma. The bytes are then those `encode` would have written.
 */
import type { Batch } from '../core/batch.js'
import type { EncodedChunk, WriteContext } from '../core/component.js'
import { FatalError, RecordError } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import { CsvWriter, type CsvWriterOptions } from './csv-writer.js'
import { JsonRowEncoder, type JsonRowEncoderOptions } from './json-row-encoder.js'
import type { OutputBuffer } from './output-buffer.js'

export const OUTPUT_FORMAT_KINDS = ['csv', 'jsonl', 'json'] as const
export type OutputFormatKind = (typeof OUTPUT_FORMAT_KINDS)[number]

export interface BatchEncoder {
  /** Text that opens a new stream. */
  start(): string
  /** Appends the text of a batch to `out`; rows it cannot write go to `ctx.reject`. */
  encode(batch: Batch, ctx: WriteContext, out: OutputBuffer): void
  /**
   * Appends rows a fragment encoder with the same options encoded. FatalError for CSV rows whose
   * columns are not the header's (a parallel run has one schema throughout).
   */
  appendEncoded(chunk: EncodedChunk, out: OutputBuffer): void
  /** Text that closes the stream. */
  end(): string
  /** Rows encoded so far (including those of a resumed stream). */
  readonly rows: number
  /** CSV header columns once fixed; undefined before the first batch and for JSON. */
  readonly columns: readonly string[] | undefined
}

export interface BatchEncoderOptions {
  readonly csv?: CsvWriterOptions & { readonly hasHeader: boolean }
  readonly json?: JsonRowEncoderOptions
  /** State of a stream being continued: rows already in it and its CSV header columns. */
  readonly resume?: { readonly rows: number; readonly columns?: readonly string[] }
  /** Names the stream in error messages. */
  readonly target: string
  /** Encodes rows only, for `appendEncoded` of the stream's encoder (see above). */
  readonly isFragment?: boolean
}

export function batchEncoder(kind: OutputFormatKind, options: BatchEncoderOptions): BatchEncoder {
  switch (kind) {
    case 'csv':
      return new CsvBatchEncoder(options)
    case 'jsonl':
      return new JsonBatchEncoder(options, false)
    case 'json':
      return new JsonBatchEncoder(options, true)
  }
}

class CsvBatchEncoder implements BatchEncoder {
  rows: number
  columns: readonly string[] | undefined
  private readonly writer: CsvWriter
  private readonly hasHeader: boolean
  private readonly target: string
  private readonly isFragment: boolean
  private preparedFor: Schema | undefined
  private writeRow: (row: Row, out: OutputBuffer) => void = () => undefined
  /** Indexes in the batch's rows of columns the header lacks. */
  private outsideHeader: number[] = []

  constructor(options: BatchEncoderOptions) {
    this.writer = new CsvWriter(options.csv)
    this.hasHeader = options.csv?.hasHeader ?? true
    this.target = options.target
    this.isFragment = options.isFragment ?? false
    this.rows = options.resume?.rows ?? 0
    this.columns = options.resume?.columns
  }

  start(): string {
    return ''
  }

  encode(batch: Batch, ctx: WriteContext, out: OutputBuffer): void {
    if (this.columns === undefined) {
      this.columns = batch.schema.columns.map((column) => column.name)
      if (this.hasHeader && !this.isFragment) out.append(this.writer.formatHeader(this.columns))
    }
    if (batch.schema !== this.preparedFor) this.prepare(batch.schema)
    const writeRow = this.writeRow
    const outside = this.outsideHeader
    const rows = batch.rows
    let written = 0
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]
      if (outside.length > 0) {
        const lost = outside.find((index) => row[index] !== null && row[index] !== undefined)
        if (lost !== undefined) {
          const name = batch.schema.columns[lost].name
          ctx.reject(row, new RecordError('csv.column_not_in_header', `column "${name}" is not in the header of ${this.target} (taken from the first batch); its value would be lost`, { column: name }))
          continue
        }
      }
      try {
        writeRow(row, out)
        written++
      } catch (error) {
        if (!(error instanceof RecordError)) throw error
        ctx.reject(row, error)
      }
    }
    this.rows += written
  }

  appendEncoded(chunk: EncodedChunk, out: OutputBuffer): void {
    const names = chunk.schema.columns.map((column) => column.name)
    if (this.columns === undefined) {
      this.columns = names
      if (this.hasHeader) out.append(this.writer.formatHeader(names))
    } else if (names.length !== this.columns.length || names.some((name, i) => name !== this.columns![i])) {
      throw new FatalError(
        'csv.chunk_columns_mismatch',
        `rows encoded with columns ${names.join(', ')} cannot be appended to ${this.target}, whose header has ${this.columns.join(', ')}`,
      )
    }
    out.appendBytes(chunk.bytes)
    this.rows += chunk.rows
  }

  end(): string {
    return ''
  }

  private prepare(schema: Schema): void {
    const columns = this.columns!
    const byName = new Map(schema.columns.map((column, index) => [column.name, index]))
    this.writeRow = this.writer.rowWriter(
      columns.map((name) => {
        const index = byName.get(name) ?? -1
        return { index, column: index < 0 ? { name, type: 'string' as const } : schema.columns[index] }
      }),
    )
    const inHeader = new Set(columns)
    this.outsideHeader = schema.columns.flatMap((column, index) => (inHeader.has(column.name) ? [] : [index]))
    this.preparedFor = schema
  }
}

class JsonBatchEncoder implements BatchEncoder {
  rows: number
  readonly columns = undefined
  private readonly options: JsonRowEncoderOptions
  private preparedFor: Schema | undefined
  private encoder: JsonRowEncoder | undefined

  private readonly isFragment: boolean

  constructor(
    options: BatchEncoderOptions,
    private readonly isArray: boolean,
  ) {
    this.options = options.json ?? {}
    this.rows = options.resume?.rows ?? 0
    this.isFragment = options.isFragment ?? false
  }

  start(): string {
    return this.isArray ? '[' : ''
  }

  encode(batch: Batch, _ctx: WriteContext, out: OutputBuffer): void {
    if (batch.schema !== this.preparedFor || this.encoder === undefined) {
      this.encoder = new JsonRowEncoder(batch.schema.columns, this.options)
      this.preparedFor = batch.schema
    }
    const encoder = this.encoder
    const rows = batch.rows
    const parts = out.parts
    for (let i = 0; i < rows.length; i++) {
      if (this.isArray) parts.push(this.rows + i === 0 && !this.isFragment ? '\n' : ',\n')
      encoder.encodeInto(rows[i], parts)
      if (!this.isArray) parts.push('\n')
      out.didAppend()
    }
    this.rows += rows.length
  }

  appendEncoded(chunk: EncodedChunk, out: OutputBuffer): void {
    // A fragment puts a comma before every element: the stream's first element has none.
    const isFirst = this.isArray && this.rows === 0 && chunk.rows > 0
    out.appendBytes(isFirst ? chunk.bytes.subarray(1) : chunk.bytes)
    this.rows += chunk.rows
  }

  end(): string {
    if (!this.isArray) return ''
    return this.rows === 0 ? ']\n' : '\n]\n'
  }
}
