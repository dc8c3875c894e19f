/**
 * CSV record (field strings) to a row of a schema: picks each column's field, maps NULL markers, and
 * converts the text with the column's type (text-value-parser.ts, equivalent to parseValue).
 *
 * NULL markers (`nullValues`) apply to every column, except the empty text in a string column,
 * which stays an empty string: an empty field is what most files mean by an empty string.
 */
import type { Row, Schema } from '../core/schema.js'
import { textValueParser, type TextValueParser } from './text-value-parser.js'

export class CsvRowDecoder {
  private readonly fieldIndexes: readonly number[]
  private readonly parsers: TextValueParser[]
  /** Value of an empty field per column: null, '' or undefined (convert it like any text). */
  private readonly emptyValues: (null | '' | undefined)[]
  private readonly otherNullTexts: ReadonlySet<string> | undefined
  /** Field i is column i: the record array becomes the row, one allocation less per row. */
  private readonly isInPlace: boolean

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
    const isEmptyNull = nullValues.includes('')
    this.emptyValues = schema.columns.map((column) => (column.type === 'string' ? '' : isEmptyNull ? null : undefined))
    const others = nullValues.filter((text) => text !== '')
    this.otherNullTexts = others.length > 0 ? new Set(others) : undefined
    this.isInPlace = fieldIndexes.every((index, i) => index === i)
  }

  /**
   * Throws the RecordError of the first value that does not convert. The record array may be reused
   * as the row: callers keep the raw text (the parser's recordText) for errors, not the fields.
   */
  decode(fields: string[]): Row {
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
