/**
 * The CLI's logger: one line per event on stderr, `level: message key=value`, above the progress
 * line when there is one.
 */
import type { Logger } from '../core/component.js'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export function consoleLogger(stream: NodeJS.WritableStream, level: LogLevel, beforeWrite: () => void = () => undefined): Logger {
  const threshold = LOG_LEVELS.indexOf(level)
  const write = (lineLevel: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lineLevel) > threshold) return
    const rendered = fields
      ? ` ${Object.entries(fields)
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
          .join(' ')}`
      : ''
    beforeWrite()
    stream.write(`${lineLevel}: ${message}${rendered}\n`)
  }
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') }
}
