/**
 * Error classes. Every error Fustor raises on purpose is one of these; anything else is a bug.
 *
 * - ConfigError: the user's mistake in a pipeline file, flag or API field. Never retried (invariant 4).
 *   Carries a stable code, the config path, and once the loader has resolved it, file:line:col.
 * - TransientError: a condition that may pass (connection reset, lock timeout). Retried with backoff.
 * - FatalError: stops the run (disk full, permission denied, error limit exceeded).
 * - RecordError: one record cannot be read, converted or written. Goes to the dead-letter output
 *   (invariant 3) and counts against `settings.error_limit`.
 *
 * Codes are stable and dotted (`component.not_found`); docs/errors.md lists them.
 */

export interface SourceLocation {
  readonly file: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly col: number
}

export interface FustorErrorOptions {
  readonly hint?: string
  readonly cause?: unknown
}

export class FustorError extends Error {
  readonly code: string
  readonly hint: string | undefined

  constructor(code: string, message: string, options: FustorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.hint = options.hint
  }
}

export interface ConfigErrorOptions extends FustorErrorOptions {
  /** Dotted config path, e.g. `pipeline.processors[1].config.condition`. Relative to the component
   * config when thrown by a component; the engine prefixes the component's own path. */
  readonly path?: string
  /** Character offset inside the scalar at `path` (an expression error points into the expression). */
  readonly offset?: number
  readonly location?: SourceLocation
}

export class ConfigError extends FustorError {
  readonly path: string | undefined
  readonly offset: number | undefined
  readonly location: SourceLocation | undefined

  constructor(code: string, message: string, options: ConfigErrorOptions = {}) {
    super(code, message, options)
    this.path = options.path
    this.offset = options.offset
    this.location = options.location
  }

  /** The same error with its path placed under `prefix` (a component's own path in the file). */
  under(prefix: string): ConfigError {
    return this.with({ path: joinConfigPath(prefix, this.path) })
  }

  with(options: ConfigErrorOptions): ConfigError {
    return new ConfigError(this.code, this.message, {
      hint: this.hint,
      cause: this.cause,
      path: this.path,
      offset: this.offset,
      location: this.location,
      ...options,
    })
  }

  /** `file:line:col: message (at path)` followed by the hint on its own line. */
  format(): string {
    const where = this.location ? `${this.location.file}:${this.location.line}:${this.location.col}: ` : ''
    const at = this.path ? ` (at ${this.path})` : ''
    const hint = this.hint ? `\n  hint: ${this.hint}` : ''
    return `${where}${this.message}${at}${hint}`
  }
}

export class TransientError extends FustorError {}

export class FatalError extends FustorError {}

export interface RecordErrorOptions extends FustorErrorOptions {
  /** The column the failure is about, when there is one. */
  readonly column?: string
}

export class RecordError extends FustorError {
  readonly column: string | undefined

  constructor(code: string, message: string, options: RecordErrorOptions = {}) {
    super(code, message, options)
    this.column = options.column
  }
}

/** Joins config paths: `joinConfigPath('input.config', 'columns[0]')` is `input.config.columns[0]`. */
export function joinConfigPath(prefix: string, path: string | undefined): string {
  if (!path) return prefix
  if (!prefix) return path
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`
}

/** Whether an error should be retried: TransientError, or a Node network error that usually passes. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransientError) return true
  if (error instanceof FustorError) return false
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && TRANSIENT_SYSTEM_CODES.has(code)
}

const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
])

/** The message of anything thrown, for reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/** The stable code of anything thrown: its own code, or `internal` for a bug. */
export function errorCode(error: unknown): string {
  if (error instanceof FustorError) return error.code
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? `system.${code.toLowerCase()}` : 'internal'
}
