/**
 * CSV record (field strings, or a CsvLine: where the fields are in the parser's text) to a row of a
 * schema: picks each column's field, maps NULL markers, and converts the text with the column's type
 * (text-value-parser.ts, equivalent to parseValue).
 *
 * NULL markers (`nullValues`) apply to every column, except the empty text in a string column,
 * which stays an empty string: an empty field is what most files mean by an empty string.
 */
import type { Row, Schema } from '../core/schema.js'
import { CsvLine } from './csv-parser.js'
import { generatedFactory } from './generated-code.js'
import { textRangeParser, textValueParser, type TextRangeParser, type TextValueParser } from './text-value-parser.js'

export class CsvRowDecoder {
  private readonly fieldIndexes: readonly number[]
  private readonly parsers: TextValueParser[]
  private readonly rangeParsers: TextRangeParser[]
  /** Value of an empty field per column: null, '' or undefined (convert it like any text). */
  private readonly emptyValues: (null | '' | undefined)[]
  private readonly otherNullTexts: ReadonlySet<string> | undefined
  /** Field i is column i: the record array becomes the row, one allocation less per row. */
  private readonly isInPlace: boolean

  /**
   * `decode` for a line: only the values that are text are cut out of it. Generated once per schema:
   * straight-line code, each column's converter called from a call site of its own, and the row
   * built as an array literal (docs/ARCHITECTURE.md D17).
   */
  private readonly decodeLine: (line: CsvLine) => Row

  /**
   * @param fieldIndexes for each schema column, the index of its field in a record (-1: always NULL)
   */
  constructor(
    readonly schema: Schema,
    fieldIndexes: readonly number[],
    nullValues: readonly string[],
  ) {
    this.fieldIndexes = fieldIndexes
    this.parsers = schema.columns.map((column) => textValueParser(column))
    this.rangeParsers = schema.columns.map((column) => textRangeParser(column))
    const isEmptyNull = nullValues.includes('')
    this.emptyValues = schema.columns.map((column) => (column.type === 'string' ? '' : isEmptyNull ? null : undefined))
    const others = nullValues.filter((text) => text !== '')
    this.otherNullTexts = others.length > 0 ? new Set(others) : undefined
    this.isInPlace = fieldIndexes.every((index, i) => index === i)
    this.decodeLine = lineDecoder(fieldIndexes, this.parsers, this.rangeParsers, this.emptyValues, this.otherNullTexts)
  }

  /**
   * Throws the RecordError of the first value that does not convert. The record array may be reused
   * as the row: callers keep the raw text (the parser's recordText) for errors, not the fields.
   */
  decode(record: string[] | CsvLine): Row {
    if (record instanceof CsvLine) return this.decodeLine(record)
    const fields = record
    const indexes = this.fieldIndexes
    const count = indexes.length
    const others = this.otherNullTexts
    const row: Row = this.isInPlace && fields.length === count ? fields : new Array(count)
    for (let c = 0; c < count; c++) {
      const index = indexes[c]
      const text = index < 0 ? undefined : fields[index]
      if (text === undefined) {
        row[c] = null
      } else if (text.length === 0) {
        const empty = this.emptyValues[c]
        row[c] = empty === undefined ? this.parsers[c](text) : empty
      } else if (others !== undefined && others.has(text)) {
        row[c] = null
      } else {
        row[c] = this.parsers[c](text)
      }
    }
    return row
  }
}

function lineDecoder(
  fieldIndexes: readonly number[],
  parsers: readonly TextValueParser[],
  rangeParsers: readonly TextRangeParser[],
  emptyValues: readonly (null | '' | undefined)[],
  others: ReadonlySet<string> | undefined,
): (line: CsvLine) => Row {
  const lines = ['const text = line.text', 'const bounds = line.bounds', 'const count = line.count', 'let start, end, field']
  fieldIndexes.forEach((index, c) => {
    if (!Number.isInteger(index)) throw new RangeError(`invalid field index ${index}`)
    if (index < 0) {
      lines.push(`const v${c} = null`)
      return
    }
    const empty = emptyValues[c] === undefined ? `parse${c}('')` : JSON.stringify(emptyValues[c])
    const value =
      others === undefined
        ? `rangeParse${c}(text, start, end)`
        : `(field = text.slice(start, end), others.has(field) ? null : parse${c}(field))`
    lines.push(`let v${c} = null`)
    lines.push(`if (${index} < count) { start = bounds[${index}]; end = bounds[${index + 1}] - 1; v${c} = start === end ? ${empty} : ${value} }`)
  })
  lines.push(`return [${fieldIndexes.map((_, c) => `v${c}`).join(', ')}]`)
  const names = fieldIndexes.flatMap((_, c) => [`parse${c}`, `rangeParse${c}`])
  const factory = generatedFactory(['others', ...names], `return function decodeLine(line) {\n  ${lines.join('\n  ')}\n}`) as (...args: unknown[]) => (line: CsvLine) => Row
  return factory(others, ...fieldIndexes.flatMap((_, c) => [parsers[c], rangeParsers[c]]))
}
