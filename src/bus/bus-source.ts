/**
 * What an event bus reads: the contract a source implements to be shared by several pipes
 * (docs/ARCHITECTURE.md "Event bus"). The bus is generic over the event type; for CDC an event is
 * one source transaction or one batch of changes, never a single row on the hot path.
 */
import type { Position } from '../core/batch.js'

/**
 * One unit on the bus. Opaque to the bus apart from `position`: where the source resumes to give
 * the events after this one. Positions must be JSON (they go into the agent's state file) and unique
 * along the source's stream: the bus compares them for equality only, never for order.
 */
export interface BusEvent {
  readonly position: Position
}

/**
 * A source that several subscribers may read through one bus.
 *
 * Contract:
 * - `openReader(after)` gives a reader whose first event is the one right after `after` (undefined:
 *   wherever the source starts without a position). A bus opens it once at start, again after a
 *   transient error (from the last position it read), and a split opens a second reader from the
 *   position the first one had reached. The no-loss, no-duplicate guarantee of splits rests on
 *   this: the reader opened after P gives exactly the events the first reader gave after P.
 * - Reopening after a position gives the same events with the same positions (a replayable source,
 *   as a binlog or a WAL is). A bus rebuilt from a layout relies on it to find where each subscriber
 *   was; when it cannot, the subscriber fails with `bus.position_not_found` rather than miss events.
 * - Errors: TransientError (or a network error, see `isTransient`) from `openReader` or `next` is
 *   retried with backoff, reopening after the last position read; any other error fails every
 *   subscription of the bus.
 */
export interface BusSource<T extends BusEvent> {
  openReader(after: Position | undefined, signal: AbortSignal): Promise<BusReader<T>>
}

/**
 * Reads a source in order. `next` is never called again before the previous call settled, and never
 * after `close`.
 */
export interface BusReader<T extends BusEvent> {
  /**
   * The next events, in source order: as many as are ready (a flood in large arrays, a trickle as
   * soon as one event is there), an empty array when nothing came within the reader's own wait, or
   * null at the end of a bounded source. Should settle soon after `signal` aborts (the bus is closing).
   * The bus keeps the events and the array's elements, not the array: a reader may reuse it.
   */
  next(signal: AbortSignal): Promise<readonly T[] | null>
  /** Releases the connection. Called exactly once; may be called while `next` is pending and must then make it settle. */
  close(): Promise<void>
}
