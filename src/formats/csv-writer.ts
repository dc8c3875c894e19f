/**
 * CSV writer: rows of values (in the in-memory forms of schema.ts) to CSV text that CsvParser reads
 * back to the same fields. Text forms are formatValue's, except json columns, which are written as
 * JSON text (so that a json string value stays a JSON string).
 *
 * Quote styles: `minimal` quotes a field only when it holds the delimiter, the quote (or escape)
 * character, CR or LF; `all` quotes every non-NULL field; `non_numeric` quotes every non-NULL field
 * of a non-numeric column. NULL is written as `nullText` unquoted, so with `all` or `non_numeric` an
 * empty string (`""`) and NULL stay distinct. The only field of a one-column row is quoted when its
 * text is empty, since parsers skip blank lines.
 */
import { RecordError } from '../core/errors.js'
import type { Column, LogicalType, Row, Value } from '../core/schema.js'
import { formatValue } from '../core/values.js'

export const CSV_QUOTE_STYLES = ['minimal', 'all', 'non_numeric'] as const
export type CsvQuoteStyle = (typeof CSV_QUOTE_STYLES)[number]

export interface CsvWriterOptions {
  readonly delimiter?: string
  /** One character, or empty to never quote (a field that would need quotes is then refused). */
  readonly quote?: string
  /** Escapes a quote inside a quoted field; default: the quote itself (`""`). */
  readonly escape?: string
  readonly quoteStyle?: CsvQuoteStyle
  /** Text written for NULL; default empty. */
  readonly nullText?: string
  readonly lineEnd?: '\n' | '\r\n'
}

/** How a column's fields are quoted. */
const enum Quoting {
  /** The text form can never hold a special character (numbers, temporal values, with ordinary delimiters). */
  Never,
  /** Quote when the text holds a special character. */
  WhenNeeded,
  Always,
}

const NUMERIC_TYPES: ReadonlySet<LogicalType> = new Set<LogicalType>(['int', 'bigint', 'decimal', 'float'])
/** Types whose text form uses only these characters (digits, signs, `.:TZ`, letters of true/false/NaN/Infinity, base64, uuid). */
const PLAIN_TYPES: ReadonlySet<LogicalType> = new Set<LogicalType>(['int', 'bigint', 'decimal', 'float', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid', 'bytes'])
const PLAIN_CHARACTERS = /^[A-Za-z0-9+\-.:/=]$/

/** A column as the writer sees it: where its value is in the row (-1: always NULL) and its type. */
export interface CsvFieldSource {
  readonly index: number
  readonly column: Pick<Column, 'name' | 'type'>
}

export class CsvWriter {
  readonly delimiter: string
  readonly lineEnd: string
  private readonly quote: string
  private readonly escape: string
  private readonly quoteStyle: CsvQuoteStyle
  private readonly nullText: string
  private readonly special: RegExp
  /** Characters to escape inside a quoted field: one regex to test, a global one to replace. */
  private readonly quoteInValue: RegExp | undefined
  private readonly quotesInValue: RegExp | undefined
  private readonly escapedQuote: string

  constructor(options: CsvWriterOptions = {}) {
    this.delimiter = options.delimiter ?? ','
    this.quote = options.quote ?? '"'
    this.escape = options.escape ?? this.quote
    this.quoteStyle = options.quoteStyle ?? 'minimal'
    this.nullText = options.nullText ?? ''
    this.lineEnd = options.lineEnd ?? '\n'
    if (this.delimiter.length !== 1) throw new RangeError(`csv delimiter must be one character, got ${JSON.stringify(this.delimiter)}`)
    const specials = [this.delimiter, this.quote, this.escape].filter((c) => c.length > 0).map(escapeClassChar)
    this.special = new RegExp(`[${[...new Set(specials)].join('')}\\r\\n]`)
    if (this.quote.length > 0) {
      const targets = this.escape === this.quote ? [this.quote] : [this.quote, this.escape]
      const characterClass = `[${targets.map(escapeClassChar).join('')}]`
      this.quoteInValue = new RegExp(characterClass)
      this.quotesInValue = new RegExp(characterClass, 'g')
    }
    this.escapedQuote = this.escape
  }

  /** The header line (with line end) for column names. */
  formatHeader(names: readonly string[]): string {
    let line = ''
    for (let i = 0; i < names.length; i++) {
      const name = names[i]
      const isPlain = this.quoteStyle === 'minimal' && !this.special.test(name) && !(names.length === 1 && name === '')
      const text = isPlain ? name : this.quoted(name, name)
      line = i === 0 ? text : line + this.delimiter + text
    }
    return line + this.lineEnd
  }

  /**
   * Returns a function appending the text of a row (line end included) to `parts`, pieces that the
   * caller joins (OutputBuffer). Fields come from `sources`. It throws a RecordError for a row it
   * cannot write (only when quoting is disabled), leaving `parts` as it found them.
   */
  rowWriter(sources: readonly CsvFieldSource[]): (row: Row, parts: string[]) => void {
    const count = sources.length
    const indexes = sources.map((source) => source.index)
    const isJson = sources.map((source) => source.column.type === 'json')
    const quoting = sources.map((source) => this.quotingOf(source.column.type))
    const names = sources.map((source) => source.column.name)
    const delimiter = this.delimiter
    const lineEnd = this.lineEnd
    const nullText = this.nullText
    const special = this.special
    const isOneColumn = count === 1 && this.quote.length > 0
    // The fields of a row are joined into one flat string (one allocation): cheaper than handing
    // every field and delimiter to the output buffer as separate pieces, measured here.
    const cells: string[] = new Array<string>(count).fill('')
    return (row: Row, parts: string[]): void => {
      for (let c = 0; c < count; c++) {
        const index = indexes[c]
        const value = index < 0 ? null : row[index]
        if (value === null || value === undefined) {
          cells[c] = nullText
          continue
        }
        const text = typeof value === 'string' && !isJson[c] ? value : this.textOf(value, isJson[c])
        const mode = quoting[c]
        cells[c] = mode === Quoting.Always || (mode === Quoting.WhenNeeded && special.test(text)) ? this.quoted(text, names[c]) : text
      }
      // A one-column row with empty text would be a blank line, which parsers skip.
      if (isOneColumn && cells[0].length === 0) cells[0] = this.quote + this.quote
      parts.push(count === 1 ? cells[0] : cells.join(delimiter), lineEnd)
    }
  }

  /** Formats one row as a string (tests, previews); outputs use rowWriter. */
  rowFormatter(sources: readonly CsvFieldSource[]): (row: Row) => string {
    const write = this.rowWriter(sources)
    return (row) => {
      const parts: string[] = []
      write(row, parts)
      return parts.join('')
    }
  }

  /** Formats rows whose values are in schema order, all columns written. */
  formatRows(rows: readonly Row[], columns: readonly Pick<Column, 'name' | 'type'>[]): string {
    const write = this.rowWriter(columns.map((column, index) => ({ index, column })))
    const parts: string[] = []
    for (const row of rows) write(row, parts)
    return parts.join('')
  }

  private quotingOf(type: LogicalType): Quoting {
    if (this.quoteStyle === 'all') return Quoting.Always
    if (this.quoteStyle === 'non_numeric' && !NUMERIC_TYPES.has(type)) return Quoting.Always
    if (PLAIN_TYPES.has(type) && !PLAIN_CHARACTERS.test(this.delimiter) && !PLAIN_CHARACTERS.test(this.quote || ',')) return Quoting.Never
    return Quoting.WhenNeeded
  }

  private textOf(value: Exclude<Value, null>, isJson: boolean): string {
    if (isJson) return JSON.stringify(value)
    return formatValue(value)
  }

  private quoted(text: string, column: string): string {
    const parts: string[] = []
    this.pushQuoted(parts, text, column)
    return parts.join('')
  }

  private pushQuoted(parts: string[], text: string, column: string): void {
    if (this.quote.length === 0) {
      throw new RecordError('csv.unquotable', `value of column ${JSON.stringify(column)} holds the delimiter or a line break, and quoting is disabled`, {
        column,
      })
    }
    const inner = this.quoteInValue!.test(text) ? text.replace(this.quotesInValue!, (c) => this.escapedQuote + c) : text
    parts.push(this.quote, inner, this.quote)
  }
}

function escapeClassChar(c: string): string {
  return c === '\\' || c === ']' || c === '^' || c === '-' ? `\\${c}` : c === '\t' ? '\\t' : c
}
