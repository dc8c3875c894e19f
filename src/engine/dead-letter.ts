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

/** Replaces every secret value in a text by `***` (invariant 6): as written, as it appears escaped
 * inside JSON or a URL, and, for a URL, its password alone (a connection error may show the URL
 * with another host, or the password decoded). */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>()
  for (const secret of secrets) {
    forms.add(secret)
    forms.add(JSON.stringify(secret).slice(1, -1))
    forms.add(encodeURIComponent(secret))
    const password = urlPassword(secret)
    if (password) {
      forms.add(password)
      forms.add(decodeURIComponentSafely(password))
    }
  }
  const sorted = [...forms].filter((secret) => secret.length >= 3).sort((a, b) => b.length - a.length)
  if (sorted.length === 0) return (text) => text
  return (text) => {
    let result = text
    for (const secret of sorted) result = result.split(secret).join('***')
    return result
  }
}

function urlPassword(text: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined
  try {
    return new URL(text).password || undefined
  } catch {
    return undefined
  }
}

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
