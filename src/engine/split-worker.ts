/**
 * The worker-thread side of parallel runs: rebuilds the components of the plan it is given from the
 * registry, then runs each split task it receives with a SplitRunner and sends back the result, the
 * chunks' buffers transferred. The wiring's worker entry (src/cli/split-worker-main.ts) calls
 * `serveSplits` with its registry, so that bundlers see every import statically.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { ComponentDefinition, InputDefinition, OutputDefinition, ProcessorDefinition, RouterDefinition } from '../core/component.js'
import type { ComponentPlan, StagePlan } from './pipeline-loader.js'
import type { Registry } from './registry.js'
import { SplitRunner } from './split-runner.js'
import { errorToData, type ComponentRef, type SplitPlan, type SplitResult, type SplitTask, type StageRef } from './split-plan.js'

/** Serves split tasks on this worker thread until it is terminated. */
export function serveSplits(registry: Registry): void {
  const plan = workerData as SplitPlan
  const component = <D extends ComponentDefinition>(ref: ComponentRef, definition: D): ComponentPlan<D> => ({
    path: ref.path,
    definition,
    config: ref.config,
    label: ref.label,
  })
  const stage = (ref: StageRef): StagePlan => {
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
  const runner = new SplitRunner({
    input: component<InputDefinition>(plan.input, registry.input(plan.input.type)),
    processors: plan.processors.map(stage),
    output: plan.output ? component<OutputDefinition>(plan.output, registry.output(plan.output.type)) : undefined,
    batchSize: plan.batchSize,
  })
  // Tasks run one after the other (the runner reuses its state), in the order they came.
  let queue: Promise<void> = Promise.resolve()
  parentPort!.on('message', (task: SplitTask) => {
    queue = queue.then(() => serve(task))
  })
  const serve = (task: SplitTask): Promise<void> =>
    runner.run(task).then(
      (result) => {
        const buffers = result.chunks.map((chunk) => chunk.bytes.buffer).filter((buffer, i, all) => buffer.byteLength > 0 && all.indexOf(buffer) === i)
        parentPort!.postMessage(result, buffers as ArrayBuffer[])
      },
      (error: unknown) => {
        const failed: SplitResult = { id: task.id, records: 0, chunks: [], failures: [], error: errorToData(error) }
        parentPort!.postMessage(failed)
      },
    )
  parentPort!.postMessage({ ready: true })
}
