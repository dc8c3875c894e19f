/**
 * Processes one split of a parallel run: decodes it with the input definition's `decodeSplit`, runs
 * the rows through the processors (the same ProcessorChain as a run on one thread), and encodes
 * them with each output definition's `encoder`. Worker threads run it (split-worker.ts), and so does
 * the main thread when it has nothing else to do (split-pool.ts). Holds no state between splits but
 * the compiled components.
 */
import type { Batch } from '../core/batch.js'
import type { ChunkEncoder, InputDefinition, OutputDefinition } from '../core/component.js'
import { silentLogger } from '../core/component.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import type { ComponentPlan, StagePlan } from './pipeline-loader.js'
import { describeComponent, ProcessorChain } from './processor-chain.js'
import { errorToData, type FailureData, type SplitResult, type SplitTask } from './split-plan.js'

export interface SplitRunnerPlan {
  readonly input: ComponentPlan<InputDefinition>
  readonly processors: readonly StagePlan[]
  readonly output: ComponentPlan<OutputDefinition> | undefined
  readonly batchSize: number
}

export class SplitRunner {
  private failures: FailureData[] = []
  private readonly encoders = new Map<string, { readonly encoder: ChunkEncoder; readonly label: string }>()
  private readonly chain: ProcessorChain<undefined>
  private readonly inputLabel: string
  private encodeSchema: Schema | undefined

  constructor(private readonly plan: SplitRunnerPlan) {
    this.inputLabel = describeComponent(plan.input)
    this.chain = new ProcessorChain<undefined>(plan.processors, plan.output, { logger: silentLogger, signal: new AbortController().signal, home: '' }, {
      deliver: async (outputPath: string, batch: Batch) => {
        const entry = this.encoders.get(outputPath)!
        this.encodeSchema = batch.schema
        entry.encoder.encode(batch, {
          reject: (row: Row, error: unknown) =>
            this.failures.push({ record: row, schema: this.encodeSchema, error: errorToData(error), component: entry.label }),
        })
      },
      reject: (failure) =>
        this.failures.push({ record: failure.record, schema: failure.schema, error: errorToData(failure.error), component: failure.component }),
    })
    for (const { plan: output } of this.chain.outputs()) {
      this.encoders.set(output.path, { encoder: output.definition.encoder!(output.config), label: describeComponent(output) })
    }
  }

  async run(task: SplitTask): Promise<SplitResult> {
    this.failures = []
    const batches: Batch[] = []
    let records = 0
    const { input, batchSize } = this.plan
    input.definition.decodeSplit!(input.config, { payload: task.payload, context: task.context }, batchSize, {
      rows: (batch) => {
        records += batch.rows.length
        batches.push(batch)
      },
      rejected: (record) => {
        records++
        this.failures.push({
          record: record.record as JsonValue,
          schema: record.schema,
          error: errorToData(record.error),
          component: this.inputLabel,
          location: record.location,
        })
      },
    })
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]
      batches[i] = undefined as unknown as Batch // let each batch go once processed
      if (batch.rows.length > 0) await this.chain.process(batch, undefined)
    }
    const chunks: SplitResult['chunks'][number][] = []
    for (const [path, { encoder }] of this.encoders) {
      const chunk = encoder.take()
      if (chunk && chunk.rows > 0) chunks.push({ ...chunk, path })
    }
    return { id: task.id, records, chunks, failures: this.failures }
  }
}
