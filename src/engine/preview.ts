/**
 * Previews: the first rows of a pipeline's input after its processors (`fustor preview`, and the
 * server's preview API), and the schema of its input. Reads until enough rows reached the outputs or
 * a bound of rows read, whichever first, so that a filter that passes nothing does not read a whole
 * table. Nothing is written and nothing is checkpointed.
 */
import type { Batch } from '../core/batch.js'
import type { Logger } from '../core/component.js'
import { errorMessage } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import type { PipelinePlan } from './pipeline-loader.js'
import { inComponent } from './pipeline-run.js'
import { ProcessorChain } from './processor-chain.js'

export interface PreviewOptions {
  readonly home: string
  readonly logger: Logger
  /** Rows wanted per output. */
  readonly limit: number
  /** Stop after reading this many input rows even if fewer reached the outputs (default 100 × limit, at least 10,000). */
  readonly maxRowsRead?: number
  readonly signal?: AbortSignal
}

export interface PreviewOutput {
  /** `output`, or the name of the switch case the output belongs to. */
  readonly name: string
  readonly path: string
  readonly schema: Schema | undefined
  readonly rows: Row[]
}

export interface PreviewResult {
  /** Schema of the input's rows as read (undefined when it gave none). */
  readonly inputSchema: Schema | undefined
  readonly rowsRead: number
  readonly outputs: readonly PreviewOutput[]
  /** Records the input or a processor rejected, with why. */
  readonly rejected: readonly { readonly component: string; readonly error: string; readonly location?: string }[]
}

export async function previewPipeline(plan: PipelinePlan, options: PreviewOptions): Promise<PreviewResult> {
  const abort = new AbortController()
  const signal = options.signal === undefined ? abort.signal : AbortSignal.any([options.signal, abort.signal])
  const base = { logger: options.logger, signal, home: options.home }
  const limit = Math.max(1, options.limit)
  const maxRowsRead = options.maxRowsRead ?? Math.max(10_000, limit * 100)
  const received = new Map<string, { schema: Schema | undefined; rows: Row[] }>()
  const rejected: { component: string; error: string; location?: string }[] = []
  const chain = new ProcessorChain<undefined>(plan.processors, plan.output, base, {
    deliver: async (outputPath: string, batch: Batch) => {
      const entry = received.get(outputPath) ?? { schema: batch.schema, rows: [] }
      entry.schema = batch.schema
      for (const row of batch.rows) if (entry.rows.length < limit) entry.rows.push(row)
      received.set(outputPath, entry)
    },
    reject: (failure) => rejected.push({ component: failure.component, error: errorMessage(failure.error) }),
  })
  const outputs = chain.outputs()
  const isFull = (): boolean => outputs.every((output) => (received.get(output.plan.path)?.rows.length ?? 0) >= limit)
  const input = await inComponent(plan.input.path, async () => plan.input.definition.create(plan.input.config, {
    ...base,
    path: plan.input.path,
    batchSize: Math.min(plan.settings.batchSize, Math.max(limit, 100)),
    lingerMs: plan.settings.lingerMs,
    resumeFrom: undefined,
    retry: plan.settings.retry,
  }))
  let inputSchema: Schema | undefined
  let rowsRead = 0
  try {
    await inComponent(plan.input.path, () => input.open())
    while (!isFull() && rowsRead < maxRowsRead && !signal.aborted) {
      const batch = await inComponent(plan.input.path, () => input.read())
      if (batch === null) break
      inputSchema ??= batch.schema
      rowsRead += batch.rows.length
      for (const record of batch.rejected ?? []) rejected.push({ component: plan.input.path, error: errorMessage(record.error), location: record.location })
      if (batch.rows.length > 0) await chain.process(batch, undefined)
    }
    // Stateful processors (aggregate) show what they hold.
    await chain.flush(undefined)
  } finally {
    abort.abort()
    await input.close().catch(() => undefined)
    await chain.close(() => undefined)
  }
  return {
    inputSchema,
    rowsRead,
    outputs: outputs.map((output) => ({ name: output.name, path: output.plan.path, schema: received.get(output.plan.path)?.schema, rows: received.get(output.plan.path)?.rows ?? [] })),
    rejected,
  }
}
