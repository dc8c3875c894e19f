/**
 * Config fields of the text formats, shared by every connector that reads or writes them (files,
 * stdin/stdout), and their translation into the codecs' options. Keys are snake_case (STYLE.md).
 */
import Type, { type Static, type TObject } from 'typebox'
import type { Schema } from '../core/schema.js'
import { CSV_QUOTE_STYLES, type CsvWriterOptions } from './csv-writer.js'
import { DEFAULT_MAX_RECORD_BYTES, TEXT_ENCODINGS } from './decoded-text.js'
import { declaredSchema } from './declared-columns.js'
import type { JsonRowEncoderOptions } from './json-row-encoder.js'
import { RowFormat, type RowFormatKind } from './row-format.js'

const oneCharacter = { minLength: 1, maxLength: 1 }

export const encodingConfig = {
  encoding: Type.Enum([...TEXT_ENCODINGS], {
    description: 'Character encoding of the input. `utf8` skips a byte-order mark; so does `utf16le`.',
    default: 'utf8',
  }),
}

export const readSchemaConfig = {
  columns: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ description: 'Column name (for CSV with a header, as in the header).', examples: ['id'] }),
        type: Type.String({
          description: 'Type name: string, int, bigint, decimal(p,s), float, bool, date, time, timestamp, timestamptz, json, bytes, uuid.',
          default: 'string',
          examples: ['int', 'decimal(10,2)', 'timestamptz'],
        }),
      }),
      {
        description:
          'Declared columns and their types. Without it the columns and types are inferred from the first `infer_sample_rows` records.',
        examples: [[{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }, { name: 'score', type: 'decimal(5,2)' }]],
      },
    ),
  ),
  infer_sample_rows: Type.Integer({
    description: 'How many records (from the first files) are read to infer the columns and types when `columns` is not set.',
    minimum: 1,
    default: 1000,
  }),
  max_record_bytes: Type.Integer({
    description: 'A longer record (line, JSON element) is rejected and skipped, so that memory stays bounded (an unterminated quote would otherwise swallow the file).',
    minimum: 1024,
    default: DEFAULT_MAX_RECORD_BYTES,
  }),
}

const csvDialectFields = {
  delimiter: Type.String({ description: 'Field delimiter: one character, e.g. `,`, `;`, `|` or a tab (`"\\t"` in YAML).', ...oneCharacter, default: ',' }),
  quote: Type.String({ description: 'Quote character; empty for none (then quotes are data).', maxLength: 1, default: '"' }),
  escape: Type.String({
    description: 'Character that escapes a quote (and itself) inside quoted fields, e.g. `\\`. Empty: quotes are escaped by doubling them (`""`), as RFC 4180 says.',
    maxLength: 1,
    default: '',
  }),
}

export const csvReadConfig = {
  ...csvDialectFields,
  has_header: Type.Boolean({ description: 'The first record (after `skip_rows`) holds the column names.', default: true }),
  null_values: Type.Array(Type.String(), {
    description:
      'Texts read as NULL. The empty text is NULL only in non-string columns: an empty field of a string column is an empty string.',
    default: [''],
    examples: [['', 'NULL', '\\N']],
  }),
  infer_types: Type.Boolean({ description: 'Infer column types from the sample; false reads every column as a string.', default: true }),
  skip_rows: Type.Integer({ description: 'Records skipped at the start of each file, before the header (titles, notes).', minimum: 0, default: 0 }),
  allow_bare_quotes: Type.Boolean({
    description: 'Accept a quote inside an unquoted field (`5"11`) as data. By default such a record is rejected as malformed.',
    default: false,
  }),
}

export const csvWriteConfig = {
  ...csvDialectFields,
  header: Type.Boolean({ description: 'Write a header line with the column names.', default: true }),
  quote_style: Type.Enum([...CSV_QUOTE_STYLES], {
    description:
      '`minimal` quotes a field only when it holds the delimiter, a quote or a line break; `all` quotes every non-NULL field; `non_numeric` every non-NULL field of a non-numeric column.',
    default: 'minimal',
  }),
  null_text: Type.String({ description: 'Text written for NULL.', default: '', examples: ['', '\\N', 'NULL'] }),
  line_end: Type.Enum(['lf', 'crlf'], { description: 'Line ending: `lf` (`\\n`) or `crlf` (`\\r\\n`).', default: 'lf' }),
}

export const jsonWriteConfig = {
  decimals_as_strings: Type.Boolean({
    description: 'Write decimals as JSON strings (`"12.50"`) instead of exact number text (`12.50`), for readers that would round them to doubles.',
    default: false,
  }),
}

export type CsvReadConfig = Static<TObject<typeof csvReadConfig>>
export type ReadSchemaConfig = Static<TObject<typeof readSchemaConfig & typeof encodingConfig>>
export type CsvWriteConfig = Static<TObject<typeof csvWriteConfig>>
export type JsonWriteConfig = Static<TObject<typeof jsonWriteConfig>>

/**
 * The RowFormat of an input config. Pure (create() calls it): ConfigError for declared columns with
 * an unknown type, at `columns[i].type`.
 */
export function rowFormatOf(kind: RowFormatKind, config: ReadSchemaConfig & Partial<CsvReadConfig>): RowFormat {
  const declared: Schema | undefined = config.columns === undefined ? undefined : declaredSchema(config.columns)
  return new RowFormat({
    kind,
    encoding: config.encoding,
    declared,
    inferTypes: config.infer_types ?? true,
    maxRecordBytes: config.max_record_bytes,
    csv:
      kind === 'csv'
        ? {
            delimiter: config.delimiter ?? ',',
            quote: config.quote ?? '"',
            escape: config.escape ?? '',
            hasHeader: config.has_header ?? true,
            allowBareQuotes: config.allow_bare_quotes ?? false,
            skipRows: config.skip_rows ?? 0,
            nullValues: config.null_values ?? [''],
          }
        : undefined,
  })
}

export function csvWriterOptionsOf(config: CsvWriteConfig): CsvWriterOptions {
  return {
    delimiter: config.delimiter,
    quote: config.quote,
    escape: config.escape === '' ? config.quote : config.escape,
    quoteStyle: config.quote_style,
    nullText: config.null_text,
    lineEnd: config.line_end === 'crlf' ? '\r\n' : '\n',
  }
}

export function jsonEncoderOptionsOf(config: JsonWriteConfig): JsonRowEncoderOptions {
  return { decimalsAsStrings: config.decimals_as_strings }
}
