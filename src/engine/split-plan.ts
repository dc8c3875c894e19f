/**
 * Parallel runs (docs/ARCHITECTURE.md "Parallel runs"): what a worker thread needs to turn an input
 * split into encoded output chunks, as plain JSON, and the errors and failed records it sends back.
 * Workers rebuild the components from their types and configs with the registry of the wiring's
 * worker entry (definitions hold functions, which cannot cross threads).
 */
import type { Position } from '../core/batch.js'
import type { EncodedChunk } from '../core/component.js'
import { ConfigError, FatalError, FustorError, RecordError, TransientError } from '../core/errors.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import type { FailedRecord } from './dead-letter.js'
import type { ComponentDefinition, OutputDefinition } from '../core/component.js'
import type { ComponentPlan, PipelinePlan, StagePlan } from './pipeline-loader.js'

export interface ComponentRef {
  readonly path: string
  readonly type: string
  readonly label: string | undefined
  readonly config: JsonValue
}

export interface StageRef extends ComponentRef {
  readonly kind: 'processor' | 'router'
  readonly branches?: readonly BranchRef[]
}

export interface BranchRef {
  readonly name: string
  readonly path: string
  readonly processors: readonly StageRef[]
  readonly output: ComponentRef | undefined
}

/** Everything a worker builds its components from. */
export interface SplitPlan {
  readonly input: ComponentRef
  readonly processors: readonly StageRef[]
  readonly output: ComponentRef | undefined
  readonly batchSize: number
}

function ref(plan: ComponentPlan<ComponentDefinition>): ComponentRef {
  return { path: plan.path, type: plan.definition.type, label: plan.label, config: plan.config as JsonValue }
}

function stageRef(stage: StagePlan): StageRef {
  if (stage.kind === 'processor') return { ...ref(stage), kind: 'processor' }
  return {
    ...ref(stage),
    kind: 'router',
    branches: stage.branches.map((branch) => ({
      name: branch.name,
      path: branch.path,
      processors: branch.processors.map(stageRef),
      output: branch.output ? ref(branch.output) : undefined,
    })),
  }
}

/**
 * Why the pipeline cannot run in parallel, or undefined when it can: the input must decode splits,
 * every processor be stateless, every output (but the dead-letter one, which stays on the main
 * thread) encode chunks.
 */
export function whyNotParallel(plan: PipelinePlan): string | undefined {
  if (!plan.input.definition.decodeSplit) return `input "${plan.input.definition.type}" cannot be split`
  const check = (stages: readonly StagePlan[], output: ComponentPlan<OutputDefinition> | undefined): string | undefined => {
    for (const stage of stages) {
      if (stage.kind === 'processor' && !stage.definition.stateless) return `processor "${stage.definition.type}" keeps state`
      if (stage.kind === 'router') {
        for (const branch of stage.branches) {
          const reason = check(branch.processors, branch.output ?? output)
          if (reason) return reason
        }
        return undefined
      }
    }
    if (output && !output.definition.encoder) return `output "${output.definition.type}" cannot encode in parallel`
    return undefined
  }
  return check(plan.processors, plan.output)
}

export function splitPlan(plan: PipelinePlan): SplitPlan {
  return {
    input: ref(plan.input),
    processors: plan.processors.map(stageRef),
    output: plan.output ? ref(plan.output) : undefined,
    batchSize: plan.settings.batchSize,
  }
}

// ------------------------------------------------------------------------------- across threads

/** An error as data (class, code, message and a ConfigError's place). */
export interface ErrorData {
  readonly kind: 'config' | 'record' | 'transient' | 'fatal' | 'other'
  readonly code: string
  readonly message: string
  readonly hint?: string
  readonly path?: string
  readonly offset?: number
  readonly column?: string
  readonly stack?: string
}

export function errorToData(error: unknown): ErrorData {
  if (error instanceof ConfigError) return { kind: 'config', code: error.code, message: error.message, hint: error.hint, path: error.path, offset: error.offset }
  if (error instanceof RecordError) return { kind: 'record', code: error.code, message: error.message, hint: error.hint, column: error.column }
  if (error instanceof TransientError) return { kind: 'transient', code: error.code, message: error.message, hint: error.hint }
  if (error instanceof FustorError) return { kind: 'fatal', code: error.code, message: error.message, hint: error.hint }
  const message = error instanceof Error ? error.message : String(error)
  return { kind: 'other', code: 'internal', message, stack: error instanceof Error ? error.stack : undefined }
}

export function errorFromData(data: ErrorData): Error {
  const options = { hint: data.hint }
  switch (data.kind) {
    case 'config':
      return new ConfigError(data.code, data.message, { ...options, path: data.path, offset: data.offset })
    case 'record':
      return new RecordError(data.code, data.message, { ...options, column: data.column })
    case 'transient':
      return new TransientError(data.code, data.message, options)
    case 'fatal':
      return new FatalError(data.code, data.message, options)
    default: {
      const error = new Error(data.message)
      if (data.stack) error.stack = data.stack
      return error
    }
  }
}

/** A failed record as a worker sends it back (the main thread adds the position). */
export interface FailureData {
  readonly record: Row | string | JsonValue
  readonly schema?: Schema
  readonly error: ErrorData
  readonly component: string
  readonly location?: string
}

export function failureFromData(data: FailureData, position: Position): FailedRecord {
  return { record: data.record, schema: data.schema, error: errorFromData(data.error), component: data.component, location: data.location, position }
}

export interface SplitTask {
  readonly id: number
  readonly payload: Uint8Array | JsonValue
  readonly context: JsonValue
}

export interface SplitResult {
  readonly id: number
  /** Records the split held: rows decoded plus records the input rejected. */
  readonly records: number
  /** Encoded rows per output config path. */
  readonly chunks: readonly (EncodedChunk & { readonly path: string })[]
  readonly failures: readonly FailureData[]
  /** Set when the split could not be processed at all. */
  readonly error?: ErrorData
}
