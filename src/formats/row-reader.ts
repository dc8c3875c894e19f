/**
 * Moves records from a parser through a decoder into a batch: the loop every file-like input runs.
 * Malformed records and values that do not convert become rejected records with their raw text and
 * `source:line` (invariants 3 and 4).
 */
import type { RejectedRecord } from '../core/batch.js'
import { RecordError } from '../core/errors.js'
import type { Row } from '../core/schema.js'
import { MalformedRecord } from './malformed-record.js'

/** What a reader needs of a record parser (CsvParser, JsonLinesParser, JsonArrayParser). */
export interface RecordParser {
  push(chunk: Buffer | string): void
  end(): void
  /** A record, a MalformedRecord, or undefined when it needs input or is done. */
  next(): unknown
  readonly done: boolean
  /** 1-based line of the last returned record. */
  readonly recordLine: number
  /** Line ends consumed through the last returned record. */
  readonly endLine: number
  /** Byte offset just after the last returned record. */
  readonly endOffset: number
  /** Raw text of the last returned record. */
  recordText(): string
}

/** What a reader needs of a row decoder (CsvRowDecoder, JsonRowDecoder). */
export interface RowDecoder {
  /** Throws a RecordError when the record does not convert. */
  decode(record: never): Row
}

/**
 * Reads records until `rows` and `rejected` together hold `maxRecords` (so that a file of garbage
 * still comes in bounded batches) or the parser needs input. Returns true when the batch is full.
 * `source` names the stream in locations (`data/users.csv:12`).
 */
export function readRows(
  parser: RecordParser,
  decoder: RowDecoder,
  rows: Row[],
  rejected: RejectedRecord[],
  maxRecords: number,
  source: string,
): boolean {
  const decode = decoder.decode.bind(decoder) as (record: unknown) => Row
  while (rows.length + rejected.length < maxRecords) {
    const record = parser.next()
    if (record === undefined) return false
    if (record instanceof MalformedRecord) {
      rejected.push({ record: record.raw, error: record.error, location: `${source}:${parser.recordLine}` })
      continue
    }
    try {
      rows.push(decode(record))
    } catch (error) {
      if (!(error instanceof RecordError)) throw error
      rejected.push({ record: parser.recordText(), error, location: `${source}:${parser.recordLine}` })
    }
  }
  return true
}
