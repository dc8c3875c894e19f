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
