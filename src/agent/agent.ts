/**
 * The realtime agent (seed 000, seed 001): runs the enabled pipes of agent-config.yaml, each source
 * read once through an event bus group shared by its pipes (shared-source.ts), each pipe a pipeline
 * run of the engine with its own checkpoint. Runtime state goes to
 * `FUSTOR_HOME/fustor_agent.state.json` (seed 000 §5): the bus layout of every source and every
 * pipe's status, written every few seconds and at the end; a restarted agent rebuilds each source's
 * buses from it and every pipe resumes from its checkpoint, so shared buses stay shared.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Position } from '../core/batch.js'
import type { ComponentDefinition, InputContext, Logger, OutputDefinition } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import type { JsonValue } from '../core/schema.js'
import { EventBusGroup, parseBusLayout, type BusLayout, type BusSubscription, type EventBusGroupMetrics } from '../bus/index.js'
import { CheckpointStore, type Checkpoint } from '../engine/checkpoint-store.js'
import { parseConfig } from '../engine/config-schema.js'
import type { ComponentPlan } from '../engine/pipeline-loader.js'
import { loadPipeline } from '../engine/pipeline-loader.js'
import { PipelineRun, type RunResult } from '../engine/pipeline-run.js'
import { Registry } from '../engine/registry.js'
import type { AgentConfig, AgentPipe } from './agent-config.js'
import { agentSourceInput, SharedSource, SubscriptionInput, type SourceEvent } from './shared-source.js'

export const AGENT_STATE_FILE = 'fustor_agent.state.json'
const STATE_VERSION = 1

export type PipeStatus = 'starting' | 'running' | 'completed' | 'stopped' | 'failed' | 'disabled'

export interface PipeState {
  readonly status: PipeStatus
  readonly source_id: string
  readonly sender_id: string
  readonly read: number
  readonly written: number
  readonly failed: number
  readonly error?: string
}

/** What `fustor_agent.state.json` holds. */
export interface AgentState {
  readonly version: number
  readonly updated_at: string
  /** Bus layout of each source (src/bus/bus-layout.ts), by source id. */
  readonly sources: Readonly<Record<string, BusLayout>>
  readonly pipes: Readonly<Record<string, PipeState>>
}

export interface AgentOptions {
  readonly home: string
  readonly logger: Logger
  /** Every component the pipes may use (the CLI's registry list). */
  readonly definitions: readonly ComponentDefinition[]
  readonly env?: Readonly<Record<string, string | undefined>>
  /** How often the state file is written. Default 2 s. */
  readonly stateIntervalMs?: number
  /** Events a bus buffers (each one batch of the source). Default: the bus's. */
  readonly busCapacity?: number
}

export interface AgentResult {
  readonly pipes: Readonly<Record<string, RunResult | undefined>>
}

interface RunningPipe {
  readonly pipe: AgentPipe
  run: PipelineRun | undefined
  status: PipeStatus
  error?: string
  result?: RunResult
}

export class Agent {
  private readonly groups = new Map<string, EventBusGroup<SourceEvent>>()
  private readonly sources = new Map<string, SharedSource>()
  private readonly running = new Map<string, RunningPipe>()
  private readonly checkpoints: CheckpointStore
  private stopping = false

  constructor(
    private readonly config: AgentConfig,
    private readonly options: AgentOptions,
  ) {
    this.checkpoints = new CheckpointStore(options.home)
  }

  get statePath(): string {
    return join(this.options.home, AGENT_STATE_FILE)
  }

  /** Runs the enabled pipes until each ends (a bounded source) or `stop()`; writes the state file throughout. */
  async run(): Promise<AgentResult> {
    const { home, logger } = this.options
    const previous = await this.loadState()
    const enabled = this.config.pipes.filter((pipe) => pipe.enabled)
    for (const pipe of this.config.pipes) this.running.set(pipe.id, { pipe, run: undefined, status: pipe.enabled ? 'starting' : 'disabled' })
    // Every pipe subscribes before any source is read, so that pipes starting together share a bus.
    const subscriptions = new Map<string, BusSubscription<SourceEvent>>()
    const resumes = new Map<string, Checkpoint | undefined>()
    for (const pipe of enabled) {
      const checkpoint = await this.checkpoints.load(pipe.plan.file)
      resumes.set(pipe.id, checkpoint)
      const group = this.groupFor(pipe.sourceId, previous?.sources[pipe.sourceId])
      subscriptions.set(pipe.id, group.subscribe(pipe.id, { after: checkpoint?.input.position as Position | undefined }))
    }
    for (const group of this.groups.values()) group.releaseReservations()
    const stateTimer = setInterval(() => void this.saveState().catch((error: unknown) => logger.warn(`could not write ${this.statePath}: ${(error as Error).message}`)), this.options.stateIntervalMs ?? 2000)
    stateTimer.unref()
    try {
      await Promise.all(
        enabled.map(async (pipe) => {
          const entry = this.running.get(pipe.id)!
          const subscription = subscriptions.get(pipe.id)!
          // The source is acknowledged (a slot's confirmed LSN moves) only when this pipe is its only
          // one: with several, a position one pipe has may still be missing from another's sender.
          const isOnlyPipe = enabled.filter((other) => other.sourceId === pipe.sourceId).length === 1
          const source = this.sources.get(pipe.sourceId)!
          const onAck = async (position: Position): Promise<void> => (isOnlyPipe ? source.ack(position) : undefined)
          const connect = (_source: string, ctx: InputContext) => new SubscriptionInput(() => subscription, ctx, onAck)
          const registry = new Registry([...this.options.definitions, agentSourceInput(connect)])
          // The pipe's pipeline again, now with the agent_source that reads this subscription.
          const loaded = loadPipeline(pipe.plan.file, pipe.pipelineText, registry, { env: {} })
          if (loaded.plan === undefined) throw loaded.errors[0]
          const pipeLogger = prefixed(logger, `pipe ${pipe.id}: `)
          const resume = resumes.get(pipe.id)
          const run = new PipelineRun(loaded.plan, {
            home,
            logger: pipeLogger,
            checkpoints: this.checkpoints,
            resume,
            defaultDeadLetter: deadLetterPlan(registry, join(home, 'dead_letter', `agent-${pipe.id}.jsonl`)),
          })
          entry.run = run
          entry.status = 'running'
          if (this.stopping) run.stop()
          try {
            const result = await run.run()
            entry.result = result
            entry.status = result.status
            if (result.status === 'failed') entry.error = result.error === undefined ? 'failed' : (result.error as Error).message
          } catch (error) {
            entry.status = 'failed'
            entry.error = (error as Error).message
          } finally {
            await subscription.close()
          }
        }),
      )
    } finally {
      clearInterval(stateTimer)
      await this.saveState()
      await Promise.all([...this.groups.values()].map((group) => group.close()))
    }
    return { pipes: Object.fromEntries([...this.running].map(([id, entry]) => [id, entry.result])) }
  }

  /** Stops every pipe at its next batch; each saves a checkpoint first (as `fustor run` on SIGINT). */
  stop(): void {
    this.stopping = true
    for (const entry of this.running.values()) entry.run?.stop()
  }

  /** Each source's bus metrics, by source id. */
  metrics(): Record<string, EventBusGroupMetrics> {
    return Object.fromEntries([...this.groups].map(([id, group]) => [id, group.metrics()]))
  }

  /** How many readers each source opened (a source shared by its pipes opens one). */
  readersOpened(sourceId: string): number {
    return this.sources.get(sourceId)?.opened ?? 0
  }

  state(): AgentState {
    const pipes: Record<string, PipeState> = {}
    for (const [id, entry] of this.running) {
      const counters = entry.run?.progress()
      pipes[id] = {
        status: entry.status,
        source_id: entry.pipe.sourceId,
        sender_id: entry.pipe.senderId,
        read: counters?.read ?? 0,
        written: counters?.written ?? 0,
        failed: counters?.failed ?? 0,
        ...(entry.error === undefined ? {} : { error: entry.error }),
      }
    }
    const sources = Object.fromEntries([...this.groups].map(([id, group]) => [id, group.layout()]))
    return { version: STATE_VERSION, updated_at: new Date().toISOString(), sources, pipes }
  }

  private groupFor(sourceId: string, layout: BusLayout | undefined): EventBusGroup<SourceEvent> {
    let group = this.groups.get(sourceId)
    if (group !== undefined) return group
    const source = this.config.sources.find((candidate) => candidate.id === sourceId)!
    const registry = new Registry(this.options.definitions)
    const definition = registry.input(source.type)
    const shared = new SharedSource({
      definition,
      config: parseConfig(definition.config, source.config),
      path: `sources[${source.index}]`,
      context: { logger: prefixed(this.options.logger, `source ${sourceId}: `), home: this.options.home },
      batchSize: 1000,
      lingerMs: 5,
    })
    const options = { name: sourceId, logger: this.options.logger, ...(this.options.busCapacity === undefined ? {} : { capacity: this.options.busCapacity }) }
    group = layout === undefined ? new EventBusGroup(shared, options) : EventBusGroup.restore(shared, layout, options)
    this.sources.set(sourceId, shared)
    this.groups.set(sourceId, group)
    return group
  }

  /** The state a previous agent left, or undefined (none, or a damaged file: logged, then ignored). */
  private async loadState(): Promise<{ sources: Record<string, BusLayout> } | undefined> {
    let text: string
    try {
      text = await readFile(this.statePath, 'utf8')
    } catch {
      return undefined
    }
    try {
      const state = JSON.parse(text) as { version?: number; sources?: Record<string, JsonValue> }
      const sources: Record<string, BusLayout> = {}
      for (const [id, layout] of Object.entries(state.sources ?? {})) sources[id] = parseBusLayout(layout)
      return { sources }
    } catch (error) {
      const reason = error instanceof ConfigError || error instanceof SyntaxError ? error.message : String(error)
      this.options.logger.warn(`ignoring ${this.statePath} (${reason}): every pipe resumes from its own checkpoint`)
      return undefined
    }
  }

  /** Writes the state file atomically (a temporary file renamed over it). */
  private async saveState(): Promise<void> {
    const state = this.state()
    await mkdir(this.options.home, { recursive: true })
    const temporary = `${this.statePath}.tmp`
    await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`)
    await rename(temporary, this.statePath)
  }
}

function prefixed(logger: Logger, prefix: string): Logger {
  return {
    debug: (message, fields) => logger.debug(prefix + message, fields),
    info: (message, fields) => logger.info(prefix + message, fields),
    warn: (message, fields) => logger.warn(prefix + message, fields),
    error: (message, fields) => logger.error(prefix + message, fields),
  }
}

function deadLetterPlan(registry: Registry, path: string): ComponentPlan<OutputDefinition> | undefined {
  try {
    const definition = registry.output('jsonl')
    return { path: 'settings.dead_letter', definition, config: parseConfig(definition.config, { path }), label: undefined }
  } catch {
    return undefined
  }
}
