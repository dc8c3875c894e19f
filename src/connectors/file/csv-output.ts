/**
 * The `csv` output: one CSV file, written through a part file and renamed into place at the end
 * (file-output-writer.ts); rows formatted by src/formats/csv-writer.ts.
 */
import Type from 'typebox'
import { defineOutput } from '../../core/component.js'
import { chunkEncoder } from '../../formats/chunk-encoder.js'
import { csvWriteConfig, csvWriterOptionsOf, type CsvWriteConfig } from '../../formats/format-config.js'
import { FileOutputWriter } from './file-output-writer.js'

const config = Type.Object({
  path: Type.String({ description: 'The file to write; replaced when the run finishes. Missing folders are created.', examples: ['out/users.csv'] }),
  ...csvWriteConfig,
})

function csvOptions(cfg: CsvWriteConfig): { csv: ReturnType<typeof csvWriterOptionsOf> & { hasHeader: boolean } } {
  return { csv: { ...csvWriterOptionsOf(cfg), hasHeader: cfg.header } }
}

export const csvOutput = defineOutput({
  type: 'csv',
  status: 'stable',
  summary: 'Writes rows to a CSV file, atomically and resumably',
  description: [
    'Rows are written to `.<name>.fustor-part` beside the target, which replaces the target when the run',
    'finishes, so that readers never see a half-written file. Each checkpoint fsyncs the part file and records',
    'its length; a resumed run cuts the part file back to that length and appends, so that no row is written',
    'twice or lost, under one header.',
    '',
    'The header holds the columns of the first batch. Later batches are written by column name: a column they',
    'lack is written as NULL, and a row with a value in a column the header lacks is rejected to the dead-letter',
    'output. Values are written in their text form: numbers as digits, booleans as `true`/`false`, temporal',
    'values as ISO 8601 (`2024-01-31T13:45:10Z`), bytes in base64, json columns as JSON text.',
  ].join('\n'),
  categories: ['file'],
  config,
  examples: [
    {
      title: 'Semicolon-separated copy',
      summary: 'Every field quoted, NULL written as \\N, Windows line ends.',
      yaml: `input:
  type: csv
  config:
    path: data/users.csv
output:
  type: csv
  config:
    path: out/users-semicolon.csv
    delimiter: ";"
    quote_style: all
    null_text: "\\\\N"
    line_end: crlf
`,
    },
  ],
  create: (cfg, ctx) => new FileOutputWriter('csv', cfg.path, csvOptions(cfg), ctx),
  encoder: (cfg) => chunkEncoder('csv', { ...csvOptions(cfg), target: cfg.path }),
})
