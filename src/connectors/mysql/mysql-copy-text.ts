/**
 * MySQL's text-protocol row packets straight into text rows (core/text-rows.ts: COPY text), for a
 * read whose consumer writes text (docs/ARCHITECTURE.md D26). A row packet holds each value as a
 * length-prefixed string of bytes already in the connection's character set (utf8mb4) and, for
 * most types, already in the text PostgreSQL and Fustor read: the bytes are copied with COPY's four
 * escapes. No JavaScript value is made: measured on the 1M-row users table, reading the packets
 * this way takes 0.9 s of CPU against 3.1 s for mysql2's rows, before any conversion or encoding.
 *
 * What is done per value (the same values the row converter gives, mysql-row-converter.ts):
 *   copy         integers, decimals, floats, strings, ENUM/SET, JSON, UUID: the bytes, escaped
 *   bool         TINYINT(1): `0` is `f`, any other number `t`
 *   date...      DATE, DATETIME, TIMESTAMP: checked for MySQL's zero and invalid dates (NULL or a
 *                rejected row, as `zero_dates` says); TIMESTAMP (read in UTC) gets `+00`
 *   time         TIME: a time of day, or a rejected row
 *   bytes        BLOB, BINARY: `\\x` and hex
 * Columns of other kinds (BIT, GEOMETRY, VECTOR) and columns read as another type than their own
 * make the whole read give rows (`textKindOf` is undefined).
 */
import type { Column } from '../../core/schema.js'
import type { ReadOptions } from '../../sql/driver.js'
import type { ConvertedColumn } from './mysql-row-converter.js'

export type TextKind = 'copy' | 'bool' | 'date' | 'datetime' | 'timestamptz' | 'time' | 'bytes'

/** How a result column goes into text rows, or undefined when it cannot. */
export function textKindOf(column: ConvertedColumn): TextKind | undefined {
  if (!sameColumnType(column.natural, column.wanted)) return undefined
  switch (column.kind) {
    case 'value':
      // mysql2 gives a VECTOR's numbers from binary text: not a text value.
      return column.natural.type === 'json' ? undefined : 'copy'
    case 'bigintNumber':
    case 'bigintText':
    case 'floatText':
    case 'jsonText':
    case 'uuid':
      return 'copy'
    case 'bool':
    case 'date':
    case 'datetime':
    case 'timestamptz':
    case 'time':
    case 'bytes':
      return column.kind
    default:
      return undefined
  }
}

function sameColumnType(a: Column, b: Column): boolean {
  return a.type === b.type && (a.type !== 'decimal' || b.scale === undefined || a.scale === b.scale)
}

const ZERO = 48
const TAB = 9
const NEWLINE = 10
const CARRIAGE_RETURN = 13
const BACKSLASH = 92
const NULL_MARKER = 0xfb
const HEX = Buffer.from('0123456789abcdef')
/** The letter after the backslash of an escaped tab, newline, carriage return or backslash. */
const ESCAPE_LETTERS = new Uint8Array(93)
ESCAPE_LETTERS[TAB] = 116
ESCAPE_LETTERS[NEWLINE] = 110
ESCAPE_LETTERS[CARRIAGE_RETURN] = 114
ESCAPE_LETTERS[BACKSLASH] = BACKSLASH

/** Bytes of a length-encoded integer that starts with `first` (not the NULL marker). */
function prefixSize(first: number): number {
  return first < 0xfb ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9
}

/** The length-encoded integer at `at`: a value's length in a row packet. */
function valueLength(bytes: Uint8Array, at: number): number {
  const first = bytes[at]
  if (first < 0xfb) return first
  if (first === 0xfc) return bytes[at + 1] | (bytes[at + 2] << 8)
  if (first === 0xfd) return bytes[at + 1] | (bytes[at + 2] << 8) | (bytes[at + 3] << 16)
  // 8 bytes; a value in one packet is under 2^48 bytes.
  return bytes[at + 1] + bytes[at + 2] * 0x100 + bytes[at + 3] * 0x10000 + bytes[at + 4] * 0x1000000 + bytes[at + 5] * 0x100000000 + bytes[at + 6] * 0x10000000000
}

function digits2(bytes: Uint8Array, at: number): number {
  return (bytes[at] - ZERO) * 10 + bytes[at + 1] - ZERO
}

/** `YYYY-MM-DD` at `at` is a date Fustor has (not a zero, partial or impossible date): as mysqlDate. */
export function isValidDateBytes(bytes: Uint8Array, at: number): boolean {
  const month = digits2(bytes, at + 5)
  const day = digits2(bytes, at + 8)
  if (month === 0 || day === 0 || month > 12) return false
  const year = digits2(bytes, at) * 100 + digits2(bytes, at + 2)
  if (year === 0) return false
  if (day <= 28) return true
  const days = month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return day <= days
}

/** TIME text `[start, end)` is a time of day (00:00:00 to 24:00:00): as mysqlTime. */
export function isTimeOfDayBytes(bytes: Uint8Array, start: number, end: number): boolean {
  const first = bytes[start]
  if (first < ZERO || first > ZERO + 9 || end - start < 8 || bytes[start + 2] !== 58 /* : */) return false
  const hours = digits2(bytes, start)
  if (hours < 24) return true
  if (hours > 24) return false
  for (let i = start + 3; i < end; i++) if (bytes[i] !== ZERO && bytes[i] !== 58 && bytes[i] !== 46 /* . */) return false
  return true
}

/**
 * Writes row packets as text rows into a growing buffer. `row` returns false, having written
 * nothing, for a row with a value that has no Fustor value (the caller rejects it).
 */
export class CopyTextWriter {
  private buffer: Buffer
  private used = 0
  private rows = 0
  /** Where the last row written starts (its key is read from it). */
  private lastStart = -1

  constructor(
    private readonly kinds: readonly TextKind[],
    private readonly options: ReadOptions,
    private readonly initialBytes = 64 * 1024,
  ) {
    this.buffer = Buffer.allocUnsafe(initialBytes)
  }

  get count(): number {
    return this.rows
  }

  /** Transcodes the row packet `bytes[start, end)`. */
  row(bytes: Uint8Array, start: number, end: number): boolean {
    const kinds = this.kinds
    // At most: every byte escaped or hex (2 bytes), a `\\x` or `+00` and a separator per value.
    this.reserve(2 * (end - start) + 5 * kinds.length + 1)
    const out = this.buffer
    const rowStart = this.used
    let at = rowStart
    let offset = start
    for (let i = 0; i < kinds.length; i++) {
      if (i > 0) out[at++] = TAB
      const first = bytes[offset]
      if (first === NULL_MARKER) {
        offset++
        out[at++] = BACKSLASH
        out[at++] = 78 // N
        continue
      }
      const length = valueLength(bytes, offset)
      offset += prefixSize(first)
      const stop = offset + length
      switch (kinds[i]) {
        case 'copy':
          for (; offset < stop; offset++) {
            const b = bytes[offset]
            if (b > BACKSLASH || (b !== BACKSLASH && b !== TAB && b !== NEWLINE && b !== CARRIAGE_RETURN)) out[at++] = b
            else {
              out[at++] = BACKSLASH
              out[at++] = ESCAPE_LETTERS[b]
            }
          }
          break
        case 'bool':
          out[at++] = length === 1 && bytes[offset] === ZERO ? 102 /* f */ : 116 /* t */
          offset = stop
          break
        case 'date':
        case 'datetime':
        case 'timestamptz':
          if (length < 10 || !isValidDateBytes(bytes, offset)) {
            if (this.options.zeroDates !== 'null') return false
            out[at++] = BACKSLASH
            out[at++] = 78
            offset = stop
            break
          }
          for (; offset < stop; offset++) out[at++] = bytes[offset]
          if (kinds[i] === 'timestamptz') {
            out[at++] = 43 // +
            out[at++] = ZERO
            out[at++] = ZERO
          }
          break
        case 'time':
          if (!isTimeOfDayBytes(bytes, offset, stop)) return false
          for (; offset < stop; offset++) out[at++] = bytes[offset]
          break
        case 'bytes':
          out[at++] = BACKSLASH
          out[at++] = BACKSLASH
          out[at++] = 120 // x
          for (; offset < stop; offset++) {
            const b = bytes[offset]
            out[at++] = HEX[b >> 4]
            out[at++] = HEX[b & 15]
          }
          break
      }
      offset = stop
    }
    out[at++] = NEWLINE
    this.used = at
    this.lastStart = rowStart
    this.rows++
    return true
  }

  /** The rows written since the last take, and the last of them as a text row of its own. */
  take(): { data: Buffer; count: number; last: Buffer | undefined } {
    const data = this.buffer.subarray(0, this.used)
    const last = this.lastStart >= 0 ? data.subarray(this.lastStart) : undefined
    const count = this.rows
    // The next chunk's buffer about the size of this one: few regrowths, little slack.
    this.buffer = Buffer.allocUnsafe(Math.max(this.initialBytes, Math.ceil(this.used * 1.1)))
    this.used = 0
    this.rows = 0
    this.lastStart = -1
    return { data, count, last }
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.used + bytes))
    this.buffer.copy(grown, 0, 0, this.used)
    this.buffer = grown
  }
}

/**
 * A row packet's values as mysql2 would give them (numbers for integers and booleans, bytes for
 * binary columns, text otherwise), for a row `CopyTextWriter.row` refused: the row converter's
 * lenient path then builds its rejected record as it does for rows.
 */
export function packetValues(bytes: Uint8Array, start: number, columns: readonly ConvertedColumn[]): (string | number | Buffer | null)[] {
  const values: (string | number | Buffer | null)[] = []
  let offset = start
  for (const column of columns) {
    const first = bytes[offset]
    if (first === NULL_MARKER) {
      offset++
      values.push(null)
      continue
    }
    const length = valueLength(bytes, offset)
    offset += prefixSize(first)
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset + offset, length)
    offset += length
    const isNumber = column.kind === 'bool' || column.kind === 'bigintNumber' || (column.kind === 'value' && column.natural.type === 'int')
    values.push(column.kind === 'bytes' ? Buffer.from(raw) : isNumber ? Number(raw.toString('latin1')) : raw.toString('utf8'))
  }
  return values
}
