/**
 * Rows as the text LOAD DATA LOCAL INFILE reads: one line per row, fields separated by tabs,
 * `\N` for NULL, and `\` escaping the four bytes that would break the format (backslash, tab,
 * newline, NUL). The statement names the format explicitly so that server defaults do not matter.
 *
 * Values are written in their Fustor text form, which the server parses like a literal: numbers,
 * decimals as written (exact), booleans as 1/0, timestamps with their `T` (MySQL accepts it),
 * timestamptz without the `Z` (the session's time zone is UTC), JSON as JSON text. Bytes go as hex
 * decoded by `UNHEX(@v)`: every byte value arrives exactly whatever the file's character set, and
 * the cost (twice the size) only falls on binary columns. BIT columns take digits through
 * `CAST(@v AS UNSIGNED)` (LOAD DATA would otherwise store the digits' characters), geometry takes
 * WKB through `ST_GeomFromWKB`.
 *
 * The line of a row is built by code generated once per column list (docs/ARCHITECTURE.md D17) and
 * encoded into 1 MiB chunks (formats/output-buffer.ts, D16).
 */
import { RecordError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import { generatedFactory } from '../../formats/generated-code.js'
import { OutputBuffer } from '../../formats/output-buffer.js'
import { isBitType, isGeometryType } from './mysql-types.js'

/** How a written column reaches its table column: directly, or through a variable and a SET expression. */
export interface WrittenColumn {
  readonly column: Column
  /** The target column's own type (COLUMN_TYPE), when known: BIT and geometry need an expression. */
  readonly nativeType: string | undefined
}

/** The text the server reads for the escape sequences we write: `\\`, `\t`, `\n`, `\0`. */
const SPECIAL_CHARACTERS = /[\t\n\\\0]/

function escapeSpecial(character: string): string {
  switch (character) {
    case '\t':
      return '\\t'
    case '\n':
      return '\\n'
    case '\0':
      return '\\0'
    default:
      return '\\\\'
  }
}

/** A text field: as it is, unless it holds one of the special characters. */
export function loadDataText(text: string): string {
  return SPECIAL_CHARACTERS.test(text) ? text.replace(/[\t\n\\\0]/g, escapeSpecial) : text
}

/** A float's text: MySQL has no NaN or infinities. */
export function finiteFloatText(value: number, column: Column): string {
  if (!Number.isFinite(value)) {
    throw new RecordError('mysql.float_not_finite', `column ${column.name}: ${String(value)} cannot be stored in MySQL`, { column: column.name })
  }
  return String(value)
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function jsonText(value: unknown): string {
  return loadDataText(JSON.stringify(value))
}

/** The expression turning a non-null value `v` of a column into its field text. */
function fieldCode(written: WrittenColumn, i: number): string {
  switch (written.column.type) {
    case 'string':
      return 'loadDataText(v)'
    case 'int':
    case 'bigint':
      return "'' + v"
    case 'float':
      return `finiteFloatText(v, columns[${i}])`
    case 'bool':
      return "v ? '1' : '0'"
    case 'decimal':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'uuid':
      // Their stored forms hold no special character (core/schema.ts).
      return 'v'
    case 'timestamptz':
      return 'v.slice(0, -1)'
    case 'json':
      return 'jsonText(v)'
    case 'bytes':
      return 'hexOf(v)'
  }
}

/** The SET expression of a column read into variable `@name`, or undefined when the field goes straight to the column. */
function setExpression(written: WrittenColumn, variable: string): string | undefined {
  const native = written.nativeType
  if (written.column.type === 'bytes') return native !== undefined && isGeometryType(native) ? `ST_GeomFromWKB(UNHEX(${variable}))` : `UNHEX(${variable})`
  if (native !== undefined && isBitType(native)) return `CAST(${variable} AS UNSIGNED)`
  return undefined
}

type LineWriter = (row: Row) => string

export class LoadDataEncoder {
  /** `(col, @v1, ...) SET col2 = UNHEX(@v1)`: the column list and SET clause of the statement. */
  readonly columnsClause: string
  private readonly writeLine: LineWriter

  constructor(
    readonly written: readonly WrittenColumn[],
    quoteIdentifier: (name: string) => string,
  ) {
    const targets: string[] = []
    const sets: string[] = []
    written.forEach((column, i) => {
      const variable = `@fustor_${i}`
      const expression = setExpression(column, variable)
      if (expression === undefined) targets.push(quoteIdentifier(column.column.name))
      else {
        targets.push(variable)
        sets.push(`${quoteIdentifier(column.column.name)} = ${expression}`)
      }
    })
    this.columnsClause = `(${targets.join(', ')})${sets.length > 0 ? ` SET ${sets.join(', ')}` : ''}`
    this.writeLine = lineWriter(written)
  }

  /**
   * The file's bytes for rows, produced chunk by chunk as LOAD DATA reads them: the socket sends a
   * chunk as soon as it is made, so the server parses and inserts while the next rows are encoded
   * (on two cores, this overlap is most of the client's encoding time). Throws a RecordError for a
   * value MySQL cannot hold.
   */
  *chunks(rows: readonly Row[]): Generator<Buffer> {
    const out = new OutputBuffer(CHUNK_BYTES)
    const writeLine = this.writeLine
    for (let i = 0; i < rows.length; i++) {
      out.appendLine(writeLine(rows[i]), '\n')
      if (out.hasFullChunks) yield* out.takeFullChunks()
    }
    yield* out.takeAll()
  }
}

/** Bytes per chunk sent: small enough to start the server early, large enough to keep packets few. */
const CHUNK_BYTES = 128 * 1024

function lineWriter(written: readonly WrittenColumn[]): LineWriter {
  const lines = written.map((column, i) => {
    const separator = i === 0 ? '' : '\\t'
    const assign = i === 0 ? 'line =' : 'line +='
    return `v = row[${i}]; ${assign} v === null ? '${separator}\\\\N' : '${separator}' + (${fieldCode(column, i)})`
  })
  const body = `return function writeLine(row) {\n  let v, line\n  ${lines.join('\n  ')}\n  return line\n}`
  const factory = generatedFactory(['loadDataText', 'finiteFloatText', 'jsonText', 'hexOf', 'columns'], body) as unknown as (...args: unknown[]) => LineWriter
  return factory(
    loadDataText,
    finiteFloatText,
    jsonText,
    hexOf,
    written.map((w) => w.column),
  )
}

/**
 * The statement reading the encoded rows. `duplicates`: what a row whose key exists does: nothing
 * (the statement's default with LOCAL: the row is skipped with a warning, which write() turns into
 * a RecordError) or REPLACE (the old row is deleted, the new one inserted; the last of a file wins).
 */
export function loadDataStatement(table: string, encoder: LoadDataEncoder, duplicates: 'error' | 'replace'): string {
  const replace = duplicates === 'replace' ? ' REPLACE' : ''
  return (
    `LOAD DATA LOCAL INFILE 'fustor-rows'${replace} INTO TABLE ${table} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ${encoder.columnsClause}`
  )
}
