/**
 * The processors of a pipeline as a tree: a chain of processors, ending either at an output or at a
 * router (`switch`) whose branches are chains again. Runs batches through it in order, prepares each
 * processor for every new schema, and hands the resulting batches to `deliver` with the config path
 * of the output they are for. Used by the pipeline runner, `fustor test` and previews.
 */
import type { Batch } from '../core/batch.js'
import { rowCount, withoutText } from '../core/text-rows.js'
import type { ComponentContext, OutputDefinition, ProcessContext, Processor, Router } from '../core/component.js'
import { ConfigError, RecordError } from '../core/errors.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import { sameSchema } from '../core/schema.js'
import type { ComponentPlan, StagePlan } from './pipeline-loader.js'

export interface ChainFailure {
  readonly record: Row
  readonly schema: Schema
  readonly error: unknown
  /** `pipeline.processors[1] (transform)` */
  readonly component: string
}

/** `tag` is what the caller passed with the batch (the runner passes the input position). */
export interface ChainCallbacks<Tag> {
  /** A batch with at least one row for the output at `outputPath`. May wait (backpressure). */
  deliver(outputPath: string, batch: Batch, tag: Tag): Promise<void>
  /** A row a processor failed (invariant 3). */
  reject(failure: ChainFailure, tag: Tag): void
}

/** Where a chain ends: an output, named for reports and pipeline tests. */
export interface ChainOutput {
  readonly plan: ComponentPlan<OutputDefinition>
  /** `output` for the pipeline's own output, else the name of the switch case that owns it. */
  readonly name: string
}

interface Stage {
  readonly path: string
  readonly label: string
  readonly processor: Processor
  inputSchema: Schema | undefined
  isHolding: boolean
}

interface RouterNode {
  readonly path: string
  readonly label: string
  readonly router: Router
  inputSchema: Schema | undefined
  readonly branches: Chain[]
}

interface Chain {
  readonly stages: Stage[]
  readonly router: RouterNode | undefined
  /** Config path of the output this chain ends at (when it has no router). */
  readonly outputPath: string | undefined
}

export function describeComponent(plan: { path: string; label?: string | undefined; definition: { type: string } }): string {
  return plan.label ? `${plan.path} (${plan.definition.type} "${plan.label}")` : `${plan.path} (${plan.definition.type})`
}

export class ProcessorChain<Tag = undefined> {
  private readonly root: Chain
  private readonly outputList: ChainOutput[] = []

  /**
   * Creates every processor of the tree (no I/O). `output` is the pipeline's output, used by the
   * main chain and by switch cases without their own; `resume` holds processor snapshots by path.
   */
  constructor(
    stages: readonly StagePlan[],
    output: ComponentPlan<OutputDefinition> | undefined,
    private readonly context: Omit<ComponentContext, 'path'>,
    private readonly callbacks: ChainCallbacks<Tag>,
    private readonly resume: Readonly<Record<string, JsonValue>> = {},
  ) {
    this.root = this.build(stages, output, 'output')
  }

  /** The distinct outputs the tree ends at, pipeline output first. */
  outputs(): readonly ChainOutput[] {
    return this.outputList
  }

  private build(stages: readonly StagePlan[], output: ComponentPlan<OutputDefinition> | undefined, name: string): Chain {
    const built: Stage[] = []
    for (const stage of stages) {
      const context = { ...this.context, path: stage.path, resumeState: this.resume[stage.path] }
      if (stage.kind === 'router') {
        const router = stage.definition.create(stage.config, context)
        const branches = stage.branches.map((branch) => this.build(branch.processors, branch.output ?? output, branch.output ? branch.name : 'output'))
        return {
          stages: built,
          router: { path: stage.path, label: describeComponent(stage), router, inputSchema: undefined, branches },
          outputPath: undefined,
        }
      }
      const processor = stage.definition.create(stage.config, context)
      built.push({ path: stage.path, label: describeComponent(stage), processor, inputSchema: undefined, isHolding: false })
    }
    if (!output) throw new ConfigError('config.missing_field', 'missing required field "output"', { path: 'output' })
    if (!this.outputList.some((known) => known.plan.path === output.path)) {
      const entry = { plan: output, name }
      if (name === 'output') this.outputList.unshift(entry)
      else this.outputList.push(entry)
    }
    return { stages: built, router: undefined, outputPath: output.path }
  }

  /** No processor and no router: batches reach the one output as the input made them. */
  get passesBatchesThrough(): boolean {
    return this.root.stages.length === 0 && this.root.router === undefined
  }

  /** Runs one batch through the tree. */
  process(batch: Batch, tag: Tag): Promise<void> {
    return this.continueChain(this.root, 0, batch, tag)
  }

  /**
   * The first half of `process`: the main chain's processors only. With stateless processors the
   * runner may have several batches here at once, then hands each result to `deliver` in order.
   */
  transform(batch: Batch, tag: Tag): Promise<Batch | null> {
    return this.runStages(this.root, 0, batch, tag)
  }

  /** The second half of `process`: routes a batch `transform` returned and delivers it. */
  async deliver(batch: Batch | null, tag: Tag): Promise<void> {
    if (batch && rowCount(batch) > 0) await this.deliverFrom(this.root, batch, tag)
  }

  /** End of a bounded input: flushes every stateful processor, in order, through what follows it. */
  flush(tag: Tag): Promise<void> {
    return this.flushChain(this.root, tag)
  }

  /** Wakes time-based processors. */
  tick(nowMs: number, tag: Tag): Promise<void> {
    return this.tickChain(this.root, nowMs, tag)
  }

  /** Whether a processor holds rows in its state (a checkpoint now would lose them). */
  isHolding(): boolean {
    return this.chains().some((chain) => chain.stages.some((stage) => stage.isHolding))
  }

  /** Snapshots of the processors that keep state across checkpoints, by config path. */
  snapshot(): Record<string, JsonValue> {
    const snapshots: Record<string, JsonValue> = {}
    for (const chain of this.chains()) for (const stage of chain.stages) if (stage.processor.snapshot) snapshots[stage.path] = stage.processor.snapshot()
    return snapshots
  }

  async close(onError: (label: string, error: unknown) => void): Promise<void> {
    for (const chain of this.chains()) {
      for (const stage of chain.stages) {
        try {
          await stage.processor.close?.()
        } catch (error) {
          onError(stage.label, error)
        }
      }
    }
  }

  private chains(chain: Chain = this.root): Chain[] {
    return [chain, ...(chain.router ? chain.router.branches.flatMap((branch) => this.chains(branch)) : [])]
  }

  private context_(label: string, schema: Schema, tag: Tag): ProcessContext {
    return {
      reject: (row: Row, error: unknown, rowSchema?: Schema) => {
        this.callbacks.reject({ record: row, schema: rowSchema ?? schema, error, component: label }, tag)
      },
    }
  }

  private async continueChain(chain: Chain, start: number, batch: Batch, tag: Tag): Promise<void> {
    const out = await this.runStages(chain, start, batch, tag)
    if (out && rowCount(out) > 0) await this.deliverFrom(chain, out, tag)
  }

  private async runStages(chain: Chain, start: number, batch: Batch, tag: Tag): Promise<Batch | null> {
    // A processor changes rows in place: text rows (core/text-rows.ts) would then say otherwise.
    let current = start < chain.stages.length ? withoutText(batch) : batch
    for (let i = start; i < chain.stages.length; i++) {
      const out = await this.apply(chain.stages[i], current, tag)
      if (out === null || out.rows.length === 0) return out
      current = out
    }
    return current
  }

  private async apply(stage: Stage, batch: Batch, tag: Tag): Promise<Batch | null> {
    if (batch.schema !== stage.inputSchema) {
      if (!stage.inputSchema || !sameSchema(batch.schema, stage.inputSchema)) prepare(stage.path, () => stage.processor.prepare(batch.schema))
      stage.inputSchema = batch.schema
    }
    const context = this.context_(stage.label, batch.schema, tag)
    let out: Batch | null
    try {
      out = await stage.processor.process(batch, context)
    } catch (error) {
      if (!(error instanceof RecordError)) throw error
      // A processor that fails a whole batch with a record error fails each of its rows.
      for (const row of batch.rows) context.reject(row, error)
      return { schema: batch.schema, rows: [] }
    }
    // Holding lasts until the processor emits again: what it emits carries what it held.
    stage.isHolding = out === null
    return out
  }

  private async deliverFrom(chain: Chain, batch: Batch, tag: Tag): Promise<void> {
    const node = chain.router
    if (!node) {
      await this.callbacks.deliver(chain.outputPath!, batch, tag)
      return
    }
    if (batch.schema !== node.inputSchema) {
      if (!node.inputSchema || !sameSchema(batch.schema, node.inputSchema)) prepare(node.path, () => node.router.prepare(batch.schema))
      node.inputSchema = batch.schema
    }
    const parts = node.router.route(batch, this.context_(node.label, batch.schema, tag))
    for (let i = 0; i < node.branches.length; i++) {
      const part = parts[i]
      if (part && part.rows.length > 0) await this.continueChain(node.branches[i], 0, part, tag)
    }
  }

  private async flushChain(chain: Chain, tag: Tag): Promise<void> {
    for (let i = 0; i < chain.stages.length; i++) {
      const stage = chain.stages[i]
      if (!stage.processor.flush) continue
      const out = await stage.processor.flush(this.context_(stage.label, stage.inputSchema ?? { columns: [] }, tag))
      stage.isHolding = false
      if (out && out.rows.length > 0) await this.continueChain(chain, i + 1, out, tag)
    }
    if (chain.router) for (const branch of chain.router.branches) await this.flushChain(branch, tag)
  }

  private async tickChain(chain: Chain, nowMs: number, tag: Tag): Promise<void> {
    for (let i = 0; i < chain.stages.length; i++) {
      const stage = chain.stages[i]
      if (!stage.processor.tick) continue
      const out = await stage.processor.tick(nowMs, this.context_(stage.label, stage.inputSchema ?? { columns: [] }, tag))
      if (out && out.rows.length > 0) await this.continueChain(chain, i + 1, out, tag)
    }
    if (chain.router) for (const branch of chain.router.branches) await this.tickChain(branch, nowMs, tag)
  }
}

/** A schema discovered at run time can still name an unknown column: that is the user's error. */
function prepare(path: string, run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) throw error.under(`${path}.config`)
    throw error
  }
}
