/**
 * The `json` input: files holding one JSON array of objects, read element by element (never whole).
 */
import Type from 'typebox'
import { defineInput } from '../../core/component.js'
import { encodingConfig, readSchemaConfig, rowFormatOf } from '../../formats/format-config.js'
import { FileInputReader } from './file-input-reader.js'

const config = Type.Object({
  path: Type.String({
    description: 'A file, or a glob matching several (read in sorted order). Files ending in `.gz` are decompressed.',
    examples: ['data/users.json', 'exports/*.json.gz'],
  }),
  ...encodingConfig,
  ...readSchemaConfig,
})

export const jsonInput = defineInput({
  type: 'json',
  status: 'stable',
  summary: 'Reads JSON files holding an array of objects (streamed, never loaded whole) into typed rows',
  description: [
    'Each file holds one JSON array of objects (`[{...}, {...}]`), or a single object. The array is streamed:',
    'a scanner finds where each element ends and only that element is parsed, so a file of any size is read',
    'in bounded memory.',
    '',
    'Columns, types and exact numbers work as for the `jsonl` input. An element that is not valid JSON, not an',
    'object, or holds a value that does not convert is rejected with its line number; a missing comma or bracket',
    'is reported the same way and reading goes on.',
    '',
    'Position: `{"file", "offset", "line"}` after the last element of each batch; a resumed run continues exactly there.',
  ].join('\n'),
  categories: ['file'],
  config,
  staticSchema: (cfg) => rowFormatOf('json', cfg).options.declared,
  examples: [
    {
      title: 'JSON array to JSON Lines',
      yaml: `input:
  type: json
  config:
    path: data/users.json
output:
  type: jsonl
  config:
    path: out/users-from-json.jsonl
`,
    },
  ],
  create: (cfg, ctx) => new FileInputReader(rowFormatOf('json', cfg), cfg.path, cfg.infer_sample_rows, ctx),
})
