/**
 * `fustor test FILE...`: runs the test cases a pipeline file carries under `tests:`.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from '../core/errors.js'
import { loadPipelineFile } from '../engine/pipeline-loader.js'
import { runPipelineTests } from '../engine/pipeline-tests.js'
import type { Registry } from '../engine/registry.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, writeLine, type CliIo } from './cli-io.js'
import { createRegistry } from './component-registry.js'
import { printConfigErrors } from './lint-command.js'

export const testHelp = `Usage: fustor test [options] FILE...

Runs the test cases of pipeline files. A case gives input rows and the rows
expected at the output; the pipeline's processors run on them in memory (the
input and outputs are not touched). See docs/pipeline-tests.md.

  tests:
    - name: adults only, renamed
      input:
        - { name: Ada, age: 36 }
        - { name: Tim, age: 12 }
      expected:
        - { full_name: Ada, age: 36 }

Options:
  -h, --help   show this help

Examples:
  fustor test pipeline.yaml
  fustor test pipelines/*.yaml

Exit codes: 0 every case passed, 1 a case failed, 2 invalid file or usage.`

export async function testCommand(args: string[], io: CliIo, registry: Registry = createRegistry()): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false } } })
  if (values.help) {
    writeLine(io.stdout, testHelp)
    return EXIT_OK
  }
  if (positionals.length === 0) throw new UsageError('missing the pipeline FILE(s) to test')
  let passed = 0
  let failed = 0
  let hasConfigErrors = false
  for (const file of positionals) {
    const loaded = await loadPipelineFile(resolve(io.cwd, file), registry, { env: io.env, displayName: file })
    if (!loaded.plan) {
      printConfigErrors(io.stderr, loaded.errors)
      hasConfigErrors = true
      continue
    }
    if (loaded.plan.tests.length === 0) {
      writeLine(io.stdout, `${file}: no test cases`)
      continue
    }
    try {
      for (const result of await runPipelineTests(loaded.plan)) {
        if (result.isPassed) {
          passed++
          writeLine(io.stdout, `ok    ${file}: ${result.name}`)
        } else {
          failed++
          writeLine(io.stdout, `FAIL  ${file}: ${result.name}`)
          for (const failure of result.failures) writeLine(io.stdout, `    ${failure}`)
        }
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      printConfigErrors(io.stderr, [loaded.source.place(error)])
      hasConfigErrors = true
    }
  }
  writeLine(io.stdout, `${passed} passed, ${failed} failed`)
  if (hasConfigErrors) return EXIT_USAGE
  return failed > 0 ? EXIT_FAILED : EXIT_OK
}
