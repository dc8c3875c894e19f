/**
 * The `jsonl` input: JSON Lines files (one object per line; a path or a glob, `.gz` decompressed).
 */
import Type from 'typebox'
import { defineInput } from '../../core/component.js'
import { encodingConfig, readSchemaConfig, rowFormatOf } from '../../formats/format-config.js'
import { FileInputReader } from './file-input-reader.js'
import { decodeFileSplit } from './file-split-decoder.js'

const config = Type.Object({
  path: Type.String({
    description: 'A file, or a glob matching several (read in sorted order). Files ending in `.gz` are decompressed.',
    examples: ['data/events.jsonl', 'logs/*.jsonl.gz'],
  }),
  ...encodingConfig,
  ...readSchemaConfig,
})

export const jsonlInput = defineInput({
  type: 'jsonl',
  status: 'stable',
  summary: 'Reads JSON Lines files (one object per line; a path or a glob, gzip included) into typed rows',
  description: [
    'Each non-blank line holds one JSON object; its keys are the columns. Columns come from `columns` when',
    'declared, otherwise from the keys of the first `infer_sample_rows` records, in the order they appear, with',
    'types from the values: int, bigint, float, decimal, bool, string, or json for objects, arrays and mixed values.',
    'Strings stay strings: declare `columns` to read dates and timestamps as such.',
    '',
    'Numbers are exact: an integer beyond 2^53 becomes a bigint and a number with more than 15 significant',
    'digits a decimal, rather than a rounded double (in a json column\'s nested values numbers are doubles).',
    'In a declared column, values convert as their text would (`"42"` and `42` both make an int; `1.5` is not',
    'an int); bytes columns take base64 strings. A missing key is NULL; a key that is not a column is ignored',
    '(with a warning the first time).',
    '',
    'A line that is not valid JSON, not an object, or holds a value that does not convert is rejected with its',
    'line number and sent to the dead-letter output; reading goes on.',
    '',
    'Position: `{"file", "offset", "line"}` after the last record of each batch; a resumed run continues exactly there.',
  ].join('\n'),
  categories: ['file'],
  config,
  staticSchema: (cfg) => rowFormatOf('jsonl', cfg).options.declared,
  examples: [
    {
      title: 'JSON Lines to CSV',
      yaml: `input:
  type: jsonl
  config:
    path: data/users.jsonl
output:
  type: csv
  config:
    path: out/users.csv
`,
    },
    {
      title: 'Declared columns with exact types',
      yaml: `input:
  type: jsonl
  config:
    path: data/users.jsonl
    columns:
      - { name: id, type: bigint }
      - { name: email, type: string }
      - { name: score, type: "decimal(5,2)" }
      - { name: created_at, type: timestamp }
output:
  type: jsonl
  config:
    path: out/users-typed.jsonl
`,
    },
  ],
  create: (cfg, ctx) => new FileInputReader(rowFormatOf('jsonl', cfg), cfg.path, cfg.infer_sample_rows, ctx),
  decodeSplit: (cfg, split, batchSize, sink) => decodeFileSplit(rowFormatOf('jsonl', cfg), split, batchSize, sink),
})
