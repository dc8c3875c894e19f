/**
 * decodeSplit of the csv and jsonl inputs: the rows and rejected records of one split from
 * FileSplitSource, in a worker thread, exactly as FileInputReader.read gives them. The same parser,
 * decoder and batch loop (`readRows`) run over the split's bytes, fed in the chunks `read` feeds,
 * from the split's offset and line, so that values, rejected records and their locations are
 * the same.
 */
import type { Batch, RejectedRecord } from '../../core/batch.js'
import type { InputSplit, SplitSink } from '../../core/component.js'
import type { Row, Schema } from '../../core/schema.js'
import { csvRecordTooLarge } from '../../formats/csv-parser.js'
import { jsonLineTooLarge } from '../../formats/json-lines-parser.js'
import { readRows } from '../../formats/row-reader.js'
import type { RowFormat } from '../../formats/row-format.js'
import { CHUNK_BYTES } from './file-chunks.js'
import type { FileSplitContext } from './file-split-source.js'

/**
 * Schemas by their JSON text, so that the batches of every split of an input share one schema
 * object: processors and encoders prepare once per schema object, not once per split.
 */
const schemas = new Map<string, Schema>()
const MAX_SCHEMAS = 64

function internedSchema(schema: Schema): Schema {
  const key = JSON.stringify(schema)
  let interned = schemas.get(key)
  if (interned === undefined) {
    if (schemas.size >= MAX_SCHEMAS) schemas.clear()
    interned = schema
    schemas.set(key, interned)
  }
  return interned
}

export function decodeFileSplit(format: RowFormat, split: Pick<InputSplit, 'payload' | 'context'>, batchSize: number, sink: SplitSink): void {
  const context = split.context as unknown as FileSplitContext
  if (context.kind === 'too_large') {
    const tooLarge = format.kind === 'csv' ? csvRecordTooLarge : jsonLineTooLarge
    const record = tooLarge(context.raw, context.line, format.maxRecordChars)
    sink.rejected({ record: record.raw, error: record.error, location: `${context.source}:${context.line}` })
    return
  }
  const payload = split.payload as Uint8Array
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  const schema = internedSchema(context.schema)
  const decoder = format.decoderOf(schema, context.csvFieldIndexes)
  const parser = format.parser({ offset: context.offset, line: context.line }, context.csvFieldCount ?? 0, true)
  const max = Math.max(1, batchSize)
  let rows: Row[] = []
  let rejected: RejectedRecord[] = []
  const deliver = (): void => {
    if (rows.length > 0) sink.rows({ schema, rows } satisfies Batch)
    for (const record of rejected) sink.rejected(record)
    rows = []
    rejected = []
  }
  let fed = 0
  for (;;) {
    if (readRows(parser, decoder, rows, rejected, max, context.source)) {
      deliver()
      continue
    }
    if (parser.done) break
    // Chunks of the size `read` parses (the decoded text of a whole split would fall out of the
    // caches), cut after a line end: the parser then starts each on a fresh line instead of copying
    // the end of the last one in front of it.
    if (fed < bytes.length) {
      let end = Math.min(bytes.length, fed + CHUNK_BYTES)
      if (end < bytes.length) {
        const lineEnd = bytes.lastIndexOf(10, end - 1)
        if (lineEnd >= fed) end = lineEnd + 1
      }
      parser.push(bytes.subarray(fed, end))
      fed = end
    } else {
      parser.end()
    }
  }
  deliver()
}
