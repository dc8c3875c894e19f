/**
 * A text format (CSV, JSON Lines, JSON array) as inputs use it, whatever the bytes come from (files,
 * stdin): probe the start of a stream (CSV header, a sample of records), settle the schema (declared
 * columns, or inferred from the samples), then parse each stream from its start or from a saved
 * position and decode its records into rows. No I/O here: callers hand in the chunks.
 */
import { ConfigError } from '../core/errors.js'
import type { Schema } from '../core/schema.js'
import { CsvParser } from './csv-parser.js'
import { CsvRecordScanner } from './csv-record-scanner.js'
import { CsvRowDecoder } from './csv-row-decoder.js'
import { inferCsvSchema } from './csv-schema-inference.js'
import { DEFAULT_MAX_RECORD_BYTES, type TextEncodingName } from './decoded-text.js'
import { JsonArrayParser } from './json-array-parser.js'
import { JsonLinesParser } from './json-lines-parser.js'
import { JsonLinesScanner } from './json-lines-scanner.js'
import { JsonRowDecoder } from './json-row-decoder.js'
import { inferJsonSchema } from './json-schema-inference.js'
import { MalformedRecord } from './malformed-record.js'
import type { RecordParser, RowDecoder } from './row-reader.js'

export const ROW_FORMAT_KINDS = ['csv', 'jsonl', 'json'] as const
export type RowFormatKind = (typeof ROW_FORMAT_KINDS)[number]

export interface CsvDialect {
  readonly delimiter: string
  /** Empty: no quoting. */
  readonly quote: string
  /** Empty: a quote inside quotes is doubled. */
  readonly escape: string
  readonly hasHeader: boolean
  readonly allowBareQuotes: boolean
  /** Records skipped at the start of each stream, before the header. */
  readonly skipRows: number
  readonly nullValues: readonly string[]
}

export interface RowFormatOptions {
  readonly kind: RowFormatKind
  readonly encoding: TextEncodingName
  /** Required for csv. */
  readonly csv?: CsvDialect
  /** Declared columns; inferred from samples when absent. */
  readonly declared?: Schema
  /** CSV: false makes every inferred column a string. */
  readonly inferTypes: boolean
  readonly maxRecordBytes?: number
}

/** A place in a stream: byte offset and line ends before it. */
export interface StreamPoint {
  readonly offset: number
  readonly line: number
}

export interface StreamProbe {
  /** The stream holds no record (and no header). */
  readonly isEmpty: boolean
  /** CSV header names (empty names replaced by `column_<n>`). */
  readonly header: readonly string[] | undefined
  /** Where the first record starts (after skipped rows and the header). */
  readonly dataStart: StreamPoint
  /** Records read after the header, malformed ones left out: CSV field arrays or JSON values. */
  readonly sample: readonly unknown[]
  /** CSV: fields in the first record. */
  readonly firstFieldCount: number | undefined
}

/** Source of a stream's bytes: the next chunk, or null at its end. */
export type NextChunk = () => Promise<Buffer | null>

export class RowFormat {
  constructor(readonly options: RowFormatOptions) {
    if (options.kind === 'csv' && options.csv === undefined) throw new TypeError('csv format without a dialect')
  }

  get kind(): RowFormatKind {
    return this.options.kind
  }

  /** Whether a sample must be read to know the schema. */
  get needsSample(): boolean {
    return this.options.declared === undefined
  }

  /**
   * Reads the start of a stream: the CSV header and up to `sampleRows` records. Pulls no more chunks
   * than that needs. ConfigError when the CSV header itself is malformed.
   */
  async probe(nextChunk: NextChunk, sampleRows: number, source: string): Promise<StreamProbe> {
    const parser = this.parser(undefined, 0)
    const csv = this.options.csv
    const skipRows = csv?.skipRows ?? 0
    const wantsHeader = csv?.hasHeader ?? false
    const needsFirstRecord = csv !== undefined && !csv.hasHeader && this.options.declared === undefined
    let skipped = 0
    let header: string[] | undefined
    let dataStart: StreamPoint = { offset: 0, line: 0 }
    let firstFieldCount: number | undefined
    let hasRecord = false
    const sample: unknown[] = []
    for (;;) {
      const isPreamble = skipped < skipRows || (wantsHeader && header === undefined)
      if (!isPreamble && sample.length >= sampleRows && (!needsFirstRecord || firstFieldCount !== undefined)) break
      const record = parser.next()
      if (record === undefined) {
        if (parser.done) break
        const chunk = await nextChunk()
        if (chunk === null) parser.end()
        else parser.push(chunk)
        continue
      }
      if (skipped < skipRows) {
        skipped++
        dataStart = { offset: parser.endOffset, line: parser.endLine }
        continue
      }
      if (wantsHeader && header === undefined) {
        if (record instanceof MalformedRecord) {
          throw new ConfigError('csv.invalid_header', `the header of ${source} is malformed: ${record.error.message}`, { path: 'path' })
        }
        header = headerNames(record as string[], source)
        dataStart = { offset: parser.endOffset, line: parser.endLine }
        continue
      }
      hasRecord = true
      if (record instanceof MalformedRecord) continue
      if (firstFieldCount === undefined && Array.isArray(record)) firstFieldCount = record.length
      sample.push(record)
    }
    // Empty only when read to the end: a probe that needed no record stops before reading any.
    return { isEmpty: header === undefined && !hasRecord && parser.done, header, dataStart, sample, firstFieldCount }
  }

  /**
   * The schema of the rows: the declared columns, or the columns inferred from the probes' samples
   * (CSV names from the first header, or `column_1`.. without one). Undefined when every stream was
   * empty and nothing was declared.
   */
  schema(probes: readonly StreamProbe[]): Schema | undefined {
    if (this.options.declared) return this.options.declared
    const filled = probes.filter((probe) => !probe.isEmpty)
    if (filled.length === 0) return undefined
    if (this.options.kind !== 'csv') return inferJsonSchema(filled.flatMap((probe) => probe.sample))
    const first = filled[0]
    const names = first.header ?? Array.from({ length: first.firstFieldCount ?? 0 }, (_, i) => `column_${i + 1}`)
    const records: (readonly string[])[] = []
    for (const probe of filled) {
      const order = probe.header === undefined || probe.header === first.header ? undefined : names.map((name) => probe.header!.indexOf(name))
      for (const record of probe.sample as string[][]) records.push(order === undefined ? record : order.map((index) => record[index]))
    }
    return inferCsvSchema(names, records, { nullValues: this.options.csv!.nullValues, inferTypes: this.options.inferTypes })
  }

  /**
   * A parser for a stream, from its start or from `start` (a position saved after a record).
   * `forDecoder`: its records go to this format's decoder only (CSV lines then come as `CsvLine`).
   */
  parser(start: StreamPoint | undefined, csvFieldCount: number, forDecoder = false): RecordParser {
    const { encoding, maxRecordBytes } = this.options
    const startOffset = start?.offset ?? 0
    const startLine = start?.line ?? 0
    switch (this.options.kind) {
      case 'csv': {
        const csv = this.options.csv!
        return new CsvParser({
          delimiter: csv.delimiter,
          quote: csv.quote,
          escape: csv.escape === '' ? csv.quote : csv.escape,
          allowBareQuotes: csv.allowBareQuotes,
          encoding,
          fieldCount: csvFieldCount,
          startOffset,
          startLine,
          maxRecordBytes,
          fieldRanges: forDecoder,
        })
      }
      case 'jsonl':
        return new JsonLinesParser({ encoding, startOffset, startLine, maxRecordBytes })
      case 'json':
        return new JsonArrayParser({ encoding, startOffset, startLine, maxRecordBytes, isInsideArray: startOffset > 0 })
    }
  }

  /** Fields a CSV record of the stream must have. */
  fieldCount(schema: Schema, probe: StreamProbe): number {
    return probe.header?.length ?? schema.columns.length
  }

  /**
   * The decoder for a stream's records. For CSV with a header, maps header fields to columns by
   * name (see `csvFieldIndexes`).
   */
  decoder(schema: Schema, probe: StreamProbe, source: string, onUnknownKey?: (key: string) => void): RowDecoder {
    if (this.options.kind !== 'csv') return new JsonRowDecoder(schema, onUnknownKey)
    return this.decoderOf(schema, this.csvFieldIndexes(schema, probe, source))
  }

  /** A decoder from what `decoder` worked out for a stream (split runs decode apart from the stream). */
  decoderOf(schema: Schema, csvFieldIndexes: readonly number[] | undefined): RowDecoder {
    if (this.options.kind !== 'csv') return new JsonRowDecoder(schema)
    return new CsvRowDecoder(schema, csvFieldIndexes ?? schema.columns.map((_, i) => i), this.options.csv!.nullValues)
  }

  /**
   * CSV: for each column of the schema, the index of its field in the stream's records. With a
   * header, by name: ConfigError (`csv.header_mismatch`) naming the stream and the columns when they
   * differ from the declared columns or from the schema taken from the first stream.
   */
  csvFieldIndexes(schema: Schema, probe: StreamProbe, source: string): number[] {
    const names = schema.columns.map((column) => column.name)
    if (probe.header === undefined) return names.map((_, i) => i)
    const header = probe.header
    const missing = names.filter((name) => !header.includes(name))
    const extra = header.filter((name) => !names.includes(name))
    if (missing.length > 0 || extra.length > 0) {
      const against = this.options.declared ? 'the declared columns' : 'the columns of the first file'
      const parts = [
        missing.length > 0 ? `missing ${missing.map((name) => JSON.stringify(name)).join(', ')}` : '',
        extra.length > 0 ? `not in ${against}: ${extra.map((name) => JSON.stringify(name)).join(', ')}` : '',
      ].filter((part) => part !== '')
      throw new ConfigError('csv.header_mismatch', `the header of ${source} does not match ${against}: ${parts.join('; ')}`, {
        path: this.options.declared ? 'columns' : 'path',
        hint: `header: ${header.join(', ')}`,
      })
    }
    return names.map((name) => header.indexOf(name))
  }

  /** Longest record, in characters, before it is reported as too large. */
  get maxRecordChars(): number {
    return this.options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES
  }

  /**
   * A scanner finding record ends in a stream's bytes exactly as the parser would (split runs), or
   * undefined when the format cannot be cut in bytes: JSON arrays, UTF-16, a CSV dialect with
   * non-ASCII delimiter, quote or escape.
   */
  scanner(): CsvRecordScanner | JsonLinesScanner | undefined {
    const { kind, encoding } = this.options
    if (kind === 'jsonl') return JsonLinesScanner.supports(encoding) ? new JsonLinesScanner(encoding, this.maxRecordChars) : undefined
    if (kind !== 'csv') return undefined
    const csv = this.options.csv!
    const dialect = { delimiter: csv.delimiter, quote: csv.quote, escape: csv.escape, encoding }
    if (!CsvRecordScanner.supports(dialect)) return undefined
    return new CsvRecordScanner({ ...dialect, allowBareQuotes: csv.allowBareQuotes, maxRecordChars: this.maxRecordChars })
  }
}

function headerNames(fields: readonly string[], source: string): string[] {
  const names = fields.map((name, i) => (name === '' ? `column_${i + 1}` : name))
  const seen = new Set<string>()
  for (const name of names) {
    if (seen.has(name)) {
      throw new ConfigError('csv.duplicate_column', `the header of ${source} names column "${name}" twice`, {
        path: 'has_header',
        hint: 'set has_header: false, skip_rows: 1 and declare `columns` to name the columns yourself',
      })
    }
    seen.add(name)
  }
  return names
}
