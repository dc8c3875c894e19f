/**
 * What a record scanner (csv-record-scanner.ts, json-lines-scanner.ts) finds in a buffer of a
 * stream's bytes: where whole records end, so that the bytes can be cut there and parsed apart (split
 * runs). A scanner finds exactly the records the format's parser would, malformed and too large ones
 * included, and counts line ends as the parser does, without decoding the bytes.
 */
import type { TextEncodingName } from './decoded-text.js'

export interface RecordScan {
  /** Index just after the last whole record (its line end included), or -1 when there is none. */
  readonly lastEnd: number
  /** Line ends (LF) between the scan's start and `lastEnd`. */
  readonly lastEndLines: number
  /**
   * Where scanning stopped: the start of a record that needs more bytes than the buffer holds, or of
   * a too large record, or the end of the buffer.
   */
  readonly stop: number
  /** Line ends between the scan's start and `stop`. */
  readonly stopLines: number
  /** The record at `stop` is longer than the limit: the parser reports it and skips its first line. */
  readonly isTooLarge: boolean
}

/** Text encodings whose line ends, quotes and delimiters a scanner finds as single bytes. */
export function isScannableEncoding(encoding: TextEncodingName): boolean {
  return encoding === 'utf8' || encoding === 'latin1'
}

/**
 * Whether `bytes[from, to)` decodes to more than `maxChars` UTF-16 code units, the unit the parsers
 * measure records in. Decodes only when the byte count says it may (a code unit takes at least one
 * byte), which for sane limits is never.
 */
export function isLongerThan(bytes: Buffer, from: number, to: number, maxChars: number, encoding: TextEncodingName): boolean {
  if (to - from <= maxChars) return false
  if (encoding === 'latin1') return true
  return bytes.toString(encoding, from, to).length > maxChars
}
