import type { RecordError } from '../core/errors.js'

/**
 * A record a parser could not read (broken quoting, wrong field count, invalid JSON), with its raw
 * text. Parsers return it in place of the record and carry on with the next one: the reader turns it
 * into a rejected record for the dead-letter output (invariant 3).
 */
export class MalformedRecord {
  constructor(
    readonly raw: string,
    readonly error: RecordError,
  ) {}
}

/** Characters of a too long record kept as its raw text: enough to find it, not enough to hold memory. */
export const RAW_PREVIEW_CHARS = 1024

/** The raw text kept of a too long record starting at `start` in `text`. */
export function rawPreview(text: string, start: number): string {
  return `${text.slice(start, start + RAW_PREVIEW_CHARS)}...`
}
