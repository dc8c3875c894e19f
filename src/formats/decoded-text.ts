/**
 * The not yet consumed, decoded text of a byte stream, with the byte offset of its first character.
 * The record parsers work on JavaScript strings (decoding whole chunks is much faster than decoding
 * field by field), and this class keeps the byte accounting exact so that a record's end can be
 * stored as a resume position and sought to later.
 */
import { isAscii } from 'node:buffer'
import { StringDecoder } from 'node:string_decoder'

export const TEXT_ENCODINGS = ['utf8', 'latin1', 'utf16le'] as const
export type TextEncodingName = (typeof TEXT_ENCODINGS)[number]

/** Longest record parsers hold by default: a longer one is reported and skipped, so memory stays bounded. */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024

/**
 * UTF-8 chunks are decoded in pieces: the lines holding a character outside Latin-1 each alone, the
 * rest as one-byte strings. A single "Gdańsk" (ń is outside Latin-1) would otherwise make V8 hold
 * the whole decoded chunk, and every field sliced from it, as a two-byte string, and every later
 * string operation on them slower: measured, 10% of a CSV-to-CSV run (docs/ARCHITECTURE.md D15).
 * Only the lines holding non-ASCII bytes are decoded as UTF-8, several times slower than the Latin-1
 * decoding (a copy) that is exact for ASCII (D19).
 */
/** A character decoded from a non-ASCII byte by Latin-1 decoding. */
const NON_ASCII = /[\x80-\xff]/g
/** A character outside Latin-1: V8 holds a string with one as two bytes per character. */
const WIDE = /[\u0100-\uffff]/

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
  /** Decoded pieces not yet appended to `text` (see `merge`). */
  private pending: string[] = []
  private pendingChars = 0
  /** UTF-8: the bytes of a character a chunk ended in the middle of, kept for the next chunk. */
  private carry: Buffer | undefined

  constructor(encoding: TextEncodingName = 'utf8', startOffset = 0) {
    this.encoding = encoding
    this.decoder = new StringDecoder(encoding)
    this.settledOffset = startOffset
    this.isAtStart = startOffset === 0
    this.bytesPerChar = encoding === 'utf16le' ? 2 : encoding === 'latin1' ? 1 : 0
  }

  push(chunk: Buffer | string): void {
    if (typeof chunk === 'string') this.add(chunk)
    else if (this.encoding !== 'utf8') this.add(this.decoder.write(chunk))
    else {
      let bytes = chunk
      if (this.carry) {
        bytes = Buffer.concat([this.carry, chunk])
        this.carry = undefined
      }
      const end = completeUtf8End(bytes)
      if (end < bytes.length) this.carry = Buffer.from(bytes.subarray(end))
      this.addUtf8(bytes, 0, end)
    }
  }

  end(): void {
    // A character cut off by the end of the stream decodes to U+FFFD, as the standard decoder does.
    const rest = this.encoding === 'utf8' ? (this.carry?.toString('utf8') ?? '') : this.decoder.end()
    this.carry = undefined
    this.add(rest)
    this.ended = true
  }

  private add(decoded: string): void {
    if (decoded.length === 0) return
    this.pending.push(decoded)
    this.pendingChars += decoded.length
  }

  /**
   * Decodes bytes[start, end) (whole characters): Latin-1 decoding (a copy) where the bytes are
   * ASCII, UTF-8 decoding (several times slower) only for the lines holding other bytes. Lines with a
   * character outside Latin-1 go in pieces of their own, the rest in one-byte pieces.
   */
  private addUtf8(bytes: Buffer, start: number, end: number): void {
    if (start >= end) return
    // One character per byte: ASCII where the bytes are, U+0080-U+00FF where they are not.
    const latin = bytes.toString('latin1', start, end)
    if (isAscii(bytes.subarray(start, end))) {
      this.add(latin)
      return
    }
    NON_ASCII.lastIndex = 0
    NON_ASCII.test(latin)
    const group: string[] = []
    let at = 0
    for (let hit = NON_ASCII.lastIndex - 1; hit >= 0; ) {
      const lineStart = Math.max(at, latin.lastIndexOf('\n', hit) + 1)
      const newline = latin.indexOf('\n', hit)
      const lineEnd = newline < 0 ? latin.length : newline + 1
      if (lineStart > at) group.push(latin.slice(at, lineStart))
      const line = bytes.toString('utf8', start + lineStart, start + lineEnd)
      if (WIDE.test(line)) {
        this.addGroup(group)
        this.add(line)
      } else {
        group.push(line)
      }
      at = lineEnd
      NON_ASCII.lastIndex = at
      hit = at < latin.length && NON_ASCII.test(latin) ? NON_ASCII.lastIndex - 1 : -1
    }
    if (at < latin.length) group.push(at === 0 ? latin : latin.slice(at))
    this.addGroup(group)
  }

  /** Adds one-byte pieces as one, and empties `group`. */
  private addGroup(group: string[]): void {
    if (group.length === 0) return
    this.add(group.length === 1 ? group[0] : group.join(''))
    group.length = 0
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
    // Piece by piece (see addUtf8), but at least as much as the rest holds, so that a long record
    // spread over many pieces costs amortized linear copying.
    let count = 1
    let added = this.pending[0].length
    while (count < this.pending.length && added < rest.length) added += this.pending[count++].length
    const pieces = this.pending.splice(0, count)
    this.text = rest + (count === 1 ? pieces[0] : pieces.join(''))
    this.pos = 0
    this.settledPos = 0
    this.pendingChars -= added
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

/** Index just after the last whole UTF-8 character of `bytes` (an incomplete one at the end is left out). */
function completeUtf8End(bytes: Buffer): number {
  const length = bytes.length
  // Walk back over at most 3 continuation bytes (10xxxxxx) to the lead byte of the last character.
  let lead = length - 1
  while (lead >= 0 && lead > length - 4 && (bytes[lead] & 0xc0) === 0x80) lead--
  if (lead < 0) return length
  const byte = bytes[lead]
  const needed = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
  return lead + needed > length ? lead : length
}
