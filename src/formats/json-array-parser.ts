/**
 * Streaming parser for a JSON document that is one array of values (`[{...}, {...}]`), or a single
 * value. It never holds the whole document: a small scanner finds where each top-level element ends
 * (tracking brackets and strings), and only that element's text is parsed (see exact-json.ts).
 * After each element it knows the line it started on and the byte offset and count of line ends just
 * after it; a parser created with `isInsideArray` resumes from such an offset.
 *
 * An element that is not valid JSON becomes a MalformedRecord (`json.malformed`) and scanning goes
 * on with the next one; a missing comma or bracket is reported the same way. Text after the closing
 * bracket, or a document that is not an array, is reported once and the rest is skipped.
 */
import { RecordError } from '../core/errors.js'
import { DEFAULT_MAX_RECORD_BYTES, DecodedText, type TextEncodingName } from './decoded-text.js'
import { parseJson } from './exact-json.js'
import { MalformedRecord } from './malformed-record.js'

export interface JsonArrayParserOptions {
  readonly encoding?: TextEncodingName
  readonly startOffset?: number
  /** Line ends (LF) before the first byte fed. */
  readonly startLine?: number
  /** The input starts just after an element of the array (resuming from a position). */
  readonly isInsideArray?: boolean
  /** A longer element is reported (`json.record_too_large`) and the rest of the document skipped. */
  readonly maxRecordBytes?: number
}

const enum State {
  /** Before the opening bracket (or a single top-level value). */
  Start,
  /** After `[`. */
  First,
  /** After a comma. */
  Element,
  /** After an element. */
  Separator,
  /** After `]` or the single value: only whitespace may follow. */
  End,
  /** After an error that leaves no way to find the next element: everything left is skipped. */
  Skip,
}

const RAW_PREVIEW_CHARS = 1024

export class JsonArrayParser {
  /** 1-based line on which the last returned element starts. */
  recordLine = 0
  /** Line ends consumed through the last returned element. */
  endLine: number

  private readonly source: DecodedText
  private readonly maxRecordChars: number
  private state: State
  private isSingleValue = false
  private lastRaw = ''

  constructor(options: JsonArrayParserOptions = {}) {
    this.source = new DecodedText(options.encoding ?? 'utf8', options.startOffset ?? 0)
    this.endLine = options.startLine ?? 0
    this.maxRecordChars = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES
    this.state = options.isInsideArray ? State.Separator : State.Start
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
    return this.source.isDone && (this.state === State.End || this.state === State.Skip || this.state === State.Start)
  }

  recordText(): string {
    return this.lastRaw
  }

  /** The next element, a MalformedRecord, or undefined: push more input, or `done`. */
  next(): unknown {
    const source = this.source
    for (;;) {
      this.skipWhitespace()
      const text = source.text
      const pos = source.pos
      if (pos >= text.length) {
        if (this.fetch()) continue
        if (!this.hasAllText()) return undefined
        if (this.state === State.Start || this.state === State.End || this.state === State.Skip) return undefined
        this.state = State.End
        return this.malformed('', `unexpected end of json input at line ${this.endLine + 1}: missing "]"`)
      }
      const c = text.charCodeAt(pos)
      switch (this.state) {
        case State.Start:
          if (c === 91 /* [ */) {
            source.pos = pos + 1
            this.state = State.First
            continue
          }
          this.isSingleValue = true
          return this.element()
        case State.First:
          if (c === 93 /* ] */) {
            source.pos = pos + 1
            this.state = State.End
            continue
          }
          return this.element()
        case State.Element:
          return this.element()
        case State.Separator:
          if (c === 44 /* , */) {
            source.pos = pos + 1
            this.state = State.Element
            continue
          }
          if (c === 93) {
            source.pos = pos + 1
            this.state = State.End
            continue
          }
          // Report the missing comma, then read on as if it were there.
          this.state = State.Element
          return this.malformed('', `expected "," or "]" at line ${this.endLine + 1}, found ${JSON.stringify(text[pos])}`)
        case State.End:
        case State.Skip: {
          const wasEnd = this.state === State.End
          const line = this.endLine + 1
          const raw = text.slice(pos, pos + RAW_PREVIEW_CHARS)
          this.state = State.Skip
          source.pos = text.length
          if (wasEnd) return this.malformed(raw, `unexpected text after the end of the json document at line ${line}`)
          continue
        }
      }
    }
  }

  private hasAllText(): boolean {
    return this.source.ended && this.source.pendingLength === 0
  }

  private fetch(): boolean {
    const source = this.source
    if (source.pendingLength === 0) return false
    const held = source.text.length - source.pos
    if (!source.ended && held > 65536 && source.pendingLength < held) return false
    return source.merge()
  }

  private skipWhitespace(): void {
    const source = this.source
    const text = source.text
    let i = source.pos
    let newlines = 0
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10) newlines++
      else if (c !== 32 && c !== 9 && c !== 13) break
    }
    if (i > source.pos) {
      source.pos = i
      this.endLine += newlines
    }
  }

  /** Scans and parses the element starting at the current position. */
  private element(): unknown {
    const source = this.source
    for (;;) {
      const text = source.text
      const start = source.pos
      const end = elementEnd(text, start)
      if (end < 0 || (end === text.length && !this.hasAllText())) {
        if (this.fetch()) continue
        if (!this.hasAllText()) {
          if (text.length - start <= this.maxRecordChars) return undefined
          const line = this.endLine + 1
          const raw = `${text.slice(start, start + RAW_PREVIEW_CHARS)}...`
          this.state = State.Skip
          source.pos = text.length
          this.recordLine = line
          this.lastRaw = raw
          return new MalformedRecord(
            raw,
            new RecordError('json.record_too_large', `json element at line ${line} is longer than ${this.maxRecordChars} characters; the rest of the document is skipped`),
          )
        }
        const line = this.endLine + 1
        this.state = State.Skip
        this.recordLine = line
        this.lastRaw = text.slice(start)
        source.pos = text.length
        return this.malformed(this.lastRaw, `unexpected end of json input in the element starting at line ${line}`)
      }
      const raw = text.slice(start, end)
      this.recordLine = this.endLine + 1
      this.endLine += countNewlines(raw)
      source.pos = end
      this.lastRaw = raw
      this.state = this.isSingleValue ? State.End : State.Separator
      try {
        return parseJson(raw)
      } catch (error) {
        return new MalformedRecord(raw, new RecordError('json.malformed', `invalid json in the element at line ${this.recordLine}: ${(error as Error).message}`, { cause: error }))
      }
    }
  }

  private malformed(raw: string, message: string): MalformedRecord {
    this.recordLine = this.endLine + 1
    this.lastRaw = raw
    return new MalformedRecord(raw, new RecordError('json.malformed', message))
  }
}

/**
 * Index just after the top-level value starting at `start`, or -1 when the text ends inside it.
 * A scalar ends at the next comma, bracket, brace or whitespace (or the end of the text).
 */
function elementEnd(text: string, start: number): number {
  const n = text.length
  const first = text.charCodeAt(start)
  if (first !== 123 && first !== 91 && first !== 34) {
    for (let i = start; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c === 44 || c === 93 || c === 125 || c === 32 || c === 10 || c === 13 || c === 9) return i
    }
    return n
  }
  let depth = 0
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      let q = text.indexOf('"', i + 1)
      while (q >= 0 && isEscaped(text, q)) q = text.indexOf('"', q + 1)
      if (q < 0) return -1
      if (depth === 0) return q + 1
      i = q
    } else if (c === 123 || c === 91) {
      depth++
    } else if (c === 125 || c === 93) {
      if (--depth === 0) return i + 1
    }
  }
  return -1
}

function isEscaped(text: string, quoteAt: number): boolean {
  let backslashes = 0
  for (let i = quoteAt - 1; i >= 0 && text.charCodeAt(i) === 92; i--) backslashes++
  return backslashes % 2 === 1
}

function countNewlines(text: string): number {
  let count = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++
  return count
}
