/**
 * The `json` output: one file holding a JSON array of objects, written through a part file and
 * renamed into place at the end (file-output-writer.ts).
 */
import Type from 'typebox'
import { defineOutput } from '../../core/component.js'
import { chunkEncoder } from '../../formats/chunk-encoder.js'
import { jsonEncoderOptionsOf, jsonWriteConfig } from '../../formats/format-config.js'
import { FileOutputWriter } from './file-output-writer.js'

const config = Type.Object({
  path: Type.String({ description: 'The file to write; replaced when the run finishes. Missing folders are created.', examples: ['out/users.json'] }),
  ...jsonWriteConfig,
})

export const jsonOutput = defineOutput({
  type: 'json',
  status: 'stable',
  summary: 'Writes rows to a file holding one JSON array of objects, atomically and resumably',
  description: [
    'A JSON array with one object per row, one per line; values are encoded as by the `jsonl` output. The closing',
    '`]` is written when the run finishes, when the part file `.<name>.fustor-part` replaces the target; a resumed',
    'run continues the array after the last committed element.',
  ].join('\n'),
  categories: ['file'],
  config,
  examples: [
    {
      title: 'CSV to a JSON array',
      summary: 'Decimals written as strings for JavaScript readers.',
      yaml: `input:
  type: csv
  config:
    path: data/users.csv
output:
  type: json
  config:
    path: out/users.json
    decimals_as_strings: true
`,
    },
  ],
  create: (cfg, ctx) => new FileOutputWriter('json', cfg.path, { json: jsonEncoderOptionsOf(cfg) }, ctx),
  encoder: (cfg) => chunkEncoder('json', { json: jsonEncoderOptionsOf(cfg), target: cfg.path }),
})
