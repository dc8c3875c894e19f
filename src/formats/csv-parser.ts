/**
 * Streaming CSV parser (RFC 4180). Fed byte chunks, it returns one record at a time as an array of
 * field strings, and after each record knows the line it started on and the byte offset and line
 * count just after it: what a resume position and an error location need.
 *
 * Dialect:
 * - records end with LF or CRLF; a blank line is skipped (so a writer must quote the empty field of
 *   a one-column row, as CsvWriter does);
 * - a field may be quoted; inside quotes the delimiter, CR, LF and CRLF are data, and a quote is
 *   written doubled (`""`) or, when `escape` differs from `quote`, preceded by the escape character
 *   (which then escapes any character, itself included);
 * - outside quotes every character is data, except that a quote inside an unquoted field is an error
 *   unless `allowBareQuotes` (Go's LazyQuotes) is set;
 * - a byte-order mark at the start of the stream is skipped.
 *
 * Malformed input is reported, never repaired: the record becomes a MalformedRecord (code
 * `csv.malformed`, `csv.field_count` or `csv.record_too_large`) and parsing goes on with the next
 * line. Line numbers count LF characters.
 *
 * A record is too large when it spans more than `maxRecordBytes` characters from its start to its
 * end, line end included (an unterminated quoted field ends with the input): whether it arrived in
 * one chunk or many does not matter, so that a split run (csv-record-scanner.ts) decides the same.
 *
 * Speed: a line without a quote character takes the fast path, fields cut with `indexOf` and `slice`
 * over text decoded a whole chunk at a time; the next quote and delimiter positions are cached so
 * that no search runs past the line more than once per chunk. Quoted records take the slower path.
 * With `fieldRanges`, the fast path cuts nothing: it returns the line and where its fields are
 * (`CsvLine`), and the row decoder takes out only the values that are text (csv-row-decoder.ts).
 */
import { RecordError } from '../core/errors.js'
import { DEFAULT_MAX_RECORD_BYTES, DecodedText, type TextEncodingName } from './decoded-text.js'
import { MalformedRecord, rawPreview } from './malformed-record.js'

export interface CsvParserOptions {
  /** One character; default `,`. */
  readonly delimiter?: string
  /** One character, or empty for no quoting at all; default `"`. */
  readonly quote?: string
  /** One character escaping a quote inside quoted fields; default: the quote itself (`""`). */
  readonly escape?: string
  /** Accept a quote inside an unquoted field as data instead of reporting the record. */
  readonly allowBareQuotes?: boolean
  readonly encoding?: TextEncodingName
  /** Fields every record must have; 0 accepts any count. Settable later (`fieldCount`). */
  readonly fieldCount?: number
  /** Byte offset of the first byte fed (when resuming in the middle of a file). */
  readonly startOffset?: number
  /** Line ends (LF) before the first byte fed. */
  readonly startLine?: number
  /** A record longer than this (in characters) is reported and skipped, so memory stays bounded. */
  readonly maxRecordBytes?: number
  /**
   * Return a record without quotes as a `CsvLine` (the same object each time, valid until the next
   * call) instead of an array of strings. Quoted records still come as arrays.
   */
  readonly fieldRanges?: boolean
}

/**
 * A record without quotes, as where its fields are in the text it came in: field `i` is
 * `text.slice(bounds[i], bounds[i + 1] - 1)` (a delimiter follows each field but the last).
 */
export class CsvLine {
  text = ''
  /** Fields in the record. */
  count = 0
  /** `count + 1` entries: the start of each field, then the end of the record plus one. */
  bounds: Int32Array = new Int32Array(64)

  /** The fields as strings, as CsvParser returns them without `fieldRanges`. */
  toArray(): string[] {
    const fields = new Array<string>(this.count)
    for (let i = 0; i < this.count; i++) fields[i] = this.text.slice(this.bounds[i], this.bounds[i + 1] - 1)
    return fields
  }
}

/** Larger than any string index. */
const FAR = Number.MAX_SAFE_INTEGER
/** Marker for "the record is not complete in the text held". */
const NEED_MORE = 0
/** When more text is needed, the held rest is copied only once the new chunks are at least this big. */
const MERGE_THRESHOLD_CHARS = 64 * 1024

export class CsvParser {
  /** Fields each record must have; 0 accepts any count. */
  fieldCount: number
  /** 1-based line where the last returned record starts. */
  recordLine = 0
  /** Line ends (LF) consumed through the last returned record: resume here with `startLine`. */
  endLine: number

  private readonly source: DecodedText
  private readonly delimiter: string
  private readonly delimiterCode: number
  private readonly quote: string
  private readonly quoteCode: number
  private readonly escape: string
  private readonly hasEscape: boolean
  private readonly allowBareQuotes: boolean
  private readonly maxRecordChars: number
  /** The text `quoteAt` and `delimiterAt` index into. */
  private scannedText = ''
  private quoteAt = -1
  private delimiterAt = -1
  private lastText = ''
  private lastStart = 0
  private lastEnd = 0
  /** Set after an oversized record: its text is being skipped up to the end of its first line. */
  private oversized: { raw: string; line: number } | undefined
  /** With `fieldRanges`: what the fast path returns. */
  private readonly line: CsvLine | undefined

  constructor(options: CsvParserOptions = {}) {
    this.delimiter = options.delimiter ?? ','
    this.quote = options.quote ?? '"'
    this.escape = options.escape ?? this.quote
    if (this.delimiter.length !== 1) throw new RangeError(`csv delimiter must be one character, got ${JSON.stringify(this.delimiter)}`)
    if (this.quote.length > 1) throw new RangeError(`csv quote must be one character or empty, got ${JSON.stringify(this.quote)}`)
    if (this.escape.length > 1) throw new RangeError(`csv escape must be one character or empty, got ${JSON.stringify(this.escape)}`)
    this.delimiterCode = this.delimiter.charCodeAt(0)
    this.quoteCode = this.quote.length === 1 ? this.quote.charCodeAt(0) : -1
    this.hasEscape = this.escape.length === 1 && this.escape !== this.quote
    this.allowBareQuotes = options.allowBareQuotes ?? false
    this.fieldCount = options.fieldCount ?? 0
    this.maxRecordChars = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES
    this.endLine = options.startLine ?? 0
    this.source = new DecodedText(options.encoding ?? 'utf8', options.startOffset ?? 0)
    this.line = options.fieldRanges === true ? new CsvLine() : undefined
  }

  push(chunk: Buffer | string): void {
    this.source.push(chunk)
  }

  end(): void {
    this.source.end()
  }

  /** Byte offset just after the last returned record, its line end included. */
  get endOffset(): number {
    return this.source.offset
  }

  /** The input ended and every record has been returned. */
  get done(): boolean {
    return this.source.isDone && this.oversized === undefined
  }

  /** Raw text of the last returned record (without its line end). */
  recordText(): string {
    return this.lastText.slice(this.lastStart, this.lastEnd)
  }

  /**
   * The next record, a MalformedRecord in its place, or undefined when more input is needed (push a
   * chunk, or call end()) or the input is done (`done`).
   */
  next(): string[] | CsvLine | MalformedRecord | undefined {
    const source = this.source
    for (;;) {
      const text = source.text
      const pos = source.pos
      if (this.oversized !== undefined) {
        const skipped = this.skipOversized()
        if (skipped === NEED_MORE) return undefined
        return skipped
      }
      if (pos >= text.length) {
        if (this.fetch()) continue
        return undefined
      }
      const newline = text.indexOf('\n', pos)
      if (newline < 0 && !this.hasAllText()) {
        if (this.fetch()) continue
        if (text.length - pos > this.maxRecordChars) {
          this.startOversized(text, pos)
          continue
        }
        return undefined
      }
      const lineEnd = newline < 0 ? text.length : newline
      if (this.scannedText !== text) {
        this.scannedText = text
        this.quoteAt = -1
        this.delimiterAt = -1
      }
      if (this.quoteAt < pos && this.quoteCode >= 0) {
        const at = text.indexOf(this.quote, pos)
        this.quoteAt = at < 0 ? FAR : at
      }
      if (this.quoteAt >= lineEnd || this.quoteCode < 0) {
        if ((newline < 0 ? text.length : newline + 1) - pos > this.maxRecordChars) {
          this.startOversized(text, pos)
          continue
        }
        let end = lineEnd
        if (end > pos && text.charCodeAt(end - 1) === 13 /* \r */) end--
        this.recordLine = this.endLine + 1
        if (newline >= 0) this.endLine++
        if (end === pos) {
          // A blank line holds no record.
          source.pos = newline < 0 ? text.length : newline + 1
          continue
        }
        source.pos = newline < 0 ? text.length : newline + 1
        this.lastText = text
        this.lastStart = pos
        this.lastEnd = end
        if (this.line !== undefined) {
          const count = this.findFields(this.line, text, pos, end)
          if (this.fieldCount > 0 && count !== this.fieldCount) return this.fieldCountError(count)
          return this.line
        }
        const fields = this.splitLine(text, pos, end)
        if (this.fieldCount > 0 && fields.length !== this.fieldCount) return this.fieldCountError(fields.length)
        return fields
      }
      const endLine = this.endLine
      const record = this.parseQuoted(text, pos)
      if (record !== NEED_MORE) {
        if (source.pos - pos <= this.maxRecordChars) return record
        // Held whole by chance of the chunk boundaries: still too long.
        this.endLine = endLine
        source.pos = pos
        this.startOversized(text, pos)
        continue
      }
      if (this.fetch()) continue
      if (text.length - pos > this.maxRecordChars) {
        this.startOversized(text, pos)
        continue
      }
      return undefined
    }
  }

  /** Splits a line without quotes: the hot path. */
  private splitLine(text: string, start: number, end: number): string[] {
    const count = this.fieldCount
    const fields: string[] = count > 0 ? new Array<string>(count) : []
    const delimiter = this.delimiter
    let delimiterAt = this.delimiterAt
    let k = 0
    let p = start
    for (;;) {
      if (delimiterAt < p) {
        delimiterAt = text.indexOf(delimiter, p)
        if (delimiterAt < 0) delimiterAt = FAR
      }
      if (delimiterAt >= end) {
        fields[k++] = text.slice(p, end)
        break
      }
      fields[k++] = text.slice(p, delimiterAt)
      p = delimiterAt + 1
    }
    this.delimiterAt = delimiterAt
    if (k !== fields.length) fields.length = k
    return fields
  }

  /** Where the fields of a line without quotes are (the hot path with `fieldRanges`); returns their count. */
  private findFields(line: CsvLine, text: string, start: number, end: number): number {
    const delimiter = this.delimiter
    let bounds = line.bounds
    let delimiterAt = this.delimiterAt
    let k = 0
    bounds[0] = start
    for (;;) {
      if (delimiterAt < start) {
        delimiterAt = text.indexOf(delimiter, start)
        if (delimiterAt < 0) delimiterAt = FAR
      }
      if (delimiterAt >= end) break
      start = delimiterAt + 1
      if (++k + 1 >= bounds.length) bounds = line.bounds = grown(bounds)
      bounds[k] = start
    }
    bounds[k + 1] = end + 1
    this.delimiterAt = delimiterAt
    line.text = text
    line.count = k + 1
    return k + 1
  }

  /** Whether the held text is all the input there will be. */
  private hasAllText(): boolean {
    return this.source.ended && this.source.pendingLength === 0
  }

  /** Appends pushed chunks to the held text when worth it; false when more input must be pushed first. */
  private fetch(): boolean {
    const source = this.source
    if (source.pendingLength === 0) return false
    const held = source.text.length - source.pos
    if (!source.ended && held > MERGE_THRESHOLD_CHARS && source.pendingLength < held) return false
    return source.merge()
  }

  /** The general path: a record with at least one quote character before its first line end. */
  private parseQuoted(text: string, start: number): string[] | MalformedRecord | typeof NEED_MORE {
    const n = text.length
    const isComplete = this.hasAllText()
    const quote = this.quote
    const quoteCode = this.quoteCode
    const delimiterCode = this.delimiterCode
    const fields: string[] = []
    let i = start
    for (;;) {
      if (i < n && text.charCodeAt(i) === quoteCode) {
        let value = ''
        let segment = i + 1
        let j = segment
        for (;;) {
          const q = text.indexOf(quote, j)
          if (this.hasEscape) {
            const e = text.indexOf(this.escape, j)
            if (e >= 0 && (q < 0 || e < q)) {
              if (e + 1 >= n) {
                if (!isComplete) return NEED_MORE
                return this.unterminated(text, start)
              }
              value += text.slice(segment, e) + text[e + 1]
              segment = j = e + 2
              continue
            }
          }
          if (q < 0) {
            if (!isComplete) return NEED_MORE
            return this.unterminated(text, start)
          }
          if (q + 1 >= n && !isComplete) return NEED_MORE
          if (text.charCodeAt(q + 1) === quoteCode) {
            value += text.slice(segment, q + 1)
            segment = j = q + 2
            continue
          }
          value += text.slice(segment, q)
          i = q + 1
          break
        }
        if (i >= n) {
          fields.push(value)
          return this.finishRecord(fields, text, start, n, n)
        }
        const c = text.charCodeAt(i)
        if (c === delimiterCode) {
          fields.push(value)
          i++
          continue
        }
        if (c === 10 /* \n */) {
          fields.push(value)
          return this.finishRecord(fields, text, start, i, i + 1)
        }
        if (c === 13 /* \r */) {
          if (i + 1 >= n) {
            if (!isComplete) return NEED_MORE
            fields.push(value)
            return this.finishRecord(fields, text, start, i, n)
          }
          if (text.charCodeAt(i + 1) === 10) {
            fields.push(value)
            return this.finishRecord(fields, text, start, i, i + 2)
          }
        }
        return this.malformedLine(text, start, i, (line, column) => `unexpected ${describeChar(text, i)} after closing quote at line ${line}, column ${column}`)
      }
      const newline = text.indexOf('\n', i)
      if (newline < 0 && !isComplete) return NEED_MORE
      const lineEnd = newline < 0 ? n : newline
      let delimiterAt = text.indexOf(this.delimiter, i)
      if (delimiterAt < 0 || delimiterAt > lineEnd) delimiterAt = lineEnd
      if (!this.allowBareQuotes && quoteCode >= 0) {
        const q = text.indexOf(quote, i)
        if (q >= 0 && q < delimiterAt) {
          return this.malformedLine(text, start, q, (line, column) => `quote in unquoted field at line ${line}, column ${column}`)
        }
      }
      if (delimiterAt < lineEnd) {
        fields.push(text.slice(i, delimiterAt))
        i = delimiterAt + 1
        continue
      }
      let end = lineEnd
      if (end > i && text.charCodeAt(end - 1) === 13) end--
      fields.push(text.slice(i, end))
      return this.finishRecord(fields, text, start, end, newline < 0 ? n : newline + 1)
    }
  }

  private finishRecord(fields: string[], text: string, start: number, end: number, next: number): string[] | MalformedRecord {
    this.recordLine = this.endLine + 1
    this.endLine += countNewlines(text, start, next)
    this.source.pos = next
    this.lastText = text
    this.lastStart = start
    this.lastEnd = end
    if (this.fieldCount > 0 && fields.length !== this.fieldCount) return this.fieldCountError(fields.length)
    return fields
  }

  private fieldCountError(found: number): MalformedRecord {
    return new MalformedRecord(
      this.recordText(),
      new RecordError('csv.field_count', `csv record at line ${this.recordLine} has ${found} field${found === 1 ? '' : 's'}, expected ${this.fieldCount}`),
    )
  }

  private unterminated(text: string, start: number): MalformedRecord {
    const n = text.length
    this.recordLine = this.endLine + 1
    this.endLine += countNewlines(text, start, n)
    this.source.pos = n
    this.lastText = text
    this.lastStart = start
    this.lastEnd = n
    return new MalformedRecord(text.slice(start, n), new RecordError('csv.malformed', `unterminated quoted field in csv record starting at line ${this.recordLine}`))
  }

  /** Reports the record from `start` to the end of the line holding `at`, and skips it. */
  private malformedLine(
    text: string,
    start: number,
    at: number,
    message: (line: number, column: number) => string,
  ): MalformedRecord | typeof NEED_MORE {
    const newline = text.indexOf('\n', at)
    if (newline < 0 && !this.hasAllText()) return NEED_MORE
    const n = text.length
    let end = newline < 0 ? n : newline
    if (end > start && text.charCodeAt(end - 1) === 13) end--
    const lineStart = text.lastIndexOf('\n', at - 1) + 1
    this.recordLine = this.endLine + 1
    const line = this.recordLine + countNewlines(text, start, at)
    const column = at - Math.max(lineStart, start) + 1
    this.endLine += countNewlines(text, start, newline < 0 ? n : newline + 1)
    this.source.pos = newline < 0 ? n : newline + 1
    this.lastText = text
    this.lastStart = start
    this.lastEnd = end
    return new MalformedRecord(text.slice(start, end), new RecordError('csv.malformed', message(line, column)))
  }

  private startOversized(text: string, start: number): void {
    this.oversized = { raw: rawPreview(text, start), line: this.endLine + 1 }
  }

  /** Skips the oversized record's first line, then reports it; a quote it opened is not honoured. */
  private skipOversized(): MalformedRecord | typeof NEED_MORE {
    const source = this.source
    let hasLineEnd = false
    for (;;) {
      const text = source.text
      const newline = text.indexOf('\n', source.pos)
      if (newline >= 0) {
        source.pos = newline + 1
        hasLineEnd = true
        break
      }
      source.pos = text.length
      if (!source.merge()) {
        if (!source.ended) return NEED_MORE
        break
      }
    }
    const oversized = this.oversized!
    this.oversized = undefined
    this.recordLine = oversized.line
    this.endLine = hasLineEnd ? oversized.line : oversized.line - 1
    this.lastText = oversized.raw
    this.lastStart = 0
    this.lastEnd = oversized.raw.length
    return csvRecordTooLarge(oversized.raw, oversized.line, this.maxRecordChars)
  }
}

/** The report of a record longer than `maxRecordChars` that starts at `line`, `raw` its preview. */
export function csvRecordTooLarge(raw: string, line: number, maxRecordChars: number): MalformedRecord {
  return new MalformedRecord(
    raw,
    new RecordError('csv.record_too_large', `csv record at line ${line} is longer than ${maxRecordChars} characters (an unterminated quote?); skipped to the end of that line`),
  )
}

function grown(bounds: Int32Array): Int32Array {
  const larger = new Int32Array(bounds.length * 2)
  larger.set(bounds)
  return larger
}

function countNewlines(text: string, start: number, end: number): number {
  let count = 0
  let i = text.indexOf('\n', start)
  while (i >= 0 && i < end) {
    count++
    i = text.indexOf('\n', i + 1)
  }
  return count
}

function describeChar(text: string, i: number): string {
  return `character ${JSON.stringify(text[i])}`
}
