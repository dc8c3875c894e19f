/**
 * Rows out of PostgreSQL's COPY text format (`COPY (...) TO STDOUT`), and the conversion of a
 * column's text into a Fustor value, shared with normal queries (whose values arrive as the same
 * text, without COPY's escapes).
 *
 * The format: one row per CopyData message, ending in `\n`; fields separated by tabs, `\N` for
 * NULL, and in a field a backslash escapes a backslash, a tab, a newline, `\b \f \r \v`, up to 3
 * octal digits or `\x` and 1-2 hex digits (COPY TO writes only the first kinds; octal and hex give
 * the character of that code). Values print as the session settings the connection fixes say (ISO
 * dates, UTC, hex bytea, shortest exact floats: client-config.ts).
 *
 * Speed (docs/ARCHITECTURE.md D15, D17, D19 apply here too): a socket chunk is decoded once as
 * Latin-1 (a copy, one character per byte), so that character offsets are byte offsets: the message
 * framing is read from the same string, and only text fields holding non-ASCII bytes are decoded
 * again as UTF-8, from the bytes. A function generated per schema decodes the messages with one
 * straight-line piece of code per column, converting numbers, booleans and timestamps from the text
 * in place. The next backslash and the next non-ASCII byte are tracked through the chunk, not
 * searched per field; only fields holding a backslash take the slow path.
 *
 * Values with no exact Fustor value (a numeric NaN or Infinity, an infinite, BC or year > 9999 date
 * or timestamp) are not guessed at: the row is rejected with a RecordError naming the column.
 */
import type { RejectedRecord } from '../../core/batch.js'
import { RecordError } from '../../core/errors.js'
import type { JsonValue, Row, Schema, Value } from '../../core/schema.js'
import { epochMicrosToTime, parseTimestamptz, timeToMicros } from '../../core/temporal.js'
import { parseIntText } from '../../core/values.js'
import { generatedFactory } from '../../formats/generated-code.js'
import { parseArrayLiteral } from './array-literal.js'
import { ValueKind, type DecodeColumn } from './postgresql-types.js'

export type { DecodeColumn }

/** The error for a value PostgreSQL holds that no Fustor value equals. */
function unrepresentable(column: DecodeColumn, what: string, text: string): RecordError {
  return new RecordError('postgresql.unrepresentable_value', `${what} ${JSON.stringify(text)} in column "${column.name}" has no exact Fustor value`, {
    column: column.name,
  })
}

/**
 * The value of a column from its text `text[start, end)` (unescaped; NULL already handled).
 * Throws RecordError for a value with no exact Fustor value.
 */
export function decodeText(column: DecodeColumn, text: string, start: number, end: number): Value {
  switch (column.kind) {
    case ValueKind.text:
      return text.slice(start, end)
    case ValueKind.int:
      return parseIntText(text, start, end) ?? throwError(unrepresentable(column, 'integer', text.slice(start, end)))
    case ValueKind.bigint:
      return BigInt(text.slice(start, end))
    case ValueKind.decimal:
      return decodeDecimal(column, text, start, end)
    case ValueKind.float:
      return Number(text.slice(start, end))
    case ValueKind.bool:
      return text.charCodeAt(start) === 116 /* t */
    case ValueKind.date:
      // `YYYY-MM-DD`; anything else is `infinity`, a BC date or a year past 9999.
      if (end - start === 10) return text.slice(start, end)
      throw unrepresentable(column, 'date', text.slice(start, end))
    case ValueKind.time:
      return text.slice(start, end)
    case ValueKind.timetz:
      return timeOfTimetz(column, text.slice(start, end))
    case ValueKind.timestamp:
      if (isPlainTimestamp(text, start, end)) return `${text.slice(start, start + 10)}T${text.slice(start + 11, end)}`
      throw unrepresentable(column, 'timestamp', text.slice(start, end))
    case ValueKind.timestamptz:
      // The session time zone is UTC, so the text ends in `+00`.
      if (text.charCodeAt(end - 3) === 43 /* + */ && text.charCodeAt(end - 2) === 48 && text.charCodeAt(end - 1) === 48 && isPlainTimestamp(text, start, end - 3)) {
        return `${text.slice(start, start + 10)}T${text.slice(start + 11, end - 3)}Z`
      }
      return otherTimestamptz(column, text.slice(start, end))
    case ValueKind.json:
      return JSON.parse(text.slice(start, end)) as Value
    case ValueKind.bytes:
      // Hex output (`bytea_output = hex`): `\x` then two digits a byte.
      return Buffer.from(text.slice(start + 2, end), 'hex')
    case ValueKind.uuid:
      return text.slice(start, end)
    case ValueKind.array:
      return parseArrayLiteral(text.slice(start, end), elementConverter(column))
  }
}

function throwError(error: Error): never {
  throw error
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]`: a 4-digit year, not BC (BC texts end in `BC`, not a digit). */
function isPlainTimestamp(text: string, start: number, end: number): boolean {
  const length = end - start
  const last = text.charCodeAt(end - 1)
  return length >= 19 && length <= 26 && text.charCodeAt(start + 4) === 45 && text.charCodeAt(start + 10) === 32 && last >= 48 && last <= 57
}

/** A timestamptz printed with an offset other than +00 (a session whose TimeZone was changed by SET). */
function otherTimestamptz(column: DecodeColumn, text: string): string {
  const last = text.charCodeAt(text.length - 1)
  const value = last >= 48 && last <= 57 && text.charCodeAt(4) === 45 ? parseTimestamptz(text) : undefined
  if (value === undefined) throw unrepresentable(column, 'timestamptz', text)
  return value
}

/** `HH:MM:SS[.f]+HH[:MM[:SS]]` as the UTC time of day: the offset is applied, the date it would shift to is not kept. */
function timeOfTimetz(column: DecodeColumn, text: string): string {
  let sign = -1
  for (let i = 8; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 43 /* + */ || c === 45 /* - */) {
      sign = i
      break
    }
  }
  const micros = sign < 0 ? undefined : timeToMicros(text.slice(0, sign))
  if (micros === undefined) throw unrepresentable(column, 'time with time zone', text)
  const parts = text.slice(sign + 1).split(':')
  const offsetSeconds = Number(parts[0]) * 3600 + Number(parts[1] ?? 0) * 60 + Number(parts[2] ?? 0)
  const east = text.charCodeAt(sign) === 43 ? offsetSeconds : -offsetSeconds
  return epochMicrosToTime(micros - east * 1_000_000)
}

/**
 * How an array's elements become JSON: numbers as numbers (doubles, as json values hold them),
 * booleans as booleans, json elements parsed, temporal elements normalized like the scalar types
 * (kept as PostgreSQL's text when they cannot be, e.g. `infinity`), anything else as its text.
 */
function elementConverter(column: DecodeColumn): (text: string) => JsonValue {
  const element: DecodeColumn = { name: column.name, kind: column.elementKind ?? ValueKind.text }
  switch (element.kind) {
    case ValueKind.int:
    case ValueKind.bigint:
    case ValueKind.decimal:
    case ValueKind.float:
      return (text) => {
        const n = Number(text)
        return Number.isFinite(n) ? n : text
      }
    case ValueKind.bool:
      return (text) => text === 't'
    case ValueKind.json:
      return (text) => JSON.parse(text) as JsonValue
    case ValueKind.date:
    case ValueKind.time:
    case ValueKind.timetz:
    case ValueKind.timestamp:
    case ValueKind.timestamptz:
      return (text) => {
        try {
          return decodeText(element, text, 0, text.length) as string
        } catch {
          return text
        }
      }
    default:
      return (text) => text
  }
}

/** The text of a COPY field `text[start, end)` with its backslash escapes resolved. */
export function unescapeCopyText(text: string, start: number, end: number): string {
  let out = ''
  let from = start
  let at = text.indexOf('\\', start)
  while (at >= 0 && at < end) {
    out += text.slice(from, at)
    const c = text.charCodeAt(at + 1)
    let next = at + 2
    switch (c) {
      case 110 /* n */:
        out += '\n'
        break
      case 116 /* t */:
        out += '\t'
        break
      case 114 /* r */:
        out += '\r'
        break
      case 98 /* b */:
        out += '\b'
        break
      case 102 /* f */:
        out += '\f'
        break
      case 118 /* v */:
        out += '\v'
        break
      case 120 /* x */: {
        let digits = 0
        while (digits < 2 && next < end && isHexDigit(text.charCodeAt(next))) {
          next++
          digits++
        }
        // `\x` without hex digits is an `x`, as PostgreSQL reads it.
        out += digits === 0 ? 'x' : String.fromCharCode(parseInt(text.slice(at + 2, next), 16))
        break
      }
      default:
        if (c >= 48 && c <= 55) {
          next = at + 1
          while (next < end && next < at + 4 && text.charCodeAt(next) >= 48 && text.charCodeAt(next) <= 55) next++
          out += String.fromCharCode(parseInt(text.slice(at + 1, next), 8))
        } else {
          out += text[at + 1]
        }
    }
    from = next
    at = text.indexOf('\\', from)
  }
  return out + text.slice(from, end)
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
}


/** Rows decoded from CopyData messages, appended to the caller's lists. */
export interface DecodedRows {
  readonly rows: Row[]
  readonly rejected: RejectedRecord[]
}

/** A byte (character of a Latin-1 decoding) outside ASCII. */
const NON_ASCII = /[\x80-\xff]/g

/** Index of the first non-ASCII character of `text` at or after `from`, or the text's length. */
function nextNonAscii(text: string, from: number): number {
  NON_ASCII.lastIndex = from
  return NON_ASCII.test(text) ? NON_ASCII.lastIndex - 1 : text.length
}

/** The text of field `[start, end)`: the Latin-1 characters when ASCII, else its bytes decoded as UTF-8. */
function fieldText(bytes: Buffer, text: string, start: number, end: number): string {
  const piece = text.slice(start, end)
  return nextNonAscii(piece, 0) < piece.length ? bytes.toString('utf8', start, end) : piece
}

/** A field holding a backslash: NULL, bytea's `\\x...` read directly, or anything else unescaped first. */
function decodeEscaped(column: DecodeColumn, bytes: Buffer, text: string, start: number, end: number): Value {
  if (end - start === 2 && text.charCodeAt(start) === 92 && text.charCodeAt(start + 1) === 78 /* N */) return null
  if (column.kind === ValueKind.bytes && text.charCodeAt(start + 1) === 92 && text.charCodeAt(start + 2) === 120 /* x */) {
    return Buffer.from(text.slice(start + 3, end), 'hex')
  }
  const raw = fieldText(bytes, text, start, end)
  const unescaped = unescapeCopyText(raw, 0, raw.length)
  return decodeText(column, unescaped, 0, unescaped.length)
}

/** A numeric's text as it is; NaN, Infinity and -Infinity, which PostgreSQL's numeric has and a decimal has not, are refused. */
function decodeDecimal(column: DecodeColumn, text: string, start: number, end: number): string {
  const first = text.charCodeAt(start)
  if (first === 78 /* N */ || first === 73 /* I */ || (first === 45 /* - */ && text.charCodeAt(start + 1) === 73)) {
    throw unrepresentable(column, 'numeric', text.slice(start, end))
  }
  return text.slice(start, end)
}

function malformedRow(text: string, start: number): Error {
  return new Error(`COPY row with fewer fields than described columns: ${JSON.stringify(text.slice(start, start + 60))}`)
}

/** Decodes consecutive complete CopyData messages (see CopyRowDecoder.decodeMessages). */
type MessagesDecoder = (bytes: Buffer, text: string, pos: number, rows: Row[], fail: (error: unknown, start: number, end: number) => void) => number

/** The expression converting field `[start, end)` (no backslash in it) of column `i`. */
function fastExpression(kind: ValueKind, i: number): string {
  const c = `columns[${i}]`
  switch (kind) {
    case ValueKind.int:
      return `parseIntText(text, start, end) ?? decodeText(${c}, text, start, end)`
    case ValueKind.bigint:
      return 'BigInt(text.slice(start, end))'
    case ValueKind.decimal:
      return `decodeDecimal(${c}, text, start, end)`
    case ValueKind.float:
      return 'Number(text.slice(start, end))'
    case ValueKind.bool:
      return 'text.charCodeAt(start) === 116'
    case ValueKind.date:
      return `end - start === 10 ? text.slice(start, end) : decodeText(${c}, text, start, end)`
    case ValueKind.time:
    case ValueKind.uuid:
      return 'text.slice(start, end)'
    case ValueKind.timestamp:
      return `isPlainTimestamp(text, start, end) ? text.slice(start, start + 10) + 'T' + text.slice(start + 11, end) : decodeText(${c}, text, start, end)`
    default:
      return `decodeText(${c}, text, start, end)`
  }
}

/** Kinds whose text may hold any character: decoded as UTF-8 where it holds non-ASCII bytes. */
function isFreeText(kind: ValueKind): boolean {
  return kind === ValueKind.text || kind === ValueKind.json || kind === ValueKind.array
}

function fieldCode(kind: ValueKind, i: number, isLast: boolean): string {
  const end = isLast ? 'end = lineEnd' : "end = text.indexOf('\\t', start)\n      if (end < 0 || end > lineEnd) throw malformedRow(text, pos + 5)"
  const value = isFreeText(kind)
    ? `if (nonAscii < start) nonAscii = nextNonAscii(text, start)
      if (nonAscii < end) {
        const decoded = bytes.toString('utf8', start, end)
        v${i} = ${kind === ValueKind.text ? 'decoded' : `decodeText(columns[${i}], decoded, 0, decoded.length)`}
        nonAscii = nextNonAscii(text, end)
      } else v${i} = ${kind === ValueKind.text ? 'text.slice(start, end)' : `decodeText(columns[${i}], text, start, end)`}`
    : `v${i} = ${fastExpression(kind, i)}`
  const general = `
      ${end}
      if (backslash < start) {
        backslash = text.indexOf('\\\\', start)
        if (backslash < 0) backslash = limit
      }
      if (backslash < end) v${i} = decodeEscaped(columns[${i}], bytes, text, start, end)
      else {
      ${value}
      }`
  const isFieldEnd = (at: string, c: string): string => (isLast ? `${at} === lineEnd` : `${c} === 9`)
  switch (kind) {
    case ValueKind.int:
      // Digits read as they are scanned for the field's end: no indexOf, no slice. Anything
      // else (NULL, an escape) goes the general way.
      return `
      {
        let at = start
        let c = text.charCodeAt(at)
        const negative = c === 45
        if (negative) c = text.charCodeAt(++at)
        const first = at
        let n = 0
        while (c >= 48 && c <= 57) {
          n = n * 10 + c - 48
          c = text.charCodeAt(++at)
        }
        if (at > first && at - first <= 10 && ${isFieldEnd('at', 'c')}) {
          v${i} = negative ? -n : n
          end = at
        } else {${general}
        }
      }
      start = end + 1`
    case ValueKind.bool:
      return `
      {
        const c = text.charCodeAt(start)
        if ((c === 116 || c === 102) && ${isFieldEnd('start + 1', 'text.charCodeAt(start + 1)')}) {
          v${i} = c === 116
          end = start + 1
        } else {${general}
        }
      }
      start = end + 1`
    default:
      return `${general}
      start = end + 1`
  }
}

/** The source of a MessagesDecoder for columns of these kinds. */
function decoderSource(kinds: readonly ValueKind[]): string {
  const names = kinds.map((_, i) => `v${i}`)
  const fields = kinds.map((kind, i) => fieldCode(kind, i, i === kinds.length - 1)).join('\n')
  return `
return function decodeMessages(bytes, text, pos, rows, fail) {
  const limit = text.length
  let backslash = text.indexOf('\\\\', pos)
  if (backslash < 0) backslash = limit
  let nonAscii = nextNonAscii(text, pos)
  while (pos + 5 <= limit && text.charCodeAt(pos) === 100) {
    const next = pos + 1 + ((text.charCodeAt(pos + 1) << 24) | (text.charCodeAt(pos + 2) << 16) | (text.charCodeAt(pos + 3) << 8) | text.charCodeAt(pos + 4))
    if (next > limit) break
    const lineEnd = next - 1
    let start = pos + 5
    let end = 0
    ${names.length > 0 ? `let ${names.join(', ')}` : ''}
    try {${fields}
      rows.push([${names.join(', ')}])
    } catch (error) {
      fail(error, pos + 5, lineEnd)
    }
    pos = next
  }
  return pos
}`
}

const HELPER_NAMES = ['columns', 'parseIntText', 'decodeText', 'decodeDecimal', 'decodeEscaped', 'isPlainTimestamp', 'nextNonAscii', 'malformedRow'] as const

/**
 * Decodes the CopyData messages of a COPY TO stream into rows of `columns`. The caller frames the
 * protocol (copy-out-stream.ts) and hands over the bytes of whole messages with their Latin-1 text.
 */
export class CopyRowDecoder {
  private readonly columns: readonly DecodeColumn[]
  /** The rows' schema, given with rejected rows. */
  private readonly schema: Schema | undefined
  private readonly decode: MessagesDecoder
  /** Rows decoded so far, for the location of rejected rows. */
  private rowCount = 0

  constructor(columns: readonly DecodeColumn[], schema?: Schema) {
    this.columns = columns
    this.schema = schema
    const factory = generatedFactory(HELPER_NAMES, decoderSource(columns.map((column) => column.kind))) as (...helpers: unknown[]) => MessagesDecoder
    this.decode = factory(columns, parseIntText, decodeText, decodeDecimal, decodeEscaped, isPlainTimestamp, nextNonAscii, malformedRow)
  }

  get columnCount(): number {
    return this.columns.length
  }

  /**
   * Decodes the complete CopyData messages of `bytes` (and `text`, its Latin-1 decoding) from `pos`
   * into `out`; returns the offset of the first message that is incomplete or is not CopyData.
   */
  decodeMessages(bytes: Buffer, text: string, pos: number, out: DecodedRows): number {
    const rowsBefore = out.rows.length + out.rejected.length
    const end = this.decode(bytes, text, pos, out.rows, (error, start, lineEnd) => {
      if (!(error instanceof RecordError)) throw error
      const rowNumber = this.rowCount + out.rows.length + out.rejected.length - rowsBefore + 1
      out.rejected.push(this.rejectedRow(bytes.toString('utf8', start, lineEnd), rowNumber, error))
    })
    this.rowCount += out.rows.length + out.rejected.length - rowsBefore
    return end
  }

  /** A row with a value that does not convert: the row with that value's raw text, and why. */
  private rejectedRow(line: string, rowNumber: number, error: RecordError): RejectedRecord {
    const fields = line.split('\t')
    const record: Value[] = []
    for (let i = 0; i < this.columns.length; i++) {
      const field = fields[i] ?? ''
      if (field === '\\N') record.push(null)
      else {
        const raw = unescapeCopyText(field, 0, field.length)
        try {
          record.push(decodeText(this.columns[i], raw, 0, raw.length))
        } catch {
          record.push(raw)
        }
      }
    }
    return { record, schema: this.schema, error, location: `result row ${rowNumber}` }
  }
}
