import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { dropOutput } from '../connectors/drop/drop-output.js'
import { generateInput } from '../connectors/generate/generate-input.js'
import { defineOutput, type ComponentDefinition } from '../core/component.js'
import { loadPipeline } from '../engine/pipeline-loader.js'
import { Registry } from '../engine/registry.js'
import { processors } from './all-processors.js'

/** Stands in for the jsonl output the examples write to, so that they load without the file connectors. */
const jsonlStandIn = defineOutput({
  type: 'jsonl',
  status: 'experimental',
  summary: 'stand-in for the examples',
  config: Type.Object({ path: Type.String() }),
  examples: [],
  create: () => ({ async open() {}, async write() {}, async close() {} }),
})

const definitions: ComponentDefinition[] = [...processors, generateInput, dropOutput]

type JsonSchema = Record<string, any>

/** Config paths of fields lacking a description, or lacking both a default and examples. */
function undocumentedFields(schema: JsonSchema, path = ''): string[] {
  const found: string[] = []
  for (const branch of schema.anyOf ?? []) found.push(...undocumentedFields(branch, path))
  if (schema.items) found.push(...undocumentedFields(schema.items, `${path}[]`))
  for (const [name, field] of Object.entries<JsonSchema>(schema.properties ?? {})) {
    const at = path ? `${path}.${name}` : name
    const isGroup = field.type === 'object' && field.properties !== undefined
    if (!field.description) found.push(`${at}: no description`)
    else if (!isGroup && field.default === undefined && field.examples === undefined) found.push(`${at}: no default or examples`)
    found.push(...undocumentedFields(field, at))
  }
  return found
}

describe('processor catalogue', () => {
  it('lists every processor once, with unique types', () => {
    expect(processors.map((p) => p.type).sort()).toEqual(['aggregate', 'date_format', 'deduplicate', 'filter', 'json_decode', 'json_encode', 'mapping', 'regex_extract', 'split', 'transform'])
  })

  it('notices undocumented fields', () => {
    const schema = Type.Object({ a: Type.String(), b: Type.Array(Type.Object({ c: Type.Integer({ description: 'c' }) }), { description: 'b', default: [] }) })
    expect(undocumentedFields(schema as unknown as JsonSchema)).toEqual(['a: no description', 'b[].c: no default or examples'])
  })

  it.each(definitions.map((d) => [d.type, d] as const))('documents every config field of %s', (_type, definition) => {
    expect(undocumentedFields(definition.config as unknown as JsonSchema)).toEqual([])
    expect(definition.summary).not.toMatch(/\.$/)
    expect(definition.examples.length).toBeGreaterThan(0)
  })

  it.each(definitions.flatMap((d) => d.examples.map((example) => [d.type, example.title, example.yaml] as const)))('%s example "%s" is a valid pipeline', (type, _title, yaml) => {
    const registry = new Registry([generateInput, dropOutput, jsonlStandIn, ...processors])
    const { errors, plan } = loadPipeline(`${type}-example.yaml`, yaml, registry)
    expect(errors.map((error) => error.format())).toEqual([])
    const uses = [plan!.input, ...plan!.processors, plan!.output].map((component) => component?.definition.type)
    expect(uses).toContain(type)
  })
})
