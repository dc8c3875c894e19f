/**
 * Progress of `fustor run` on stderr: a line redrawn in place on a terminal, a plain line every few
 * seconds otherwise (logs, CI). Rows, rate, elapsed time, and the ETA when the input knows its size.
 */
import type { RunProgress } from '../engine/pipeline-run.js'

export type ProgressMode = 'tty' | 'plain' | 'none'

const TTY_INTERVAL_MS = 200
const PLAIN_INTERVAL_MS = 10_000

export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined
  private isLineShown = false
  private samples: { at: number; read: number }[] = []

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly mode: ProgressMode,
    private readonly progress: () => RunProgress,
    private readonly plainIntervalMs = PLAIN_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.mode === 'none') return
    const interval = this.mode === 'tty' ? TTY_INTERVAL_MS : this.plainIntervalMs
    this.timer = setInterval(() => this.render(), interval)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.clear()
  }

  /** Removes the progress line so that a log line can be written. */
  clear(): void {
    if (this.isLineShown) {
      this.stream.write('\r\x1b[K')
      this.isLineShown = false
    }
  }

  private render(): void {
    const now = this.progress()
    const at = Date.now()
    this.samples.push({ at, read: now.read })
    // Rate over the last 5 seconds, so that it follows changes but does not jitter.
    while (this.samples.length > 2 && at - this.samples[0].at > 5000) this.samples.shift()
    const first = this.samples[0]
    const seconds = (at - first.at) / 1000
    const rate = seconds > 0 ? (now.read - first.read) / seconds : now.read / Math.max(now.elapsedMs / 1000, 0.001)
    const line = progressLine(now, rate)
    if (this.mode === 'tty') {
      this.stream.write(`\r\x1b[K${line}`)
      this.isLineShown = true
    } else {
      this.stream.write(`progress: ${line}\n`)
    }
  }
}

export function progressLine(progress: RunProgress, rowsPerSecond: number): string {
  const parts = [`${formatCount(progress.read)} rows read`, `${formatCount(progress.written)} written`]
  if (progress.failed > 0) parts.push(`${formatCount(progress.failed)} failed`)
  parts.push(`${formatCount(Math.round(rowsPerSecond))} rows/s`, `${formatClock(progress.elapsedMs)} elapsed`)
  const fraction = completedFraction(progress)
  if (fraction !== undefined && fraction > 0) {
    const remainingMs = (progress.elapsedMs / fraction) * (1 - fraction)
    parts.push(`ETA ${formatClock(remainingMs)}`, `${Math.min(100, Math.floor(fraction * 100))}%`)
  }
  return parts.join('  ')
}

function completedFraction(progress: RunProgress): number | undefined {
  if (progress.bytesTotal && progress.bytesRead !== undefined) return progress.bytesRead / progress.bytesTotal
  if (progress.rowsTotal) return progress.read / progress.rowsTotal
  return undefined
}

/** `1,234,567`. (Not toLocaleString: its first call loads ICU data, 10 ms at every start.) */
export function formatCount(n: number): string {
  const text = String(Math.trunc(n))
  return text.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

export function formatClock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const seconds = total % 60
  const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes)
  return `${hours > 0 ? `${hours}:` : ''}${mm}:${String(seconds).padStart(2, '0')}`
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}
