/**
 * Worker-thread entry of parallel runs: decodes a split with the input definition's `decodeSplit`,
 * runs the rows through the processors (the same ProcessorChain as the main thread uses), encodes
 * them with each output definition's `encoder`, and sends back the chunks (their buffers
 * transferred) and the failed records. Holds no state between splits but the compiled components.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Batch } from '../core/batch.js'
import type {
  ChunkEncoder,
  ComponentDefinition,
  InputDefinition,
  OutputDefinition,
  ProcessorDefinition,
  RouterDefinition,
} from '../core/component.js'
import { silentLogger } from '../core/component.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import type { ComponentPlan, StagePlan } from './pipeline-loader.js'
import { describeComponent, ProcessorChain } from './processor-chain.js'
import type { Registry } from './registry.js'
import { errorToData, type ComponentRef, type FailureData, type SplitPlan, type SplitResult, type SplitTask, type StageRef } from './split-plan.js'

const plan = workerData as SplitPlan
const { createRegistry } = (await import(plan.registryModule)) as { createRegistry(): Registry }
const registry = createRegistry()

function component<D extends ComponentDefinition>(ref: ComponentRef, definition: D): ComponentPlan<D> {
  return { path: ref.path, definition, config: ref.config, label: ref.label }
}

function stage(ref: StageRef): StagePlan {
  const definition = registry.processor(ref.type)
  if (ref.kind === 'router') {
    return {
      ...component(ref, definition as RouterDefinition),
      kind: 'router',
      branches: (ref.branches ?? []).map((branch) => ({
        name: branch.name,
        path: branch.path,
        processors: branch.processors.map(stage),
        output: branch.output ? component(branch.output, registry.output(branch.output.type)) : undefined,
      })),
    }
  }
  return { ...component(ref, definition as ProcessorDefinition), kind: 'processor' }
}

const input = component<InputDefinition>(plan.input, registry.input(plan.input.type))
const output = plan.output ? component<OutputDefinition>(plan.output, registry.output(plan.output.type)) : undefined
const inputLabel = describeComponent(input)

let failures: FailureData[] = []
const encoders = new Map<string, { encoder: ChunkEncoder; label: string }>()
let encodeSchema: Schema | undefined

const chain = new ProcessorChain<undefined>(
  plan.processors.map(stage),
  output,
  { logger: silentLogger, signal: new AbortController().signal, home: '' },
  {
    deliver: async (outputPath: string, batch: Batch) => {
      const entry = encoders.get(outputPath)!
      encodeSchema = batch.schema
      entry.encoder.encode(batch, {
        reject: (row: Row, error: unknown) => failures.push({ record: row, schema: encodeSchema, error: errorToData(error), component: entry.label }),
      })
    },
    reject: (failure) => failures.push({ record: failure.record, schema: failure.schema, error: errorToData(failure.error), component: failure.component }),
  },
)
for (const { plan: outputPlan } of chain.outputs()) {
  encoders.set(outputPlan.path, { encoder: outputPlan.definition.encoder!(outputPlan.config), label: describeComponent(outputPlan) })
}

async function run(task: SplitTask): Promise<SplitResult> {
  failures = []
  const batches: Batch[] = []
  let records = 0
  input.definition.decodeSplit!(input.config, { payload: task.payload, context: task.context }, plan.batchSize, {
    rows(batch) {
      records += batch.rows.length
      batches.push(batch)
    },
    rejected(record) {
      records++
      failures.push({ record: record.record as JsonValue, schema: record.schema, error: errorToData(record.error), component: inputLabel, location: record.location })
    },
  })
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]
    batches[i] = undefined as unknown as Batch // let each batch go once processed
    if (batch.rows.length > 0) await chain.process(batch, undefined)
  }
  const chunks: (SplitResult['chunks'][number])[] = []
  for (const [path, { encoder }] of encoders) {
    const chunk = encoder.take()
    if (chunk && chunk.rows > 0) chunks.push({ ...chunk, path })
  }
  return { id: task.id, records, chunks, failures }
}

parentPort!.on('message', (task: SplitTask) => {
  run(task).then(
    (result) => {
      const buffers = result.chunks.map((chunk) => chunk.bytes.buffer).filter((buffer, i, all) => buffer.byteLength > 0 && all.indexOf(buffer) === i)
      parentPort!.postMessage(result, buffers as ArrayBuffer[])
    },
    (error: unknown) => {
      const failed: SplitResult = { id: task.id, records: 0, chunks: [], failures: [], error: errorToData(error) }
      parentPort!.postMessage(failed)
    },
  )
})
parentPort!.postMessage({ ready: true })
