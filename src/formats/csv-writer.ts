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
import { generatedFactory } from './generated-code.js'

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

/** Where a row writer appends its lines: an OutputBuffer, or text (`rowFormatter`). */
export interface CsvLineSink {
  appendLine(text: string, lineEnd: string): void
}

class LineCollector implements CsvLineSink {
  private readonly parts: string[] = []

  appendLine(text: string, lineEnd: string): void {
    this.parts.push(text, lineEnd)
  }

  text(): string {
    return this.parts.join('')
  }
}

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
   * Returns a function appending the text of a row to `out` (OutputBuffer), as one line without its
   * line end, and the line end. Fields come from `sources`. It throws a RecordError for a row it
   * cannot write (only when quoting is disabled), appending nothing.
   */
  rowWriter(sources: readonly CsvFieldSource[]): (row: Row, out: CsvLineSink) => void {
    const count = sources.length
    const indexes = sources.map((source) => source.index)
    const types = sources.map((source) => source.column.type)
    const quoting = sources.map((source) => this.quotingOf(source.column.type))
    const names = sources.map((source) => source.column.name)
    const delimiter = this.delimiter
    const special = this.special
    const hasAlways = quoting.includes(Quoting.Always)
    const isChecked = quoting.map((mode) => mode === Quoting.WhenNeeded)
    // Special characters but the delimiter, looked for in the whole line.
    const lineSpecials = [...new Set([this.quote, this.escape, '\r', '\n'])].filter((c) => c.length > 0 && c !== delimiter)

    /** The line with each field quoted as its column's style and text ask (`cells`: the fields' texts). */
    const quotedLine = (row: Row, cells: string[]): string => {
      for (let c = 0; c < count; c++) {
        const index = indexes[c]
        const value = index < 0 ? null : row[index]
        if (value === null || value === undefined) continue
        const mode = quoting[c]
        if (mode === Quoting.Always || (mode === Quoting.WhenNeeded && special.test(cells[c]))) cells[c] = this.quoted(cells[c], names[c])
      }
      return cells.join(delimiter)
    }

    // Generated once per schema: each field's text by its column's type, without loops or lookups.
    const literal = (text: string): string => JSON.stringify(text)
    const lines: string[] = ['let v']
    for (let c = 0; c < count; c++) {
      const index = indexes[c]
      if (!Number.isInteger(index)) throw new RangeError(`invalid column index ${index}`)
      if (index < 0) {
        lines.push(`const t${c} = nullText`)
        continue
      }
      // formatValue's text (JSON for json columns), the likely kind of value first.
      const isNull = `(v = row[${index}]) === null || v === undefined ? nullText`
      let text: string
      if (types[c] === 'json') text = 'JSON.stringify(v)'
      else if (types[c] === 'int' || types[c] === 'float') text = `typeof v === 'number' ? String(v) : textOf(v)`
      else if (types[c] === 'bool') text = `v === true ? 'true' : v === false ? 'false' : textOf(v)`
      else text = `typeof v === 'string' ? v : textOf(v)`
      lines.push(`const t${c} = ${isNull} : ${text}`)
    }
    const cells = Array.from({ length: count }, (_, c) => `t${c}`).join(', ')
    if (hasAlways) {
      lines.push(`let line = quotedLine(row, [${cells}])`)
    } else {
      // The texts go into one array per writer, joined: no array per row.
      if (count > 1) lines.push(Array.from({ length: count }, (_, c) => `texts[${c}] = t${c}`).join('; '))
      lines.push(`let line = ${count === 1 ? 't0' : `texts.join(${literal(delimiter)})`}`)
    }
    if (!hasAlways && isChecked.includes(true)) {
      // Whether no field of the line needs quotes: no special character anywhere in it (a few native
      // searches of one flat string) and no delimiter inside a field that may hold one; much cheaper
      // than a regular expression per field (docs/ARCHITECTURE.md D18). Otherwise quotedLine decides
      // field by field, as if it had not been asked.
      const conditions = lineSpecials.map((c) => `line.indexOf(${literal(c)}) >= 0`)
      for (let c = 0; c < count; c++) {
        if (isChecked[c]) conditions.push(`(t${c}.length > 0 && (v = line.indexOf(${literal(delimiter)}, ${c === 0 ? 0 : `at${c}`})) >= 0 && v < ${c === 0 ? 0 : `at${c}`} + t${c}.length)`)
        if (c + 1 < count) lines.push(`const at${c + 1} = ${c === 0 ? '' : `at${c} + `}t${c}.length + 1`)
      }
      lines.push(`if (${conditions.join(' || ')}) line = quotedLine(row, [${cells}])`)
    }
    // A one-column row with empty text would be a blank line, which parsers skip.
    if (count === 1 && this.quote.length > 0) lines.push(`if (line.length === 0) line = ${literal(this.quote + this.quote)}`)
    lines.push(`out.appendLine(line, ${literal(this.lineEnd)})`)
    const factory = generatedFactory(['nullText', 'textOf', 'quotedLine'], `const texts = new Array(${count}).fill('')\nreturn function writeRow(row, out) {\n  ${lines.join('\n  ')}\n}`) as (
      nullText: string,
      textOf: (value: Exclude<Value, null>) => string,
      quotedLine: (row: Row, cells: string[]) => string,
    ) => (row: Row, out: CsvLineSink) => void
    return factory(this.nullText, formatValue, quotedLine)
  }

  /** Formats one row as a string (tests, previews); outputs use rowWriter. */
  rowFormatter(sources: readonly CsvFieldSource[]): (row: Row) => string {
    const write = this.rowWriter(sources)
    return (row) => {
      const lines = new LineCollector()
      write(row, lines)
      return lines.text()
    }
  }

  /** Formats rows whose values are in schema order, all columns written. */
  formatRows(rows: readonly Row[], columns: readonly Pick<Column, 'name' | 'type'>[]): string {
    const write = this.rowWriter(columns.map((column, index) => ({ index, column })))
    const lines = new LineCollector()
    for (const row of rows) write(row, lines)
    return lines.text()
  }

  private quotingOf(type: LogicalType): Quoting {
    if (this.quoteStyle === 'all') return Quoting.Always
    if (this.quoteStyle === 'non_numeric' && !NUMERIC_TYPES.has(type)) return Quoting.Always
    if (PLAIN_TYPES.has(type) && !PLAIN_CHARACTERS.test(this.delimiter) && !PLAIN_CHARACTERS.test(this.quote || ',')) return Quoting.Never
    return Quoting.WhenNeeded
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
