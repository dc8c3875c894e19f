/**
 * Streaming JSON Lines parser: one JSON value per line (LF or CRLF), blank lines skipped. After each
 * value it knows the line it was on and the byte offset and count of line ends just after it. A line
 * that is not valid JSON becomes a MalformedRecord (`jsonl.malformed`); parsing goes on. Numbers are
 * read exactly where a double would change them (see exact-json.ts).
 *
 * A line of more than `maxRecordBytes` characters (line end included) is too large
 * (`jsonl.record_too_large`), whatever the chunk boundaries, and skipped.
 */
import { RecordError } from '../core/errors.js'
import { DEFAULT_MAX_RECORD_BYTES, DecodedText, type TextEncodingName } from './decoded-text.js'
import { parseJson } from './exact-json.js'
import { MalformedRecord, rawPreview } from './malformed-record.js'

export interface JsonLinesParserOptions {
  readonly encoding?: TextEncodingName
  readonly startOffset?: number
  /** Line ends (LF) before the first byte fed. */
  readonly startLine?: number
  /** A longer line is reported (`jsonl.record_too_large`) and skipped. */
  readonly maxRecordBytes?: number
}

export class JsonLinesParser {
  /** 1-based line of the last returned value. */
  recordLine = 0
  /** Line ends consumed through the last returned value. */
  endLine: number

  private readonly source: DecodedText
  private readonly maxRecordChars: number
  private lastRaw = ''
  private oversized: { raw: string; line: number } | undefined

  constructor(options: JsonLinesParserOptions = {}) {
    this.source = new DecodedText(options.encoding ?? 'utf8', options.startOffset ?? 0)
    this.endLine = options.startLine ?? 0
    this.maxRecordChars = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES
  }

  push(chunk: Buffer | string): void {
    this.source.push(chunk)
  }

  end(): void {
    this.source.end()
  }

  get endOffset(): number {
    return this.source.offset
  }

  get done(): boolean {
    return this.source.isDone && this.oversized === undefined
  }

  /** Raw text of the last returned value's line. */
  recordText(): string {
    return this.lastRaw
  }

  /** The next value (any JSON value), a MalformedRecord, or undefined: push more input, or `done`. */
  next(): unknown {
    const source = this.source
    for (;;) {
      if (this.oversized !== undefined) return this.skipOversized()
      const text = source.text
      const pos = source.pos
      const newline = pos < text.length ? text.indexOf('\n', pos) : -1
      if (newline < 0 && !(source.ended && source.pendingLength === 0)) {
        const held = text.length - pos
        if (source.pendingLength > 0 && (source.ended || held < 65536 || source.pendingLength >= held) && source.merge()) continue
        if (held > this.maxRecordChars) {
          this.oversized = { raw: rawPreview(text, pos), line: this.endLine + 1 }
          continue
        }
        return undefined
      }
      if (pos >= text.length) return undefined
      const end = newline < 0 ? text.length : newline
      if ((newline < 0 ? end : end + 1) - pos > this.maxRecordChars) {
        // Held whole by chance of the chunk boundaries: still too long.
        this.oversized = { raw: rawPreview(text, pos), line: this.endLine + 1 }
        continue
      }
      const line = text.slice(pos, end)
      source.pos = newline < 0 ? end : end + 1
      this.recordLine = this.endLine + 1
      if (newline >= 0) this.endLine++
      if (isBlankLine(line)) continue
      this.lastRaw = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line
      try {
        return parseJson(line)
      } catch (error) {
        return new MalformedRecord(
          this.lastRaw,
          new RecordError('jsonl.malformed', `invalid json at line ${this.recordLine}: ${(error as Error).message}`, { cause: error }),
        )
      }
    }
  }

  private skipOversized(): MalformedRecord | undefined {
    const source = this.source
    let hasLineEnd = false
    for (;;) {
      const newline = source.text.indexOf('\n', source.pos)
      if (newline >= 0) {
        source.pos = newline + 1
        hasLineEnd = true
        break
      }
      source.pos = source.text.length
      if (!source.merge()) {
        if (!source.ended) return undefined
        break
      }
    }
    const oversized = this.oversized!
    this.oversized = undefined
    this.recordLine = oversized.line
    this.endLine = hasLineEnd ? oversized.line : oversized.line - 1
    this.lastRaw = oversized.raw
    return jsonLineTooLarge(oversized.raw, oversized.line, this.maxRecordChars)
  }
}

/** The report of a line longer than `maxRecordChars`, `raw` its preview. */
export function jsonLineTooLarge(raw: string, line: number, maxRecordChars: number): MalformedRecord {
  return new MalformedRecord(raw, new RecordError('jsonl.record_too_large', `json line ${line} is longer than ${maxRecordChars} characters; skipped`))
}

/** Whether a line (its CR included) holds no value: empty, or only whitespace after a blank, tab or CR. */
export function isBlankLine(line: string): boolean {
  if (line.length === 0) return true
  const first = line.charCodeAt(0)
  if (first !== 32 && first !== 9 && first !== 13) return false
  return line.trim().length === 0
}
