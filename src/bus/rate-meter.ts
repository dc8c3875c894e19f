/**
 * Events per second over a moving window, for bus and subscriber metrics. The hot path only counts
 * (a plain number on the bus or cursor); a timer calls `sample` with the running total a few times
 * per window, and `perSecond` measures from the oldest sample still inside the window.
 */

export class RateMeter {
  private readonly times: Float64Array
  private readonly totals: Float64Array
  /** Index of the next sample to write (the oldest once the ring is full). */
  private next = 0
  private stored = 0

  /** Counting starts at `startedAtMs` from 0: a meter younger than the window measures over its age. */
  constructor(
    startedAtMs: number,
    private readonly windowMs = 10_000,
    samples = 10,
  ) {
    this.times = new Float64Array(samples + 1)
    this.totals = new Float64Array(samples + 1)
    this.sample(0, startedAtMs)
  }

  /** Records the running total at `nowMs`. */
  sample(total: number, nowMs: number): void {
    this.times[this.next] = nowMs
    this.totals[this.next] = total
    this.next = (this.next + 1) % this.times.length
    if (this.stored < this.times.length) this.stored++
  }

  /**
   * Events per second between the oldest sample inside the window that ends at `nowMs` and `total`
   * at `nowMs`; from the newest sample when none is inside (sampling stopped).
   */
  perSecond(total: number, nowMs: number): number {
    const windowStartMs = nowMs - this.windowMs
    let from = -1
    let newest = -1
    for (let i = 0; i < this.stored; i++) {
      const time = this.times[i]
      if (time >= windowStartMs && (from < 0 || time < this.times[from])) from = i
      if (newest < 0 || time > this.times[newest]) newest = i
    }
    if (from < 0) from = newest
    const elapsedMs = nowMs - this.times[from]
    return elapsedMs > 0 ? ((total - this.totals[from]) * 1000) / elapsedMs : 0
  }
}
