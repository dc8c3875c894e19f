/**
 * The `jsonl` output: one JSON Lines file, written through a part file and renamed into place at the
 * end (file-output-writer.ts); rows encoded by src/formats/json-row-encoder.ts.
 */
import Type from 'typebox'
import { defineOutput } from '../../core/component.js'
import { chunkEncoder } from '../../formats/chunk-encoder.js'
import { jsonEncoderOptionsOf, jsonWriteConfig } from '../../formats/format-config.js'
import { FileOutputWriter } from './file-output-writer.js'

const config = Type.Object({
  path: Type.String({ description: 'The file to write; replaced when the run finishes. Missing folders are created.', examples: ['out/users.jsonl'] }),
  ...jsonWriteConfig,
})

export const jsonlOutput = defineOutput({
  type: 'jsonl',
  status: 'stable',
  summary: 'Writes rows to a JSON Lines file (one object per row), atomically and resumably',
  description: [
    'One JSON object per line, keys in column order. Values are exact: bigints as their digits, decimals as',
    'JSON number text (`12.50`; `decimals_as_strings` writes `"12.50"` for readers that would round them),',
    'bytes in base64, json columns embedded as JSON, temporal values as ISO 8601 strings, NULL as `null`.',
    '',
    'Rows are written to `.<name>.fustor-part` beside the target, which replaces the target when the run',
    'finishes; each checkpoint fsyncs it and records its length, and a resumed run cuts it back to that length',
    'and appends, so that no row is written twice or lost.',
  ].join('\n'),
  categories: ['file'],
  config,
  examples: [
    {
      title: 'CSV to JSON Lines',
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
  ],
  create: (cfg, ctx) => new FileOutputWriter('jsonl', cfg.path, { json: jsonEncoderOptionsOf(cfg) }, ctx),
  encoder: (cfg) => chunkEncoder('jsonl', { json: jsonEncoderOptionsOf(cfg), target: cfg.path }),
})
