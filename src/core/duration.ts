/**
 * Durations in configs: `500ms`, `5s`, `1m`, `2h`, `1d`, combinations like `1m30s`, or a bare
 * number of milliseconds.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/
const PART_PATTERN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

/** Milliseconds of a duration, or undefined when the text is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  if (!DURATION_PATTERN.test(text)) return undefined
  let total = 0
  for (const match of text.matchAll(PART_PATTERN)) total += Number(match[1]) * UNIT_MS[match[2]]
  return total
}

/** `1m30s`, `250ms`: the shortest text for a duration, for messages and reports. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const totalSeconds = ms / 1000
  if (totalSeconds < 60) return `${Number(totalSeconds.toFixed(1))}s`
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = Math.floor(totalSeconds % 60)
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}` || '0s'
}

/** Schema pattern for duration strings (for TypeBox `Type.String({ pattern })`). */
export const DURATION_SCHEMA_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+$|^\\d+$'
