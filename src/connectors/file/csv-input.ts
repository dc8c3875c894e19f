/**
 * The `csv` input: CSV files (one path or a glob, `.gz` decompressed) read into typed rows.
 * Parsing and type conversion are src/formats' (csv-parser.ts, csv-row-decoder.ts); the files and
 * positions are file-input-reader.ts'.
 */
import Type from 'typebox'
import { defineInput } from '../../core/component.js'
import { csvReadConfig, encodingConfig, readSchemaConfig, rowFormatOf } from '../../formats/format-config.js'
import { FileInputReader } from './file-input-reader.js'
import { decodeFileSplit } from './file-split-decoder.js'

const config = Type.Object({
  path: Type.String({
    description: 'A file, or a glob matching several (read in sorted order, all with the same columns). Files ending in `.gz` are decompressed.',
    examples: ['data/users.csv', 'data/orders-*.csv', 'exports/**/*.csv.gz'],
  }),
  ...csvReadConfig,
  ...encodingConfig,
  ...readSchemaConfig,
})

export const csvInput = defineInput({
  type: 'csv',
  status: 'stable',
  summary: 'Reads CSV files (a path or a glob, gzip included) into typed rows, resumable at any batch',
  description: [
    'RFC 4180 CSV: quoted fields may hold the delimiter, quotes (doubled, or escaped with `escape`) and line breaks;',
    'LF and CRLF line ends; a byte-order mark is skipped; blank lines are skipped.',
    '',
    'Columns come from `columns` when declared (the header, if any, must name the same columns, in any order),',
    'otherwise from the header (or `column_1`, `column_2`... without one) with types inferred from the first',
    '`infer_sample_rows` records: int, bigint, decimal, float, bool, date, timestamp, timestamptz or string.',
    'Numbers with leading zeros (zip codes, `007`) stay strings.',
    '',
    'A record that cannot be read (unterminated quote, text after a closing quote, a quote inside an unquoted',
    'field, a wrong number of fields) or a value that does not convert to its column type is rejected with its',
    'line number (`data/users.csv:1042`) and sent to the dead-letter output; reading goes on.',
    '',
    'Position: `{"file", "offset", "line"}` after the last record of each batch; a resumed run continues exactly',
    'there (seeking in plain files, decompressing and skipping in `.gz` files).',
  ].join('\n'),
  categories: ['file'],
  config,
  staticSchema: (cfg) => rowFormatOf('csv', cfg).options.declared,
  examples: [
    {
      title: 'CSV to JSON Lines',
      summary: 'Types are inferred from the file.',
      yaml: `input:
  type: csv
  config:
    path: data/users.csv
output:
  type: jsonl
  config:
    path: out/users.jsonl
`,
    },
    {
      title: 'Several files with declared columns',
      summary: 'Every file matching the glob, in order: semicolon-separated, where \\N means NULL.',
      yaml: `input:
  type: csv
  config:
    path: data/orders-*.csv
    delimiter: ";"
    null_values: ["", "\\\\N"]
    columns:
      - { name: order_id, type: int }
      - { name: customer, type: string }
      - { name: amount, type: "decimal(10,2)" }
      - { name: ordered_at, type: timestamptz }
output:
  type: csv
  config:
    path: out/orders.csv
`,
    },
  ],
  create: (cfg, ctx) => new FileInputReader(rowFormatOf('csv', cfg), cfg.path, cfg.infer_sample_rows, ctx),
  decodeSplit: (cfg, split, batchSize, sink) => decodeFileSplit(rowFormatOf('csv', cfg), split, batchSize, sink),
})
