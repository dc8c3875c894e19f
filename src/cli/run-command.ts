/**
 * `fustor run FILE`: runs one pipeline in the foreground, with progress, like a compiler runs a file.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { OutputDefinition } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import { CheckpointStore, type Checkpoint } from '../engine/checkpoint-store.js'
import { parseConfig } from '../engine/config-schema.js'
import { redactor } from '../engine/dead-letter.js'
import { loadPipelineFile, type ComponentPlan, type PipelinePlan } from '../engine/pipeline-loader.js'
import { PipelineRun, newRunId, type RunResult } from '../engine/pipeline-run.js'
import type { Registry } from '../engine/registry.js'
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError, fustorHome, writeLine, type CliIo } from './cli-io.js'
import { createRegistry } from './component-registry.js'
import { LOG_LEVELS, consoleLogger, type LogLevel } from './console-logger.js'
import { formatError } from './error-report.js'
import { ProgressReporter, formatBytes, formatCount, type ProgressMode } from './progress-reporter.js'
import { printConfigErrors } from './lint-command.js'

export const runHelp = `Usage: fustor run [options] FILE

Runs the pipeline in FILE in the foreground: reads its input, applies its
processors and writes its outputs. Progress and the final figures go to stderr,
so that a pipeline writing to stdout can be piped.

A run checkpoints its position every settings.checkpoint_interval, after the
outputs made everything before it durable. Ctrl-C (SIGINT) or SIGTERM stops
reading, writes what was read, saves a checkpoint and exits with 130; a second
Ctrl-C exits at once. \`--resume\` continues from the checkpoint, without
losing or repeating a row in file outputs.

Options:
  --resume              continue the interrupted run of FILE from its checkpoint
      --full-refresh    incremental inputs read everything again, not only the
                        rows above where the last finished run of FILE ended
  -q, --quiet           print nothing but errors
      --progress MODE   auto (default: a live line on a terminal, a line every
                        10s otherwise), tty, plain or none
      --log-level LEVEL error, warn (default), info or debug
      --home DIR        state directory (default: $FUSTOR_HOME, else ~/.fustor)
  -h, --help            show this help

Examples:
  fustor run examples/demo.yaml
  fustor run --resume nightly-copy.yaml
  fustor run --full-refresh incremental-orders.yaml
  DB_PASSWORD=secret fustor run copy.yaml      # copy.yaml says \${DB_PASSWORD}
  fustor run --progress plain big-copy.yaml > run.log 2>&1

Exit codes: 0 completed, 1 failed, 2 invalid file or usage, 130 interrupted
(resumable with --resume).`

export async function runCommand(args: string[], io: CliIo, registry: Registry = createRegistry()): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      resume: { type: 'boolean', default: false },
      'full-refresh': { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      progress: { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'warn' },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    writeLine(io.stdout, runHelp)
    return EXIT_OK
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the pipeline FILE to run' : `run takes one FILE, got ${positionals.length}`)
  const progressMode = parseProgressMode(values.progress!, io, values.quiet!)
  const logLevel = values['log-level'] as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`unknown --log-level "${logLevel}" (use ${LOG_LEVELS.join(', ')})`)
  const file = resolve(io.cwd, positionals[0])
  const shownFile = positionals[0]
  const home = fustorHome(io, values.home)

  const loaded = await loadPipelineFile(file, registry, { env: io.env, displayName: shownFile })
  if (!loaded.plan) {
    printConfigErrors(io.stderr, loaded.errors)
    return EXIT_USAGE
  }
  const plan = loaded.plan
  const checkpoints = new CheckpointStore(home)
  let checkpoint: Checkpoint | undefined
  try {
    checkpoint = await checkpoints.load(file)
  } catch (error) {
    writeLine(io.stderr, formatError(error))
    return EXIT_USAGE
  }
  if (values.resume) {
    if (!checkpoint) {
      writeLine(io.stderr, `nothing to resume: ${shownFile} has no unfinished run (checkpoints are in ${checkpoints.directory})`)
      return EXIT_USAGE
    }
    if (checkpoint.config_hash !== plan.configHash) {
      writeLine(io.stderr, `warning: ${shownFile} changed since the interrupted run started; resuming with the file as it is now`)
    }
    if (!values.quiet) {
      writeLine(io.stderr, `resuming the run started ${checkpoint.started_at} (${formatCount(checkpoint.counters.read)} rows read, ${formatCount(checkpoint.counters.written)} written before)`)
    }
  } else if (checkpoint && !values.quiet) {
    writeLine(
      io.stderr,
      `note: an unfinished run of ${shownFile} (started ${checkpoint.started_at}, ${formatCount(checkpoint.counters.read)} rows read) has a checkpoint; starting fresh. Use \`fustor run --resume ${shownFile}\` to continue it instead.`,
    )
  }

  const resume = values.resume ? checkpoint : undefined
  const runId = resume?.run_id ?? newRunId()
  const deadLetterFile = join(home, 'dead_letter', `${plan.name}-${runId}.jsonl`)
  // The logger clears the progress line before it writes; the reporter needs the run: a holder ties them.
  const holder: { reporter?: ProgressReporter } = {}
  const logger = consoleLogger(io.stderr, logLevel, () => holder.reporter?.clear())
  const run = new PipelineRun(plan, {
    home,
    logger,
    checkpoints,
    resume,
    runId,
    fullRefresh: values['full-refresh'],
    defaultDeadLetter: defaultDeadLetter(registry, deadLetterFile),
    // Beside this module, bundled or not (scripts/build.mjs keeps both entries in one folder).
    workerModule: new URL('./split-worker-main.js', import.meta.url).href,
  })
  const reporter = new ProgressReporter(io.stderr, progressMode, () => run.progress())
  holder.reporter = reporter

  let interrupts = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++
    if (interrupts > 1) {
      reporter.stop()
      writeLine(io.stderr, `${signal} again: exiting at once; the last checkpoint stays`)
      process.exit(EXIT_INTERRUPTED)
    }
    reporter.clear()
    if (!values.quiet) writeLine(io.stderr, `${signal}: stopping; writing what was read and saving a checkpoint (${signal} again exits at once)`)
    run.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let result: RunResult
  try {
    reporter.start()
    result = await run.run()
  } finally {
    reporter.stop()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return report(result, plan, io, shownFile, values.quiet!, plan.deadLetter ? undefined : deadLetterFile, loaded.source)
}

function parseProgressMode(mode: string, io: CliIo, isQuiet: boolean): ProgressMode {
  if (isQuiet) return 'none'
  switch (mode) {
    case 'auto':
      return io.stderr.isTTY ? 'tty' : 'plain'
    case 'tty':
    case 'plain':
    case 'none':
      return mode
    default:
      throw new UsageError(`unknown --progress mode "${mode}" (use auto, tty, plain or none)`)
  }
}

function defaultDeadLetter(registry: Registry, path: string): ComponentPlan<OutputDefinition> | undefined {
  let definition: OutputDefinition
  try {
    definition = registry.output('jsonl')
  } catch {
    // A registry without the jsonl output (embedding, tests): failed records then fail the run.
    return undefined
  }
  return { path: 'settings.dead_letter', definition, config: parseConfig(definition.config, { path }), label: undefined }
}

function report(
  result: RunResult,
  plan: PipelinePlan,
  io: CliIo,
  shownFile: string,
  isQuiet: boolean,
  defaultDeadLetterFile: string | undefined,
  source: Parameters<typeof formatError>[1],
): number {
  const redact = redactor(plan.secrets)
  const { counters } = result
  const seconds = result.durationMs / 1000
  const rate = seconds > 0 ? Math.round(counters.read / seconds) : counters.read
  const bytes = counters.bytes > 0 ? ` (${formatBytes(counters.bytes)})` : ''
  const figures = `read ${formatCount(counters.read)} rows${bytes}, wrote ${formatCount(counters.written)}, failed ${formatCount(counters.failed)}; ${formatCount(rate)} rows/s`
  const deadLetter = result.deadLetter
    ? `\nfailed records: ${formatCount(result.deadLetter.records)} in ${defaultDeadLetterFile ?? result.deadLetter.component}`
    : ''
  const resumeHint = result.isResumable ? `\ncontinue with: fustor run --resume ${shownFile}` : ''
  switch (result.status) {
    case 'completed':
      if (!isQuiet) writeLine(io.stderr, `done in ${seconds.toFixed(2)}s: ${figures}${deadLetter}`)
      return EXIT_OK
    case 'stopped':
      if (!isQuiet) writeLine(io.stderr, `stopped after ${seconds.toFixed(2)}s: ${figures}${deadLetter}${resumeHint}`)
      return EXIT_INTERRUPTED
    case 'failed':
      writeLine(io.stderr, `error: ${formatError(result.error, source, redact)}`)
      // A run that failed before it read anything has no figures worth showing.
      if (!isQuiet && (counters.read > 0 || result.isResumable)) writeLine(io.stderr, `failed after ${seconds.toFixed(2)}s: ${figures}${deadLetter}${resumeHint}`)
      return result.error instanceof ConfigError ? EXIT_USAGE : EXIT_FAILED
  }
}
