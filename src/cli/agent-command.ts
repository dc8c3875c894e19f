/**
 * `fustor agent start|check`: the realtime agent of agent-config.yaml (src/agent).
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { parseAgentConfig } from '../agent/agent-config.js'
import { Agent, AGENT_STATE_FILE } from '../agent/agent.js'
import { agentSourceInput } from '../agent/shared-source.js'
import { Registry } from '../engine/registry.js'
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError, fustorHome, writeLine, type CliIo } from './cli-io.js'
import { createRegistry } from './component-registry.js'
import { LOG_LEVELS, consoleLogger, type LogLevel } from './console-logger.js'
import { printConfigErrors } from './lint-command.js'

export const agentHelp = `Usage: fustor agent <start|check> [options]

The realtime agent: runs the pipes of agent-config.yaml. A pipe binds a source
(an input: mysql_cdc, generate...), optional processors and a field selection,
and a sender (an output). Pipes of one source share one reader of it, through
an event bus. Runtime state (bus layout, pipe status) is kept in
$FUSTOR_HOME/${AGENT_STATE_FILE}; each pipe resumes from its own checkpoint.

Commands:
  start             run the enabled pipes in the foreground until Ctrl-C
                    (or until every source ends); Ctrl-C saves a checkpoint
  check             check agent-config.yaml without running it

Options:
      --config FILE     the agent config (default: $FUSTOR_HOME/agent-config.yaml)
      --home DIR        state directory (default: $FUSTOR_HOME, else ~/.fustor)
      --log-level LEVEL error, warn, info (default) or debug
  -h, --help            show this help

Example agent-config.yaml:
  sources:
    - id: shop-db
      type: mysql_cdc
      config: { connection: { host: 127.0.0.1, database: shop, username: cdc }, tables: [orders] }
  senders:
    - id: partner-file
      type: jsonl
      config: { path: out/orders.jsonl }
  pipes:
    - id: orders-to-partner
      source_id: shop-db
      sender_id: partner-file
      fields: [__op, id, status, total]
      enabled: true

Examples:
  fustor agent check
  fustor agent start --config ./agent-config.yaml

Exit codes: 0 ok, 1 a pipe failed, 2 invalid config or usage, 130 interrupted.`

export async function agentCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      home: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    writeLine(io.stdout, agentHelp)
    return EXIT_OK
  }
  const action = positionals[0]
  if (action !== 'start' && action !== 'check') throw new UsageError(action === undefined ? 'missing the agent command: start or check' : `unknown agent command "${action}" (use start or check)`)
  const logLevel = values['log-level'] as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`unknown --log-level "${logLevel}" (use ${LOG_LEVELS.join(', ')})`)
  const home = fustorHome(io, values.home)
  const file = values.config === undefined ? join(home, 'agent-config.yaml') : resolve(io.cwd, values.config)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    writeLine(io.stderr, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
    writeLine(io.stderr, 'hint: write one (see `fustor agent --help` for an example), or name it with --config FILE')
    return EXIT_USAGE
  }
  const definitions = createRegistry().all()
  const { config, errors } = parseAgentConfig(file, text, new Registry([...definitions, agentSourceInput()]), io.env)
  if (config === undefined) {
    printConfigErrors(io.stderr, errors)
    return EXIT_USAGE
  }
  const enabled = config.pipes.filter((pipe) => pipe.enabled)
  if (action === 'check') {
    writeLine(io.stdout, `${values.config ?? file}: ok (${config.sources.length} sources, ${config.senders.length} senders, ${config.pipes.length} pipes, ${enabled.length} enabled)`)
    return EXIT_OK
  }
  const logger = consoleLogger(io.stderr, logLevel)
  const agent = new Agent(config, { home, logger, definitions, env: io.env })
  let interrupted = false
  const onSignal = (): void => {
    interrupted = true
    logger.info('stopping: every pipe saves a checkpoint')
    agent.stop()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  logger.info(`running ${enabled.length} pipe(s): ${enabled.map((pipe) => `${pipe.id} (${pipe.sourceId} -> ${pipe.senderId})`).join(', ')}`)
  try {
    const result = await agent.run()
    const state = agent.state()
    for (const [id, pipe] of Object.entries(state.pipes)) {
      if (pipe.status === 'disabled') continue
      writeLine(io.stderr, `pipe ${id}: ${pipe.status}, read ${pipe.read}, wrote ${pipe.written}, failed ${pipe.failed}${pipe.error ? `: ${pipe.error}` : ''}`)
    }
    if (Object.values(result.pipes).some((run) => run?.status === 'failed')) return EXIT_FAILED
    return interrupted ? EXIT_INTERRUPTED : EXIT_OK
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}
