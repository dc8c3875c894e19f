/**
 * Test support for components: build contexts, fill configs with their defaults, drive an input to
 * its end, run a processor over batches, write batches through an output. Drives the real component
 * code; only the engine around it is left out.
 */
import type { Batch, InputBatch, Position, RejectedRecord } from '../src/core/batch.js'
import type {
  ComponentContext,
  ComponentDefinition,
  Input,
  InputContext,
  OutputContext,
  ProcessContext,
  ProcessorContext,
  Processor,
  WriteContext,
} from '../src/core/component.js'
import { silentLogger } from '../src/core/component.js'
import type { JsonValue, Row, Schema } from '../src/core/schema.js'
import { parseConfig } from '../src/engine/config-schema.js'

export function componentContext(overrides: Partial<ComponentContext> = {}): ComponentContext {
  return { path: 'test', logger: silentLogger, signal: new AbortController().signal, home: '/tmp/fustor-test-home', ...overrides }
}

export function processorContext(overrides: Partial<ProcessorContext> = {}): ProcessorContext {
  return { ...componentContext(), resumeState: undefined, ...overrides }
}

export function inputContext(overrides: Partial<InputContext> = {}): InputContext {
  return { ...componentContext(), batchSize: 1000, lingerMs: 5, resumeFrom: undefined, ...overrides }
}

export function outputContext(overrides: Partial<OutputContext> = {}): OutputContext {
  return { ...componentContext(), resumeState: undefined, ...overrides }
}

/** The component's config with defaults filled, validated as the loader does; throws the first error. */
export function configure<T = any>(definition: ComponentDefinition, raw: unknown): T {
  return parseConfig<T>(definition.config, raw)
}

export interface ReadResult {
  batches: InputBatch[]
  rows: Row[]
  schema: Schema | undefined
  rejected: RejectedRecord[]
  positions: Position[]
}

/** Opens the input, reads until it ends (or `maxBatches`), acks every batch, closes it. */
export async function readAll(input: Input, maxBatches = Infinity): Promise<ReadResult> {
  const result: ReadResult = { batches: [], rows: [], schema: undefined, rejected: [], positions: [] }
  await input.open()
  try {
    while (result.batches.length < maxBatches) {
      const batch = await input.read()
      if (!batch) break
      result.batches.push(batch)
      result.rows.push(...batch.rows)
      result.schema = batch.schema
      result.rejected.push(...(batch.rejected ?? []))
      result.positions.push(batch.position)
      await input.ack?.(batch.position)
    }
  } finally {
    await input.close()
  }
  return result
}

export interface Rejection {
  row: Row
  error: unknown
  schema: Schema | undefined
}

export function collectingContext(rejections: Rejection[], schema?: Schema): ProcessContext & WriteContext {
  return {
    reject(row: Row, error: unknown, rowSchema?: Schema) {
      rejections.push({ row, error, schema: rowSchema ?? schema })
    },
  }
}

export interface ProcessResult {
  /** Batches the processor emitted, in order (null results left out). */
  batches: Batch[]
  rows: Row[]
  schema: Schema | undefined
  rejections: Rejection[]
  /** How many process() calls returned null (rows held in state). */
  held: number
}

/** Prepares the processor for each new schema, processes every batch, then flushes it. */
export async function processAll(processor: Processor, batches: Batch[]): Promise<ProcessResult> {
  const result: ProcessResult = { batches: [], rows: [], schema: undefined, rejections: [], held: 0 }
  let prepared: Schema | undefined
  const take = (batch: Batch | null): void => {
    if (batch === null) return
    result.batches.push(batch)
    result.rows.push(...batch.rows)
    result.schema = batch.schema
  }
  for (const batch of batches) {
    if (batch.schema !== prepared) {
      processor.prepare(batch.schema)
      prepared = batch.schema
    }
    const out = await processor.process(batch, collectingContext(result.rejections, batch.schema))
    if (out === null) result.held++
    take(out)
  }
  if (processor.flush) take(await processor.flush(collectingContext(result.rejections, prepared)))
  await processor.close?.()
  return result
}

export function batchOf(schema: Schema, rows: Row[]): Batch {
  return { schema, rows }
}

export function schemaOf(spec: Record<string, Schema['columns'][number]['type']>): Schema {
  return { columns: Object.entries(spec).map(([name, type]) => ({ name, type })) }
}

export type { JsonValue }
