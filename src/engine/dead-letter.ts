/**
 * Dead-letter records: a failed record with its error, the component that failed it and the input
 * position, as a row that any output can write (invariant 3).
 */
import type { Position } from '../core/batch.js'
import { errorCode, errorMessage } from '../core/errors.js'
import type { JsonValue, Row, Schema } from '../core/schema.js'
import { toJsonValue } from '../core/values.js'

export const DEAD_LETTER_SCHEMA: Schema = {
  columns: [
    { name: 'failed_at', type: 'timestamptz', nullable: false },
    { name: 'component', type: 'string', nullable: false },
    { name: 'error_code', type: 'string', nullable: false },
    { name: 'error_message', type: 'string', nullable: false },
    { name: 'location', type: 'string' },
    { name: 'position', type: 'json' },
    { name: 'record', type: 'json' },
  ],
}

export interface FailedRecord {
  /** The row (with `schema`) or the raw text/JSON the source gave. */
  readonly record: Row | string | JsonValue
  readonly schema?: Schema
  readonly error: unknown
  /** Config path and type of the component that failed it: `pipeline.processors[1] (transform)`. */
  readonly component: string
  readonly location?: string
  /** Position of the input batch the record came from. */
  readonly position: Position | undefined
}

function recordAsJson(failed: FailedRecord): JsonValue {
  const { record, schema } = failed
  if (schema && Array.isArray(record)) {
    const object: Record<string, JsonValue> = {}
    schema.columns.forEach((column, i) => {
      object[column.name] = toJsonValue((record as Row)[i] ?? null)
    })
    return object
  }
  return record as JsonValue
}

export function deadLetterRow(failed: FailedRecord, redact: (text: string) => string, now: Date = new Date()): Row {
  return [
    now.toISOString(),
    failed.component,
    errorCode(failed.error),
    redact(errorMessage(failed.error)),
    failed.location ?? null,
    failed.position ?? null,
    recordAsJson(failed),
  ]
}

/** Replaces every secret value in a text by `***` (invariant 6). */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...secrets].filter((secret) => secret.length >= 3).sort((a, b) => b.length - a.length)
  if (sorted.length === 0) return (text) => text
  return (text) => {
    let result = text
    for (const secret of sorted) result = result.split(secret).join('***')
    return result
  }
}
