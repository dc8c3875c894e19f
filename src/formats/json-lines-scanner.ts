/**
 * Finds where JSON Lines records end in raw bytes, exactly as JsonLinesParser cuts them: every line
 * is a record (valid JSON or not) unless blank, and a line longer than the limit is a too large
 * record. One native `indexOf` per line; only the lines before the cut are looked at, and a line is
 * decoded only when it starts with a blank, tab or CR, to tell whether it is blank as the parser does
 * (`isBlankLine`).
 */
import type { TextEncodingName } from './decoded-text.js'
import { isBlankLine } from './json-lines-parser.js'
import { isLongerThan, isScannableEncoding, type RecordScan } from './record-scan.js'

const LF = 10

export class JsonLinesScanner {
  static supports(encoding: TextEncodingName): boolean {
    return isScannableEncoding(encoding)
  }

  constructor(
    private readonly encoding: TextEncodingName,
    private readonly maxRecordChars: number,
  ) {
    if (!JsonLinesScanner.supports(encoding)) throw new RangeError(`json lines in ${encoding} cannot be scanned in bytes`)
  }

  /** As CsvRecordScanner.scan: `bytes` all of the data, `start` the start of a line. */
  scan(bytes: Buffer, start: number, isEnd: boolean): RecordScan {
    const n = bytes.length
    let p = start
    let lines = 0
    let lastEnd = -1
    let lastEndLines = 0
    if (n - start <= this.maxRecordChars) {
      // No line can be too long: count the whole lines' ends in a tight loop, then look back for the
      // last one that is not blank.
      const last = bytes.lastIndexOf(LF, n - 1)
      if (last >= p) {
        for (let at = bytes.indexOf(LF, p); at >= 0 && at <= last; at = bytes.indexOf(LF, at + 1)) lines++
        let linesAfter = 0
        for (let end = last; end >= p; linesAfter++) {
          const lineStart = end === p ? p : Math.max(p, bytes.lastIndexOf(LF, end - 1) + 1)
          if (!this.isBlank(bytes, lineStart, end)) {
            lastEnd = end + 1
            lastEndLines = lines - linesAfter
            break
          }
          end = lineStart - 1
        }
        p = last + 1
      }
    }
    while (p < n) {
      const newline = bytes.indexOf(LF, p)
      if (newline < 0 && !isEnd) {
        return { lastEnd, lastEndLines, stop: p, stopLines: lines, isTooLarge: isLongerThan(bytes, p, n, this.maxRecordChars, this.encoding) }
      }
      const end = newline < 0 ? n : newline + 1
      if (isLongerThan(bytes, p, end, this.maxRecordChars, this.encoding)) return { lastEnd, lastEndLines, stop: p, stopLines: lines, isTooLarge: true }
      if (newline >= 0) lines++
      if (!this.isBlank(bytes, p, newline < 0 ? n : newline)) {
        lastEnd = end
        lastEndLines = lines
      }
      p = end
    }
    return { lastEnd, lastEndLines, stop: n, stopLines: lines, isTooLarge: false }
  }

  private isBlank(bytes: Buffer, from: number, to: number): boolean {
    if (from === to) return true
    const first = bytes[from]
    if (first !== 32 && first !== 9 && first !== 13) return false
    return isBlankLine(bytes.toString(this.encoding, from, to))
  }
}
