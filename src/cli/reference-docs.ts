/**
 * docs/reference/*.md, generated from the component definitions: the same schemas the engine
 * validates with, so the reference cannot drift from the code. `npm run docs` writes the files;
 * a test fails when the committed files differ from what the definitions give.
 */
import type { ComponentDefinition } from '../core/component.js'
import { publishedSchema } from '../engine/config-schema.js'
import type { Registry } from '../engine/registry.js'
import { configFields } from './plugins-command.js'

const TITLES = { input: 'Inputs', processor: 'Processors', output: 'Outputs' } as const
type Group = keyof typeof TITLES

function groupOf(definition: ComponentDefinition): Group {
  return definition.kind === 'router' ? 'processor' : definition.kind
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

function renderComponent(definition: ComponentDefinition): string {
  const lines = [`## ${definition.type}`, '', `${definition.summary}. Status: ${definition.status}.`]
  if (definition.description) lines.push('', definition.description.trim())
  const fields = configFields(publishedSchema(definition.config))
  lines.push('', '| field | type | default | description |', '|---|---|---|---|')
  if (fields.length === 0) lines.push('| (none) | | | |')
  for (const field of fields) {
    lines.push(`| \`${field.name}\` | ${escapeCell(field.type)} | ${escapeCell(field.detail)} | ${escapeCell(field.description)} |`)
  }
  for (const example of definition.examples) {
    lines.push('', `### Example: ${example.title}`, '')
    if (example.summary) lines.push(example.summary, '')
    lines.push('```yaml', example.yaml.trimEnd(), '```')
  }
  return lines.join('\n')
}

/** File name (relative to docs/reference) -> content. */
export function referenceDocs(registry: Registry): Map<string, string> {
  const files = new Map<string, string>()
  const index = ['# Component reference', '', 'Generated from the component definitions by `npm run docs`; do not edit by hand.', '']
  for (const group of Object.keys(TITLES) as Group[]) {
    const members = registry.all().filter((definition) => groupOf(definition) === group)
    const file = `${group}s.md`
    index.push(`## [${TITLES[group]}](${file})`, '', '| type | summary |', '|---|---|')
    for (const definition of members) index.push(`| [\`${definition.type}\`](${file}#${definition.type}) | ${escapeCell(definition.summary)} |`)
    index.push('')
    const body = [
      `# ${TITLES[group]}`,
      '',
      'Generated from the component definitions by `npm run docs`; do not edit by hand.',
      'Every example here is linted, and run where it needs no external service, by the test suite.',
      '',
      ...members.map(renderComponent).flatMap((section) => [section, '']),
    ]
    files.set(file, `${body.join('\n').trimEnd()}\n`)
  }
  files.set('README.md', `${index.join('\n').trimEnd()}\n`)
  return files
}
