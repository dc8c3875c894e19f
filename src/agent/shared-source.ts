/**
 * A source of agent-config.yaml read once for every pipe that uses it (seed 000 §3): the source's
 * input is the reader of an event bus group (src/bus), and each pipe's pipeline reads its share
 * through the `agent_source` input, a subscription of that group.
 *
 *   source input --read()--> SharedSource (BusSource) --> EventBusGroup --> SubscriptionInput (pipe 1)
 *                                                                       \-> SubscriptionInput (pipe 2)
 *
 * An event on the bus is one batch of the source with its position. Each pipe gets its own copy of
 * the rows (processors change rows in place), and its checkpoint holds the source position of the
 * last batch its sender has (invariant 1): a restarted pipe subscribes after it.
 */
import Type from 'typebox'
import type { InputBatch, Position } from '../core/batch.js'
import type { ComponentContext, Input, InputContext, InputDefinition } from '../core/component.js'
import { defineInput } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import type { RetryPolicy } from '../core/backoff.js'
import type { BusReader, BusSource, BusSubscription } from '../bus/index.js'
import { AGENT_SOURCE_TYPE } from './agent-config.js'

/** One batch of a source on its bus. */
export interface SourceEvent {
  readonly position: Position
  readonly batch: InputBatch
}

export interface SharedSourceOptions {
  readonly definition: InputDefinition
  readonly config: unknown
  /** Config path of the source in agent-config.yaml, for messages. */
  readonly path: string
  readonly context: Omit<ComponentContext, 'path' | 'signal'>
  readonly batchSize: number
  readonly lingerMs: number
  readonly retry?: RetryPolicy
}

/** The source's input as the reader of a bus: opened after a position, read batch by batch. */
export class SharedSource implements BusSource<SourceEvent> {
  /** Readers opened so far (a bus each, and again after a transient error). */
  opened = 0
  /** The inputs of the open readers. */
  private readonly inputs = new Set<Input>()

  constructor(private readonly options: SharedSourceOptions) {}

  async openReader(after: Position | undefined, signal: AbortSignal): Promise<BusReader<SourceEvent>> {
    const { definition, config, path, context, batchSize, lingerMs, retry } = this.options
    const stop = new AbortController()
    const onAbort = (): void => stop.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    const ctx: InputContext = { ...context, path, signal: stop.signal, batchSize, lingerMs, resumeFrom: after, retry }
    const input = definition.create(config, ctx)
    try {
      await input.open()
    } catch (error) {
      signal.removeEventListener('abort', onAbort)
      await input.close().catch(() => undefined)
      throw error
    }
    this.opened++
    this.inputs.add(input)
    return {
      next: async () => {
        const batch = await input.read()
        return batch === null ? null : [{ position: batch.position, batch }]
      },
      close: async () => {
        signal.removeEventListener('abort', onAbort)
        this.inputs.delete(input)
        stop.abort()
        await input.close()
      },
    }
  }

  /**
   * Acknowledges the source up to `position` (a replication slot confirms it). Only the agent knows
   * when that is safe: every pipe of the source has it durably (invariant 1). With one reader it is
   * that reader's input; with several (a split bus) no input is acknowledged.
   */
  async ack(position: Position): Promise<void> {
    if (this.inputs.size !== 1) return
    const [input] = this.inputs
    await input.ack?.(position)
  }
}

/** A pipe's share of a source: its subscription, read as an input. */
export class SubscriptionInput implements Input {
  private subscription: BusSubscription<SourceEvent> | undefined

  constructor(
    private readonly subscribe: (after: Position | undefined) => BusSubscription<SourceEvent>,
    private readonly ctx: InputContext,
    /** Called after the subscription's ack: the agent decides whether the source may be acknowledged. */
    private readonly onAck: (position: Position) => Promise<void> = async () => undefined,
  ) {}

  async open(): Promise<void> {
    this.subscription = this.subscribe(this.ctx.resumeFrom ?? undefined)
  }

  async read(): Promise<InputBatch | null> {
    let events: SourceEvent[] | null = []
    while (events !== null && events.length === 0) {
      if (this.ctx.signal.aborted) return null
      events = await this.subscription!.next(1, this.ctx.signal)
    }
    if (events === null) return null
    const { batch } = events[0]
    // Each pipe changes its own rows: the batch on the bus is shared by every subscriber.
    return { ...batch, rows: batch.rows.map((row) => row.slice()) }
  }

  async ack(position: Position): Promise<void> {
    this.subscription?.ack(position)
    await this.onAck(position)
  }

  async close(): Promise<void> {
    await this.subscription?.close()
  }
}

/**
 * The `agent_source` input: how a pipe's pipeline reads its source. `connect` is the running agent's
 * (agent.ts); outside an agent (linting agent-config.yaml) the definition only checks its config.
 */
export function agentSourceInput(connect?: (sourceId: string, ctx: InputContext) => Input): InputDefinition {
  return defineInput({
    type: AGENT_SOURCE_TYPE,
    status: 'experimental',
    summary: "A pipe's share of a source of agent-config.yaml, read once for all its pipes (fustor agent)",
    description: 'Written by the agent for each pipe of agent-config.yaml; not for pipeline files.',
    config: Type.Object({ source: Type.String({ description: 'The id of the source in agent-config.yaml.' }) }),
    examples: [],
    create: (cfg, ctx) => {
      if (connect === undefined) throw new ConfigError('agent.source_outside_agent', `input ${AGENT_SOURCE_TYPE} runs only in \`fustor agent start\``, { path: 'type' })
      return connect(cfg.source, ctx)
    },
  }) as InputDefinition
}
