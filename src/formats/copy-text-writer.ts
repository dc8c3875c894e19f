/**
 * Rows into PostgreSQL's COPY text format (`COPY t (...) FROM STDIN`): the fastest way into
 * PostgreSQL, and the one psql's `\copy` uses. It is also the format of text rows
 * (core/text-rows.ts), so it lives with the other codecs rather than in the postgresql connector.
 *
 * Each value is written as the text PostgreSQL's input function for the column reads: numbers as
 * they print (`NaN`, `Infinity`, `-0` included), booleans `t`/`f`, decimals and temporals as their
 * stored strings (a timestamptz's `Z` is understood), json as JSON text (an array column's json
 * array as an array literal), bytes as `\x` and hex. Backslash, tab, newline and carriage return
 * are escaped in every string value (so a malformed decimal or date cannot cut a line either); NULL
 * is `\N`.
 *
 * Speed: a function generated per schema (docs/ARCHITECTURE.md D17) writes each value's bytes
 * straight into a chunk: integers digit by digit, text character by character with its escapes
 * and its UTF-8 encoding. No string is made per row or per integer, and no call into the runtime
 * per value. Measured on the users table, this costs 0.46 µs per row, against 0.84 µs
 * for a line string per row joined from the values' texts and encoded into the chunk (the CSV
 * writer's way, D16), and more for a rope of pieces or a `write()` per row. Chunks may end in the
 * middle of a row: COPY's data is a byte stream.
 */
import type { JsonValue, LogicalType, Row, Value } from '../core/schema.js'
import { generatedFactory } from './generated-code.js'

/** A written column as the encoder needs it. */
export interface EncodeColumn {
  readonly type: LogicalType
  /** A json value written into a PostgreSQL array column: as the array literal `arrayLiteral` makes. */
  readonly isArray?: boolean
}

/** PostgreSQL's array literal of a json array (the postgresql connector's). */
export type ArrayLiteralFormatter = (value: readonly JsonValue[]) => string

/** Writes one row into the chunks. */
export type CopyRowWriter = (row: Row, out: CopyChunks) => void

/** Bytes a value of fixed width may take at most (a float's shortest text, a bigint's digits, NULL). */
const FIXED_BYTES = 32

/** COPY data in chunks of bytes, filled by a CopyRowWriter. */
export class CopyChunks {
  buffer: Buffer
  used = 0
  private readonly full: Buffer[] = []
  private readonly chunkBytes: number

  constructor(chunkBytes: number) {
    this.chunkBytes = chunkBytes
    this.buffer = Buffer.allocUnsafeSlow(chunkBytes)
  }

  /** Makes room for `bytes` more: the current chunk is closed when it cannot take them. */
  reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return
    if (this.used > 0) this.full.push(this.buffer.subarray(0, this.used))
    this.buffer = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, bytes))
    this.used = 0
  }

  /** Whole chunks are waiting to be sent. */
  get hasFullChunks(): boolean {
    return this.full.length > 0
  }

  takeFullChunks(): Buffer[] {
    return this.full.splice(0)
  }

  /** Everything written, as chunks to send in order; empty afterwards. */
  takeAll(): Buffer[] {
    const chunks = this.full.splice(0)
    if (this.used > 0) {
      chunks.push(this.buffer.subarray(0, this.used))
      this.buffer = Buffer.allocUnsafeSlow(this.chunkBytes)
      this.used = 0
    }
    return chunks
  }
}

/** A character COPY's text format needs escaped in a value. */
const SPECIAL = /[\\\t\n\r]/

/** `text` with backslash, tab, newline and carriage return escaped; `text` itself when it holds none. */
export function escapeCopyText(text: string): string {
  return SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, escapeOf) : text
}

function escapeOf(c: string): string {
  return c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'
}

/** The letter after the backslash of an escaped tab (9), newline (10), carriage return (13) or backslash (92). */
const ESCAPE_LETTERS = new Uint8Array(93)
ESCAPE_LETTERS[9] = 116 // t
ESCAPE_LETTERS[10] = 110 // n
ESCAPE_LETTERS[13] = 114 // r
ESCAPE_LETTERS[92] = 92 // \

/**
 * Writes a string value byte by byte: ASCII as it is, the four special characters escaped, others
 * encoded as UTF-8 here (a lone surrogate as U+FFFD, as Buffer's encoder does) rather than by a
 * call into the runtime per value.
 */
function writeText(out: CopyChunks, text: string): void {
  writeTextRange(out, text, 0, text.length)
}

/** `writeText` of `text.slice(start, end)`, without making the slice. */
function writeTextRange(out: CopyChunks, text: string, start: number, end: number): void {
  const length = end
  // At most 3 bytes per UTF-16 unit, 2 per escaped character; and room for what follows.
  out.reserve(3 * (end - start) + FIXED_BYTES)
  const buffer = out.buffer
  let at = out.used
  for (let i = start; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c < 128) {
      if (c > 92 || (c !== 92 && c !== 9 && c !== 10 && c !== 13)) buffer[at++] = c
      else {
        buffer[at++] = 92
        buffer[at++] = ESCAPE_LETTERS[c]
      }
    } else if (c < 0x800) {
      buffer[at++] = 0xc0 | (c >> 6)
      buffer[at++] = 0x80 | (c & 0x3f)
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const point = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00)
      buffer[at++] = 0xf0 | (point >> 18)
      buffer[at++] = 0x80 | ((point >> 12) & 0x3f)
      buffer[at++] = 0x80 | ((point >> 6) & 0x3f)
      buffer[at++] = 0x80 | (point & 0x3f)
    } else {
      const unit = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c
      buffer[at++] = 0xe0 | (unit >> 12)
      buffer[at++] = 0x80 | ((unit >> 6) & 0x3f)
      buffer[at++] = 0x80 | (unit & 0x3f)
    }
  }
  out.used = at
}

/** Writes text known to be ASCII with nothing to escape (numbers, hex). */
function writeAscii(out: CopyChunks, text: string): void {
  const length = text.length
  out.reserve(length + FIXED_BYTES)
  const buffer = out.buffer
  let at = out.used
  for (let i = 0; i < length; i++) buffer[at++] = text.charCodeAt(i)
  out.used = at
}

/** Writes a 32-bit integer's digits (an int column's value); anything else as text. */
function writeInt(out: CopyChunks, value: Value): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value > 2147483647 || value < -2147483648) {
    writeOther(out, value)
    return
  }
  out.reserve(FIXED_BYTES)
  const buffer = out.buffer
  let at = out.used
  let n = value
  if (n < 0) {
    buffer[at++] = 45
    n = -n
  }
  let end = at + 1
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) end++
  for (let i = end - 1; i >= at; i--) {
    buffer[i] = 48 + (n % 10)
    n = Math.floor(n / 10)
  }
  out.used = end
}

function writeBigint(out: CopyChunks, value: Value): void {
  if (typeof value === 'bigint') writeAscii(out, value.toString())
  else writeOther(out, value)
}

function writeFloat(out: CopyChunks, value: Value): void {
  // `String(-0)` is `0`: keep the sign, as the value is exact otherwise. NaN and ±Infinity print as PostgreSQL reads them.
  if (typeof value === 'number') writeAscii(out, value === 0 && 1 / value < 0 ? '-0' : String(value))
  else writeOther(out, value)
}

function writeBool(out: CopyChunks, value: Value): void {
  if (typeof value !== 'boolean') {
    writeOther(out, value)
    return
  }
  out.reserve(FIXED_BYTES)
  out.buffer[out.used++] = value ? 116 : 102
}

function writeString(out: CopyChunks, value: Value): void {
  if (typeof value === 'string') writeText(out, value)
  else writeOther(out, value)
}

function writeJson(out: CopyChunks, value: Value): void {
  writeText(out, JSON.stringify(value))
}


/** bytea's hex input, its backslash escaped for COPY: `\\x0a0b`. */
function writeBytes(out: CopyChunks, value: Value): void {
  if (!(value instanceof Uint8Array)) {
    writeOther(out, value)
    return
  }
  writeAscii(out, `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`)
}

/** A value not of its column's type (a caller's mistake): whatever it prints as, for PostgreSQL to accept or refuse. */
function writeOther(out: CopyChunks, value: Value): void {
  if (value instanceof Uint8Array) writeBytes(out, value)
  else writeText(out, typeof value === 'object' ? JSON.stringify(value) : String(value))
}

function writeNull(out: CopyChunks): void {
  out.reserve(FIXED_BYTES)
  out.buffer[out.used++] = 92
  out.buffer[out.used++] = 78
}

/** Ends a field with a tab (9) or a row with a newline (10). */
function writeByte(out: CopyChunks, byte: number): void {
  out.reserve(FIXED_BYTES)
  out.buffer[out.used++] = byte
}

/** The writer of a value of a logical type (not null); strings, decimals, temporals and uuids are their text. */
function copyValueWriter(type: LogicalType): (out: CopyChunks, value: Value) => void {
  switch (type) {
    case 'int':
      return writeInt
    case 'bigint':
      return writeBigint
    case 'float':
      return writeFloat
    case 'bool':
      return writeBool
    case 'json':
      return writeJson
    case 'bytes':
      return writeBytes
    default:
      return writeString
  }
}

/**
 * A writer of rows whose values are in `columns` order, made once per schema (generated code, D17).
 * `arrayLiteral` writes json values of array columns (required when a column has `isArray`).
 */
export function copyRowWriter(columns: readonly EncodeColumn[], arrayLiteral?: ArrayLiteralFormatter): CopyRowWriter {
  const lines = ['let v']
  const writers: ((out: CopyChunks, value: Value) => void)[] = columns.map((column) => {
    if (column.isArray !== true) return copyValueWriter(column.type)
    if (arrayLiteral === undefined) throw new Error('copyRowWriter: an array column needs an arrayLiteral formatter')
    return (out, value) => writeText(out, Array.isArray(value) ? arrayLiteral(value) : JSON.stringify(value))
  })
  columns.forEach((_, i) => {
    lines.push(`if ((v = row[${i}]) === null || v === undefined) writeNull(out)`, `else write${i}(out, v)`)
    lines.push(`writeByte(out, ${i === columns.length - 1 ? 10 : 9})`)
  })
  const names = ['writeNull', 'writeByte', ...columns.map((_, i) => `write${i}`)]
  const factory = generatedFactory(names, `return function writeRow(row, out) {\n  ${lines.join('\n  ')}\n}`) as (...writers: unknown[]) => CopyRowWriter
  return factory(writeNull, writeByte, ...writers)
}
