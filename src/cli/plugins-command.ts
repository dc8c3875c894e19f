/**
 * `fustor plugins list` and `fustor plugins show TYPE`: the component catalogue, from the same
 * definitions the engine validates with.
 */
import { parseArgs } from 'node:util'
import type { ComponentDefinition } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import { didYouMean } from '../core/suggest.js'
import { publishedSchema } from '../engine/config-schema.js'
import type { Registry } from '../engine/registry.js'
import { EXIT_OK, EXIT_USAGE, UsageError, writeLine, type CliIo } from './cli-io.js'
import { createRegistry } from './component-registry.js'

export const pluginsHelp = `Usage: fustor plugins list [--format text|json]
       fustor plugins show TYPE [--kind input|processor|output] [--format text|json]

Lists the components (inputs, processors, outputs) and shows one: its
description, every config field with type, default and description, its
examples, and its config's JSON Schema.

Examples:
  fustor plugins list
  fustor plugins show csv --kind output
  fustor plugins show filter --format json | jq .config_schema`

type Kind = 'input' | 'processor' | 'output'

function kindOf(definition: ComponentDefinition): Kind {
  return definition.kind === 'router' ? 'processor' : definition.kind
}

export function describePlugin(definition: ComponentDefinition): Record<string, unknown> {
  return {
    type: definition.type,
    kind: kindOf(definition),
    status: definition.status,
    summary: definition.summary,
    description: definition.description ?? '',
    categories: definition.categories ?? [],
    config_schema: publishedSchema(definition.config),
    examples: definition.examples,
  }
}

export async function pluginsCommand(args: string[], io: CliIo, registry: Registry = createRegistry()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      kind: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help || positionals.length === 0) {
    writeLine(values.help ? io.stdout : io.stderr, pluginsHelp)
    return values.help ? EXIT_OK : EXIT_USAGE
  }
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`unknown --format "${values.format}" (use text or json)`)
  const kind = values.kind as Kind | undefined
  if (kind !== undefined && !['input', 'processor', 'output'].includes(kind)) throw new UsageError(`unknown --kind "${kind}" (use input, processor or output)`)
  const [action, type, ...rest] = positionals
  if (action === 'list') {
    if (type !== undefined) throw new UsageError('plugins list takes no arguments')
    const definitions = registry.all().filter((definition) => kind === undefined || kindOf(definition) === kind)
    if (values.format === 'json') {
      writeLine(io.stdout, JSON.stringify(definitions.map((d) => ({ type: d.type, kind: kindOf(d), status: d.status, summary: d.summary })), null, 2))
      return EXIT_OK
    }
    for (const group of ['input', 'processor', 'output'] as const) {
      const members = definitions.filter((definition) => kindOf(definition) === group)
      if (members.length === 0) continue
      writeLine(io.stdout, `${group}s:`)
      const width = Math.max(...members.map((definition) => definition.type.length))
      for (const definition of members) {
        const status = definition.status === 'stable' ? '' : ` [${definition.status}]`
        writeLine(io.stdout, `  ${definition.type.padEnd(width)}  ${definition.summary}${status}`)
      }
    }
    writeLine(io.stdout, '\nfustor plugins show TYPE prints a component\'s settings, examples and JSON Schema.')
    return EXIT_OK
  }
  if (action !== 'show') throw new UsageError(`unknown plugins action "${action}" (use list or show)`)
  if (type === undefined || rest.length > 0) throw new UsageError('plugins show takes one TYPE')
  const matches = registry.find(type).filter((definition) => kind === undefined || kindOf(definition) === kind)
  if (matches.length === 0) {
    const error = new ConfigError('component.not_found', `unknown component type "${type}"${didYouMean(type, registry.typeNames())}`, {
      hint: 'see `fustor plugins list`',
    })
    writeLine(io.stderr, error.format())
    return EXIT_USAGE
  }
  if (values.format === 'json') {
    const described = matches.map(describePlugin)
    writeLine(io.stdout, JSON.stringify(described.length === 1 ? described[0] : described, null, 2))
    return EXIT_OK
  }
  matches.forEach((definition, index) => {
    if (index > 0) writeLine(io.stdout, `\n${'-'.repeat(72)}\n`)
    writeLine(io.stdout, renderPlugin(definition))
  })
  return EXIT_OK
}

interface FieldRow {
  readonly name: string
  readonly type: string
  readonly detail: string
  readonly description: string
}

/** Flattens a config schema into rows of `name  type  required/default  description`. */
export function configFields(schema: Record<string, unknown>, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = []
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
  const required = new Set((schema.required as string[] | undefined) ?? [])
  for (const [name, field] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${name}` : name
    const detail = field.default !== undefined ? `default ${JSON.stringify(field.default)}` : required.has(name) ? 'required' : 'optional'
    const secret = field['x-secret'] === true ? ', secret' : ''
    rows.push({ name: path, type: typeName(field), detail: `${detail}${secret}`, description: String(field.description ?? '') })
    if (field.type === 'object' && field.properties) rows.push(...configFields(field, path))
    const items = field.items as Record<string, unknown> | undefined
    if (field.type === 'array' && items) {
      // A list of mappings, or of one of several mapping shapes: list the fields of each shape once.
      const shapes = Array.isArray(items.anyOf) ? (items.anyOf as Record<string, unknown>[]) : [items]
      const seen = new Set(rows.map((row) => row.name))
      for (const shape of shapes) {
        if (shape.type !== 'object' || !shape.properties) continue
        for (const row of configFields(shape, `${path}[]`)) {
          if (!seen.has(row.name)) {
            seen.add(row.name)
            rows.push(row)
          }
        }
      }
    }
  }
  return rows
}

function typeName(field: Record<string, unknown>): string {
  if (Array.isArray(field.anyOf)) {
    const branches = field.anyOf as Record<string, unknown>[]
    if (branches.every((branch) => branch.const !== undefined)) return branches.map((branch) => JSON.stringify(branch.const)).join('|')
    return branches.map(typeName).join('|')
  }
  if (Array.isArray(field.enum)) return field.enum.map((value) => JSON.stringify(value)).join('|')
  if (field.type === 'array') return `list of ${typeName((field.items ?? {}) as Record<string, unknown>)}`
  if (field.type === 'object') return field.properties ? 'mapping' : 'mapping of any'
  return String(field.type ?? 'any')
}

export function renderPlugin(definition: ComponentDefinition): string {
  const schema = publishedSchema(definition.config)
  const lines = [`${definition.type} (${kindOf(definition)}, ${definition.status}): ${definition.summary}`]
  if (definition.description) lines.push('', definition.description.trim())
  const fields = configFields(schema)
  lines.push('', 'Config:')
  if (fields.length === 0) lines.push('  (no settings)')
  const nameWidth = Math.max(4, ...fields.map((field) => field.name.length))
  const typeWidth = Math.min(30, Math.max(4, ...fields.map((field) => field.type.length)))
  for (const field of fields) {
    lines.push(`  ${field.name.padEnd(nameWidth)}  ${field.type.padEnd(typeWidth)}  ${field.detail}`)
    if (field.description) lines.push(`  ${' '.repeat(nameWidth)}  ${field.description}`)
  }
  for (const example of definition.examples) {
    lines.push('', `Example: ${example.title}`)
    if (example.summary) lines.push(example.summary)
    lines.push(...example.yaml.trimEnd().split('\n').map((line) => `  ${line}`))
  }
  lines.push('', 'JSON Schema:', JSON.stringify(schema, null, 2))
  return lines.join('\n')
}
