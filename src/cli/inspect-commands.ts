/**
 * `fustor discover-schema` and `fustor preview`: look at a source before running a pipeline on it.
 * Both are thin: the work is the library's (a component's `discover`, engine/preview.ts), which the
 * server's API calls too.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import picomatch from 'picomatch'
import type { DiscoveredSchema, InputDefinition, OutputDefinition } from '../core/component.js'
import type { Row, Schema } from '../core/schema.js'
import { formatType } from '../core/schema.js'
import { formatValue } from '../core/values.js'
import { ConfigError } from '../core/errors.js'
import { redactor } from '../engine/dead-letter.js'
import { loadPipelineFile, type ComponentPlan, type PipelinePlan } from '../engine/pipeline-loader.js'
import { inComponent } from '../engine/pipeline-run.js'
import { previewPipeline } from '../engine/preview.js'
import type { Registry } from '../engine/registry.js'
import { SchemaCache } from '../engine/schema-cache.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, fustorHome, writeLine, type CliIo } from './cli-io.js'
import { createRegistry } from './component-registry.js'
import { consoleLogger } from './console-logger.js'
import { formatError } from './error-report.js'
import { printConfigErrors } from './lint-command.js'

export const discoverHelp = `Usage: fustor discover-schema [options] FILE
       fustor discover-schema [options] --type TYPE --url URL

Connects to the database of a pipeline's input (or --component output) and
lists its tables with their columns: each column's Fustor type beside the
database's own. The result is cached under $FUSTOR_HOME/schema_cache/, where
the console and API read it; --cached prints the cache without connecting.

Options:
      --component PATH  input (default), output, or settings.dead_letter
      --type TYPE       a database input type (postgresql, mysql, sqlite), with --url
      --url URL         the connection as a URL, instead of a FILE
      --tables PATTERN  only tables matching it (glob, e.g. 'public.order*');
                        repeat it, or separate patterns with commas
      --cached          read the cache written by the last discovery
      --format FORMAT   text (default) or json
      --home DIR        state directory (default: $FUSTOR_HOME, else ~/.fustor)
  -h, --help            show this help

Examples:
  fustor discover-schema copy-orders.yaml
  fustor discover-schema --component output --tables 'stage_*' copy-orders.yaml
  fustor discover-schema --type postgresql --url postgres://me@127.0.0.1/shop
  fustor discover-schema --format json --cached copy-orders.yaml | jq '.tables[].name'

Exit codes: 0 ok, 1 the database could not be read, 2 invalid file or usage.`

export const previewHelp = `Usage: fustor preview [options] FILE

Reads the first rows of a pipeline's input, runs them through its processors
and prints what would reach each output. Nothing is written and no
checkpoint is kept. Stops after --rows rows per output, or after reading
--max-read input rows (a filter may pass few).

Options:
  -n, --rows N          rows to show per output (default 10)
      --max-read N      input rows to read at most (default 100 x --rows, at least 10000)
      --format FORMAT   table (default), json (one object) or jsonl (a row per line)
      --home DIR        state directory (default: $FUSTOR_HOME, else ~/.fustor)
  -h, --help            show this help

Examples:
  fustor preview copy-orders.yaml
  fustor preview -n 50 --format jsonl examples/demo.yaml | jq .email

Exit codes: 0 ok, 1 the input or a processor failed, 2 invalid file or usage.`

export async function discoverCommand(args: string[], io: CliIo, registry: Registry = createRegistry()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      component: { type: 'string', default: 'input' },
      type: { type: 'string' },
      url: { type: 'string' },
      tables: { type: 'string', multiple: true, default: [] },
      cached: { type: 'boolean', default: false },
      format: { type: 'string', default: 'text' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    writeLine(io.stdout, discoverHelp)
    return EXIT_OK
  }
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`unknown --format "${values.format}" (use text or json)`)
  const tables = values.tables!.flatMap((pattern) => pattern.split(',')).map((pattern) => pattern.trim()).filter(Boolean)
  let definition: InputDefinition | OutputDefinition
  let config: unknown
  let redact = (text: string): string => text
  let source: Parameters<typeof formatError>[1]
  // Config errors of the component point into the file (`input.config.url`); with --url, at the flag.
  let componentPath = 'input'
  if (values.type !== undefined || values.url !== undefined) {
    if (positionals.length > 0) throw new UsageError('give either a FILE or --type with --url, not both')
    if (values.type === undefined || values.url === undefined) throw new UsageError('--type and --url go together')
    const found = registry.find(values.type).find((d): d is InputDefinition => d.kind === 'input')
    if (found === undefined || found.discover === undefined) {
      const types = registry.all().filter((d) => d.kind === 'input' && d.discover !== undefined).map((d) => d.type)
      throw new UsageError(`--type ${values.type} cannot be discovered (use ${types.join(', ')})`)
    }
    definition = found
    config = { url: values.url }
    const url = values.url
    redact = (text) => text.split(url).join('***')
  } else {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the pipeline FILE (or --type and --url)' : `discover-schema takes one FILE, got ${positionals.length}`)
    const loaded = await loadPipelineFile(resolve(io.cwd, positionals[0]), registry, { env: io.env, displayName: positionals[0] })
    if (!loaded.plan) {
      printConfigErrors(io.stderr, loaded.errors)
      return EXIT_USAGE
    }
    const component = componentAt(loaded.plan, values.component!)
    if (component.definition.discover === undefined) {
      writeLine(io.stderr, `${component.path} (${component.definition.type}) has no tables to discover`)
      return EXIT_USAGE
    }
    definition = component.definition
    config = component.config
    componentPath = component.path
    redact = redactor(loaded.plan.secrets)
    source = loaded.source
  }
  const cache = new SchemaCache(fustorHome(io, values.home))
  let schema: DiscoveredSchema
  try {
    if (values.cached) {
      const location = definition.location?.(config as never) ?? definition.type
      const cached = await cache.load(definition.type, location)
      if (cached === undefined) {
        writeLine(io.stderr, `nothing cached for ${definition.type} ${location}: run fustor discover-schema without --cached first`)
        return EXIT_FAILED
      }
      schema = filterTables(cached, tables)
    } else {
      const discover = definition.discover!
      schema = await inComponent(componentPath, () => discover(config as never, { tables }))
      if (tables.length === 0) await cache.save(schema)
    }
  } catch (error) {
    writeLine(io.stderr, `error: ${formatError(error, source, redact)}`)
    return error instanceof ConfigError ? EXIT_USAGE : EXIT_FAILED
  }
  if (values.format === 'json') writeLine(io.stdout, JSON.stringify(schema, null, 2))
  else printDiscovered(io, schema)
  return EXIT_OK
}

function filterTables(schema: DiscoveredSchema, patterns: readonly string[]): DiscoveredSchema {
  if (patterns.length === 0) return schema
  // As live discovery matches (sql/discovery.ts).
  const matches = picomatch([...patterns], { nocase: true })
  return { ...schema, tables: schema.tables.filter((t) => matches(t.name) || matches(t.schema === undefined ? t.name : `${t.schema}.${t.name}`)) }
}

function printDiscovered(io: CliIo, schema: DiscoveredSchema): void {
  writeLine(io.stdout, `${schema.type} ${schema.location}: ${schema.tables.length} table${schema.tables.length === 1 ? '' : 's'} (discovered ${schema.discovered_at})`)
  for (const table of schema.tables) {
    writeLine(io.stdout)
    const name = table.schema === undefined ? table.name : `${table.schema}.${table.name}`
    writeLine(io.stdout, `${name}${table.primary_key.length > 0 ? `  (primary key: ${table.primary_key.join(', ')})` : ''}`)
    const rows = table.columns.map((c) => [c.name, c.type, c.native_type ?? '', c.nullable ? '' : 'not null'])
    for (const line of alignedLines([['column', 'type', 'database type', ''], ...rows])) writeLine(io.stdout, `  ${line}`.trimEnd())
  }
}

function componentAt(plan: PipelinePlan, path: string): ComponentPlan<InputDefinition> | ComponentPlan<OutputDefinition> {
  if (path === 'input' || path === plan.input.path) return plan.input
  if ((path === 'output' || path === plan.output?.path) && plan.output !== undefined) return plan.output
  if (path === 'settings.dead_letter' && plan.deadLetter !== undefined) return plan.deadLetter
  throw new UsageError(`--component ${path} is not a component of the file (use input, output or settings.dead_letter)`)
}

// ---------------------------------------------------------------------------------------- preview

export async function previewCommand(args: string[], io: CliIo, registry: Registry = createRegistry()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rows: { type: 'string', short: 'n', default: '10' },
      'max-read': { type: 'string' },
      format: { type: 'string', default: 'table' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    writeLine(io.stdout, previewHelp)
    return EXIT_OK
  }
  const limit = positiveInteger(values.rows!, '--rows')
  const maxRowsRead = values['max-read'] === undefined ? undefined : positiveInteger(values['max-read'], '--max-read')
  if (!['table', 'json', 'jsonl'].includes(values.format!)) throw new UsageError(`unknown --format "${values.format}" (use table, json or jsonl)`)
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the pipeline FILE to preview' : `preview takes one FILE, got ${positionals.length}`)
  const loaded = await loadPipelineFile(resolve(io.cwd, positionals[0]), registry, { env: io.env, displayName: positionals[0] })
  if (!loaded.plan) {
    printConfigErrors(io.stderr, loaded.errors)
    return EXIT_USAGE
  }
  const plan = loaded.plan
  const redact = redactor(plan.secrets)
  let result: Awaited<ReturnType<typeof previewPipeline>>
  try {
    result = await previewPipeline(plan, { home: fustorHome(io, values.home), logger: consoleLogger(io.stderr, 'warn'), limit, maxRowsRead })
  } catch (error) {
    writeLine(io.stderr, `error: ${formatError(error, loaded.source, redact)}`)
    return error instanceof ConfigError ? EXIT_USAGE : EXIT_FAILED
  }
  if (values.format === 'json') {
    const outputs = result.outputs.map((output) => ({ name: output.name, columns: columnsOf(output.schema), rows: output.rows.map((row) => objectOf(output.schema, row)) }))
    writeLine(io.stdout, JSON.stringify({ rows_read: result.rowsRead, outputs, rejected: result.rejected }, null, 2))
    return EXIT_OK
  }
  const isSingle = result.outputs.length === 1
  for (const output of result.outputs) {
    if (values.format === 'jsonl') {
      for (const row of output.rows) writeLine(io.stdout, JSON.stringify(isSingle ? objectOf(output.schema, row) : { output: output.name, ...objectOf(output.schema, row) }))
      continue
    }
    if (!isSingle) writeLine(io.stdout, `${output.name}:`)
    if (output.schema === undefined) {
      writeLine(io.stdout, '(no rows)')
      continue
    }
    const header = output.schema.columns.map((c) => `${c.name} ${formatType(c)}`)
    for (const line of alignedLines([header, ...output.rows.map((row) => row.map(cellText))])) writeLine(io.stdout, line.trimEnd())
    if (!isSingle) writeLine(io.stdout)
  }
  const shown = result.outputs.reduce((sum, output) => sum + output.rows.length, 0)
  writeLine(io.stderr, `${shown} row${shown === 1 ? '' : 's'} shown, ${result.rowsRead} read${result.rejected.length > 0 ? `, ${result.rejected.length} rejected` : ''}`)
  for (const rejected of result.rejected.slice(0, 10)) writeLine(io.stderr, redact(`  rejected by ${rejected.component}${rejected.location ? ` at ${rejected.location}` : ''}: ${rejected.error}`))
  return EXIT_OK
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive whole number, not "${text}"`)
  return n
}

function columnsOf(schema: Schema | undefined): { name: string; type: string }[] {
  return (schema?.columns ?? []).map((c) => ({ name: c.name, type: formatType(c) }))
}

function objectOf(schema: Schema | undefined, row: Row): Record<string, unknown> {
  const object: Record<string, unknown> = {}
  schema?.columns.forEach((column, i) => {
    const value = row[i] ?? null
    object[column.name] = value === null ? null : typeof value === 'bigint' || value instanceof Uint8Array ? formatValue(value) : value
  })
  return object
}

const MAX_CELL = 40

function cellText(value: Row[number]): string {
  if (value === null || value === undefined) return 'NULL'
  const text = (typeof value === 'object' && !(value instanceof Uint8Array) ? JSON.stringify(value) : formatValue(value)).replace(/[\r\n\t]/g, ' ')
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text
}

/** Rows of cells as lines with every column padded to its widest cell. */
function alignedLines(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)))
  return rows.map((row) => row.map((cell, i) => cell + ' '.repeat(widths[i] - [...cell].length)).join('  '))
}
