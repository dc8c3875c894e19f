/**
 * Finds where CSV records end in raw bytes, exactly as CsvParser cuts them, so that a split run can
 * cut a file into parts of whole records that parse apart to what one parser reading it all returns.
 *
 * It follows the parser's state machine record by record (csv-parser.ts `next` and `parseQuoted`),
 * malformed records included: a closing quote followed by junk ends the record at the end of that
 * line, a quote in an unquoted field too (unless bare quotes are allowed), an unterminated quoted
 * field runs to the end of the input; a record longer than the limit is reported and only its first
 * line skipped. Quote parity alone would go wrong on exactly those records. A line without a quote
 * costs one native `indexOf`; the quote, escape and delimiter positions are searched natively too and
 * cached, so that no byte is searched twice per scan.
 *
 * Works on bytes: the delimiter, quote and escape must be single-byte ASCII and the encoding UTF-8 or
 * latin1 (`CsvRecordScanner.supports`). In UTF-8, ASCII bytes never occur inside a multi-byte
 * character, so a byte equal to the quote is a quote character, as the parser would see it.
 */
import type { TextEncodingName } from './decoded-text.js'
import { isLongerThan, isScannableEncoding, type RecordScan } from './record-scan.js'

export interface CsvScannerOptions {
  readonly delimiter: string
  /** Empty: no quoting. */
  readonly quote: string
  /** Empty or the quote: quotes are doubled. */
  readonly escape: string
  readonly allowBareQuotes: boolean
  readonly encoding: TextEncodingName
  readonly maxRecordChars: number
}

const LF = 10
const CR = 13
/** Larger than any index: "none until the end of the buffer". */
const FAR = Number.MAX_SAFE_INTEGER
/** `quotedEnd`: the record is not complete in the buffer. */
const NEED_MORE = -1

export class CsvRecordScanner {
  private readonly delimiter: number
  /** -1: no quoting. */
  private readonly quote: number
  /** -1: quotes are doubled. */
  private readonly escape: number
  private readonly allowBareQuotes: boolean
  private readonly encoding: TextEncodingName
  private readonly maxRecordChars: number
  // Per scan: the buffer, whether it ends the stream, and the next position of each byte searched.
  private bytes: Buffer = Buffer.alloc(0)
  private isEnd = false
  private quoteAt = -1
  private escapeAt = -1
  private delimiterAt = -1
  private lineEndAt = -1

  /** Whether a dialect can be scanned in bytes (otherwise a split run cannot cut the input). */
  static supports(options: Omit<CsvScannerOptions, 'maxRecordChars' | 'allowBareQuotes'>): boolean {
    const isPlainByte = (c: string): boolean => c.length === 1 && c.charCodeAt(0) < 0x80 && c !== '\n' && c !== '\r'
    const { delimiter, quote } = options
    // Without quoting the escape character is never looked at.
    const escape = options.escape === quote || quote === '' ? '' : options.escape
    return (
      isScannableEncoding(options.encoding) &&
      isPlainByte(delimiter) &&
      (quote === '' || (isPlainByte(quote) && quote !== delimiter)) &&
      (escape === '' || (isPlainByte(escape) && escape !== delimiter))
    )
  }

  constructor(options: CsvScannerOptions) {
    if (!CsvRecordScanner.supports(options)) throw new RangeError(`csv dialect cannot be scanned in bytes: ${JSON.stringify(options)}`)
    this.delimiter = options.delimiter.charCodeAt(0)
    this.quote = options.quote === '' ? -1 : options.quote.charCodeAt(0)
    this.escape = options.escape === '' || options.escape === options.quote || options.quote === '' ? -1 : options.escape.charCodeAt(0)
    this.allowBareQuotes = options.allowBareQuotes
    this.encoding = options.encoding
    this.maxRecordChars = options.maxRecordChars
  }

  /**
   * Scans `bytes` (all of it: pass a view ending where the data ends) from `start`, the start of a
   * record (or of blank lines before one). `isEnd`: the bytes end the stream, so that a record
   * without a line end, or an unterminated quoted field, ends there.
   */
  scan(bytes: Buffer, start: number, isEnd: boolean): RecordScan {
    this.bytes = bytes
    this.isEnd = isEnd
    this.quoteAt = this.escapeAt = this.delimiterAt = this.lineEndAt = -1
    const n = bytes.length
    const max = this.maxRecordChars
    let p = start
    let lines = 0
    let lastEnd = -1
    let lastEndLines = 0
    const stopAt = (isTooLarge: boolean): RecordScan => ({ lastEnd, lastEndLines, stop: p, stopLines: lines, isTooLarge })
    // No record in the buffer can be too long: stretches of lines without a quote need only their
    // line ends counted, in a tight loop (most files hold few quotes or none).
    const isShort = n - start <= max
    while (p < n) {
      if (isShort) {
        const quoteAt = this.quote < 0 ? FAR : this.nextQuote(p)
        if (quoteAt > p) {
          const last = bytes.lastIndexOf(LF, Math.min(quoteAt, n) - 1)
          if (last >= p) {
            lines += countLineEnds(bytes, p, last + 1)
            const end = lastLineEnd(bytes, p, last)
            if (end >= 0) {
              lastEnd = end
              lastEndLines = lines - countLineEnds(bytes, end, last + 1)
            }
            p = last + 1
            continue
          }
        }
      }
      const newline = this.nextLineEnd(p)
      if (newline === FAR && !isEnd) return stopAt(isLongerThan(bytes, p, n, max, this.encoding))
      const lineEnd = newline === FAR ? n : newline
      if (this.quote < 0 || this.nextQuote(p) >= lineEnd) {
        // The parser's fast path: a line without a quote is a record, or blank ("" or "\r").
        const next = newline === FAR ? n : newline + 1
        if (isLongerThan(bytes, p, next, max, this.encoding)) return stopAt(true)
        if (newline !== FAR) lines++
        if (lineEnd > p + 1 || (lineEnd === p + 1 && bytes[p] !== CR)) {
          lastEnd = next
          lastEndLines = lines
        }
        p = next
        continue
      }
      const next = this.quotedEnd(p)
      if (next === NEED_MORE) return stopAt(isLongerThan(bytes, p, n, max, this.encoding))
      if (isLongerThan(bytes, p, next, max, this.encoding)) return stopAt(true)
      // Mostly the record ends at its first line end: nothing to count again. Otherwise count afresh:
      // the cached line end may be past line ends inside the quoted record.
      lines += next === newline + 1 ? 1 : countLineEnds(bytes, p, next)
      lastEnd = next
      lastEndLines = lines
      p = next
    }
    return stopAt(false)
  }

  /** CsvParser.parseQuoted in bytes: where the record starting at `start` ends, or NEED_MORE. */
  private quotedEnd(start: number): number {
    const bytes = this.bytes
    const n = bytes.length
    const isEnd = this.isEnd
    const quote = this.quote
    let i = start
    for (;;) {
      if (i < n && bytes[i] === quote) {
        let j = i + 1
        for (;;) {
          const q = this.nextQuote(j)
          if (this.escape >= 0) {
            const e = this.nextEscape(j)
            if (e !== FAR && e < q) {
              // The escape takes the next character, whatever it is.
              if (e + 1 >= n) return isEnd ? n : NEED_MORE
              j = e + 2
              continue
            }
          }
          // Unterminated: the parser reports everything to the end of the input as one record.
          if (q === FAR) return isEnd ? n : NEED_MORE
          if (q + 1 >= n && !isEnd) return NEED_MORE
          if (bytes[q + 1] === quote) {
            j = q + 2
            continue
          }
          i = q + 1
          break
        }
        if (i >= n) return n
        const c = bytes[i]
        if (c === this.delimiter) {
          i++
          continue
        }
        if (c === LF) return i + 1
        if (c === CR) {
          if (i + 1 >= n) return isEnd ? n : NEED_MORE
          if (bytes[i + 1] === LF) return i + 2
        }
        // Text after the closing quote: the record is reported to the end of that line.
        return this.lineEndAfter(i)
      }
      const newline = this.nextLineEnd(i)
      if (newline === FAR && !isEnd) return NEED_MORE
      const lineEnd = newline === FAR ? n : newline
      let delimiterAt = this.nextDelimiter(i)
      if (delimiterAt > lineEnd) delimiterAt = lineEnd
      if (!this.allowBareQuotes) {
        const q = this.nextQuote(i)
        // A quote in an unquoted field: reported to the end of that line.
        if (q < delimiterAt) return this.lineEndAfter(q)
      }
      if (delimiterAt < lineEnd) {
        i = delimiterAt + 1
        continue
      }
      return newline === FAR ? n : newline + 1
    }
  }

  /** Just after the line end following `at` (the end of a malformed record), or NEED_MORE. */
  private lineEndAfter(at: number): number {
    const newline = this.nextLineEnd(at)
    if (newline === FAR) return this.isEnd ? this.bytes.length : NEED_MORE
    return newline + 1
  }

  // The next position of a byte at or after `from`, FAR when none. Searches only move forward (from
  // positions inside the record being scanned, then the next ones), so a cached position at or after
  // `from` is still the next one.

  private nextLineEnd(from: number): number {
    if (this.lineEndAt < from) this.lineEndAt = indexOrFar(this.bytes, LF, from)
    return this.lineEndAt
  }

  private nextQuote(from: number): number {
    if (this.quoteAt < from) this.quoteAt = indexOrFar(this.bytes, this.quote, from)
    return this.quoteAt
  }

  private nextEscape(from: number): number {
    if (this.escapeAt < from) this.escapeAt = indexOrFar(this.bytes, this.escape, from)
    return this.escapeAt
  }

  private nextDelimiter(from: number): number {
    if (this.delimiterAt < from) this.delimiterAt = indexOrFar(this.bytes, this.delimiter, from)
    return this.delimiterAt
  }
}

/**
 * In lines without quotes from `from` through the line end at `last`: just after the last line that
 * is not blank ("" or "\r"), or -1 when all are.
 */
function lastLineEnd(bytes: Buffer, from: number, last: number): number {
  for (let end = last; end >= from; ) {
    const start = end === from ? from : bytes.lastIndexOf(LF, end - 1) + 1
    const lineStart = Math.max(start, from)
    if (end > lineStart + 1 || (end === lineStart + 1 && bytes[lineStart] !== CR)) return end + 1
    end = lineStart - 1
  }
  return -1
}

/** Line ends in `bytes[from, to)`. */
function countLineEnds(bytes: Buffer, from: number, to: number): number {
  let count = 0
  for (let at = bytes.indexOf(LF, from); at >= 0 && at < to; at = bytes.indexOf(LF, at + 1)) count++
  return count
}

function indexOrFar(bytes: Buffer, byte: number, from: number): number {
  if (from >= bytes.length) return FAR
  const at = bytes.indexOf(byte, from)
  return at < 0 ? FAR : at
}
