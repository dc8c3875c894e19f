/**
 * The not yet consumed, decoded text of a byte stream, with the byte offset of its first character.
 * The record parsers work on JavaScript strings (decoding whole chunks is much faster than decoding
 * field by field), and this class keeps the byte accounting exact so that a record's end can be
 * stored as a resume position and sought to later.
 */
import { StringDecoder } from 'node:string_decoder'

export const TEXT_ENCODINGS = ['utf8', 'latin1', 'utf16le'] as const
export type TextEncodingName = (typeof TEXT_ENCODINGS)[number]

/** Longest record parsers hold by default: a longer one is reported and skipped, so memory stays bounded. */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024

/** Byte length of a byte-order mark at the start of a stream, by encoding (latin1 has none). */
const BOM_BYTES: Record<TextEncodingName, number> = { utf8: 3, latin1: 0, utf16le: 2 }

export class DecodedText {
  /** Decoded text; `text.slice(pos)` is what is left to consume. */
  text = ''
  /** Index in `text` of the first character not consumed. Parsers advance it as they consume. */
  pos = 0
  /** No more chunks will come. */
  ended = false

  private readonly encoding: TextEncodingName
  private readonly decoder: StringDecoder
  /** Bytes per character for fixed-width encodings (latin1 1, utf16le 2); 0 for UTF-8. */
  private readonly bytesPerChar: number
  /**
   * The byte offset of `text[settledPos]`. Offsets are settled lazily (see `offset`): parsers only
   * move `pos`, and UTF-8 byte lengths are measured once per batch rather than once per record.
   */
  private settledOffset: number
  private settledPos = 0
  private isAtStart: boolean
  /** Decoded chunks not yet appended to `text` (see `merge`). */
  private pending: string[] = []
  private pendingChars = 0

  constructor(encoding: TextEncodingName = 'utf8', startOffset = 0) {
    this.encoding = encoding
    this.decoder = new StringDecoder(encoding)
    this.settledOffset = startOffset
    this.isAtStart = startOffset === 0
    this.bytesPerChar = encoding === 'utf16le' ? 2 : encoding === 'latin1' ? 1 : 0
  }

  push(chunk: Buffer | string): void {
    const decoded = typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
    if (decoded.length === 0) return
    this.pending.push(decoded)
    this.pendingChars += decoded.length
  }

  end(): void {
    const rest = this.decoder.end()
    if (rest.length > 0) {
      this.pending.push(rest)
      this.pendingChars += rest.length
    }
    this.ended = true
  }

  /** Characters that `merge` would add to `text`. */
  get pendingLength(): number {
    return this.pendingChars
  }

  /**
   * Byte offset in the source of `text[pos]`. Exact as long as the source is valid in its encoding:
   * an invalid UTF-8 sequence decodes to U+FFFD, whose 3 bytes may differ from the bytes it replaced
   * (read such files as latin1).
   */
  get offset(): number {
    if (this.pos !== this.settledPos) {
      const chars = this.pos - this.settledPos
      this.settledOffset +=
        this.bytesPerChar > 0 ? chars * this.bytesPerChar : Buffer.byteLength(this.text.slice(this.settledPos, this.pos), this.encoding)
      this.settledPos = this.pos
    }
    return this.settledOffset
  }

  /**
   * Appends the pushed chunks to the unconsumed text. Parsers call it when they need more text than
   * `text` holds; only then is the unconsumed rest copied.
   */
  merge(): boolean {
    if (this.pending.length === 0) return false
    this.settledOffset = this.offset
    const rest = this.pos < this.text.length ? this.text.slice(this.pos) : ''
    this.text = rest + (this.pending.length === 1 ? this.pending[0] : this.pending.join(''))
    this.pos = 0
    this.settledPos = 0
    this.pending = []
    this.pendingChars = 0
    if (this.isAtStart && this.text.length > 0) {
      this.isAtStart = false
      if (this.text.charCodeAt(0) === 0xfeff && BOM_BYTES[this.encoding] > 0) {
        this.pos = 1
        this.settledPos = 1
        this.settledOffset += BOM_BYTES[this.encoding]
      }
    }
    return true
  }

  /** Whether everything has been consumed and no more text will come. */
  get isDone(): boolean {
    return this.ended && this.pos >= this.text.length && this.pending.length === 0
  }
}
