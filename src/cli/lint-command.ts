/**
 * `fustor lint FILE...`: validates pipeline files without running them, and reports every error.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ConfigError } from '../core/errors.js'
import { loadPipelineFile } from '../engine/pipeline-loader.js'
import type { Registry } from '../engine/registry.js'
import { EXIT_OK, EXIT_USAGE, UsageError, writeLine, type CliIo } from './cli-io.js'
import { createRegistry } from './component-registry.js'
import { errorRecord } from './error-report.js'

export const lintHelp = `Usage: fustor lint [options] FILE...

Checks pipeline files without running them: YAML syntax, \${VAR} substitutions,
the structure of the file and of every component's config, component types,
expressions, and the columns processors use when the input's columns are known
from its config. Prints every error as file:line:col: message (at config.path).

Options:
      --format FORMAT   text (default) or json (an array of errors with file,
                        line, col, path, code, message and hint)
  -h, --help            show this help

Examples:
  fustor lint pipeline.yaml
  fustor lint pipelines/*.yaml
  fustor lint --format json pipeline.yaml | jq '.[].message'

Exit codes: 0 no errors, 2 errors found (or a usage error).`

export async function lintCommand(args: string[], io: CliIo, registry: Registry = createRegistry()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h', default: false } },
  })
  if (values.help) {
    writeLine(io.stdout, lintHelp)
    return EXIT_OK
  }
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`unknown --format "${values.format}" (use text or json)`)
  if (positionals.length === 0) throw new UsageError('missing the pipeline FILE(s) to check')
  const errors: ConfigError[] = []
  for (const file of positionals) {
    const result = await loadPipelineFile(resolve(io.cwd, file), registry, { env: io.env, displayName: file })
    errors.push(...result.errors)
    if (values.format === 'text' && result.errors.length === 0) writeLine(io.stdout, `${file}: ok`)
  }
  if (values.format === 'json') writeLine(io.stdout, JSON.stringify(errors.map(errorRecord), null, 2))
  else printConfigErrors(io.stdout, errors)
  return errors.length > 0 ? EXIT_USAGE : EXIT_OK
}

export function printConfigErrors(stream: NodeJS.WritableStream, errors: readonly ConfigError[]): void {
  for (const error of errors) writeLine(stream, error.format())
  if (errors.length > 1) writeLine(stream, `${errors.length} errors`)
}
