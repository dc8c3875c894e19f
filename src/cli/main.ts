/**
 * The `fustor` command: dispatches to one file per command.
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../core/errors.js'
import { didYouMean } from '../core/suggest.js'
import { EXIT_OK, EXIT_USAGE, UsageError, processIo, writeLine, type CliIo } from './cli-io.js'
import { formatError } from './error-report.js'
import { agentCommand, agentHelp } from './agent-command.js'
import { discoverCommand, discoverHelp, previewCommand, previewHelp } from './inspect-commands.js'
import { lintCommand, lintHelp } from './lint-command.js'
import { pluginsCommand, pluginsHelp } from './plugins-command.js'
import { runCommand, runHelp } from './run-command.js'
import { testCommand, testHelp } from './test-command.js'

export const mainHelp = `fustor: move data between files, databases, brokers and APIs

Usage: fustor <command> [options]

Commands:
  run FILE          run a pipeline in the foreground, with progress
  lint FILE...      check pipeline files without running them
  test FILE...      run the test cases in pipeline files
  preview FILE      print the first rows a pipeline would write, without writing
  discover-schema FILE
                    list the tables and columns of a pipeline's database
  plugins list      list inputs, processors and outputs
  plugins show TYPE show a component's settings, examples and JSON Schema
  agent start       run the realtime pipes of agent-config.yaml (agent check: check it)
  help [COMMAND]    show help for a command

Options:
  -h, --help        show help
  -v, --version     print the version

Examples:
  fustor run examples/demo.yaml
  fustor run --resume nightly-copy.yaml
  fustor lint pipelines/*.yaml
  fustor plugins show csv

Exit codes: 0 ok, 1 run or test failed, 2 invalid file or usage,
130 interrupted (the run can be continued with --resume).
Environment: FUSTOR_HOME (default ~/.fustor) holds checkpoints, dead-letter files
and the schema cache.
Docs: docs/pipelines.md, docs/expressions.md, docs/cli.md, docs/agent.md`

type Command = (args: string[], io: CliIo) => Promise<number>

const COMMANDS: Record<string, { run: Command; help: string }> = {
  run: { run: runCommand, help: runHelp },
  lint: { run: lintCommand, help: lintHelp },
  test: { run: testCommand, help: testHelp },
  plugins: { run: pluginsCommand, help: pluginsHelp },
  preview: { run: previewCommand, help: previewHelp },
  'discover-schema': { run: discoverCommand, help: discoverHelp },
  agent: { run: agentCommand, help: agentHelp },
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '-h' || name === '--help') {
    writeLine(name === undefined ? io.stderr : io.stdout, mainHelp)
    return name === undefined ? EXIT_USAGE : EXIT_OK
  }
  if (name === '-v' || name === '--version') {
    writeLine(io.stdout, version())
    return EXIT_OK
  }
  if (name === 'help') {
    const topic = args[0] === undefined ? undefined : COMMANDS[args[0]]
    if (args[0] !== undefined && !topic) return usageError(io, `unknown command "${args[0]}"`, mainHelp)
    writeLine(io.stdout, topic ? topic.help : mainHelp)
    return EXIT_OK
  }
  const command = COMMANDS[name]
  if (!command) {
    return usageError(io, `unknown command "${name}"${didYouMean(name, [...Object.keys(COMMANDS), 'help'])}`, mainHelp)
  }
  try {
    return await command.run(args, io)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      return usageError(io, (error as Error).message, command.help)
    }
    if (error instanceof ConfigError) {
      writeLine(io.stderr, `error: ${formatError(error)}`)
      return EXIT_USAGE
    }
    throw error
  }
}

function usageError(io: CliIo, message: string, help: string): number {
  writeLine(io.stderr, `error: ${message}\n`)
  writeLine(io.stderr, help.split('\n\n').slice(0, 1).join('\n'))
  writeLine(io.stderr, `\nRun with --help for more.`)
  return EXIT_USAGE
}
