/**
 * Text rows: a batch's rows still as bytes, in PostgreSQL's COPY text format, for the copy between
 * databases that needs no value in between (docs/ARCHITECTURE.md D26). A database input that can
 * turn its wire rows into these bytes directly (mysql) hands them over instead of building a row
 * per record, and an output that writes them as they are (postgresql's COPY) sends them on: no
 * value is made, no string decoded or encoded, nothing left for the garbage collector.
 *
 * The format is fixed, so that any producer and any consumer agree on it:
 *   - one line per row, ending in `\n`; fields in schema order, separated by tabs; `\N` is NULL;
 *   - in a field, backslash, tab, newline and carriage return are escaped (`\\ \t \n \r`);
 *   - each value is text that both PostgreSQL's input function and `parseValue` (core/values.ts) read
 *     as the same value of the column's logical type: integers and decimals in plain digits, floats
 *     as printed, booleans `t`/`f`, dates `YYYY-MM-DD`, times `HH:MM:SS[.ffffff]`, timestamps
 *     `YYYY-MM-DD HH:MM:SS[.ffffff]` (or `T` between date and time), timestamptz the same followed
 *     by `+00` or `Z` (UTC), json as JSON text, uuid as its text, bytes as `\\x` and hex digits
 *     (`\x` once unescaped).
 *
 * The rows are always there too: a batch's `rows` decodes the text the first time it is read
 * (`textBatch`), so a component that does not know text rows sees ordinary rows. The engine drops
 * the text before a processor sees the batch (a processor changes rows in place).
 */
import type { Batch, TextRows } from './batch.js'
import { RecordError } from './errors.js'
import type { Column, Row, Schema, Value } from './schema.js'
import { parseValue } from './values.js'

export type { TextRows }

/** Rows of a batch, without decoding text rows. */
export function rowCount(batch: Batch): number {
  return batch.text !== undefined ? batch.text.count : batch.rows.length
}

/**
 * A batch whose rows are `text`, decoded on first read of `rows` (and kept). `extra` holds the
 * other fields of the batch (an input's position, bytes, rejected records).
 */
export function textBatch<E extends object>(schema: Schema, text: TextRows, extra: E): Batch & E {
  let rows: Row[] | undefined
  const batch = {
    ...extra,
    schema,
    text,
    get rows(): Row[] {
      rows ??= decodeTextRows(text, schema.columns)
      return rows
    },
  }
  return batch
}

/** The batch as plain rows (the text decoded and dropped), for components that change rows. */
export function withoutText<B extends Batch>(batch: B): B {
  if (batch.text === undefined) return batch
  const { text: _text, rows: _rows, ...rest } = batch as B & { text?: TextRows }
  return { ...rest, rows: batch.rows } as unknown as B
}

const BACKSLASH = 92

/** The rows of `text`, values of `columns`' types. A field that does not read is a bug of its producer: RecordError. */
export function decodeTextRows(text: TextRows, columns: readonly Column[]): Row[] {
  const source = text.data.toString('utf8')
  const rows: Row[] = new Array<Row>(text.count)
  let at = 0
  for (let r = 0; r < text.count; r++) {
    const end = source.indexOf('\n', at)
    if (end < 0) throw new RecordError('text_rows.truncated', `text rows: ${text.count} rows announced, ${r} found`)
    rows[r] = decodeLine(source, at, end, columns, r)
    at = end + 1
  }
  return rows
}

function decodeLine(source: string, start: number, end: number, columns: readonly Column[], line: number): Row {
  const row: Value[] = new Array<Value>(columns.length)
  const last = columns.length - 1
  let at = start
  for (let i = 0; i <= last; i++) {
    const tab = source.indexOf('\t', at)
    const hasTab = tab >= 0 && tab < end
    if (i < last ? !hasTab : hasTab) {
      throw new RecordError('text_rows.field_count', `text rows: line ${line + 1} does not have ${columns.length} fields`)
    }
    const stop = i < last ? tab : end
    row[i] = stop - at === 2 && source.charCodeAt(at) === BACKSLASH && source.charCodeAt(at + 1) === 78 /* N */ ? null : decodeField(source.slice(at, stop), columns[i])
    at = stop + 1
  }
  return row
}

function decodeField(field: string, column: Column): Value {
  const text = field.includes('\\') ? unescape(field) : field
  if (column.type === 'bytes') {
    if (!text.startsWith('\\x')) throw new RecordError('text_rows.bad_bytes', `text rows: bytes of column ${column.name} are not hex`, { column: column.name })
    return Buffer.from(text.slice(2), 'hex')
  }
  return parseValue(text, column)
}

const UNESCAPED: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' }

function unescape(field: string): string {
  return field.replace(/\\(.)/g, (_, c: string) => UNESCAPED[c] ?? c)
}

/** Writes a field's escapes for a string; for producers and tests. */
export function escapeTextField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
}

/** Joins text rows (one transaction's worth). */
export function concatTextRows(parts: readonly TextRows[]): TextRows {
  if (parts.length === 1) return parts[0]
  let count = 0
  for (const part of parts) count += part.count
  return { data: Buffer.concat(parts.map((part) => part.data)), count }
}
