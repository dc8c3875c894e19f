/**
 * How errors are shown: config errors as `file:line:col: message (at path)` with their hint, other
 * failures as one line with their code. Secrets are redacted before anything is printed (invariant 6).
 */
import { ConfigError, FustorError, errorMessage } from '../core/errors.js'
import type { PipelineSource } from '../engine/pipeline-source.js'

export function formatError(error: unknown, source?: PipelineSource, redact: (text: string) => string = (text) => text): string {
  if (error instanceof ConfigError) return redact((source ? source.place(error) : error).format())
  if (error instanceof FustorError) {
    const hint = error.hint ? `\n  hint: ${error.hint}` : ''
    return redact(`${error.message} [${error.code}]${hint}`)
  }
  const cause = error instanceof Error && error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : ''
  return redact(`internal error: ${errorMessage(error)}${cause}\n  this is a bug in fustor; please report it with the pipeline file`)
}

export interface ErrorRecord {
  readonly file: string | undefined
  readonly line: number | undefined
  readonly col: number | undefined
  readonly path: string | undefined
  readonly code: string
  readonly message: string
  readonly hint: string | undefined
}

export function errorRecord(error: ConfigError): ErrorRecord {
  return {
    file: error.location?.file,
    line: error.location?.line,
    col: error.location?.col,
    path: error.path,
    code: error.code,
    message: error.message,
    hint: error.hint,
  }
}
