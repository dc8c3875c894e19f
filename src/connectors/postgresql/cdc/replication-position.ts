/**
 * Where the `postgresql_cdc` input resumes: a transaction boundary of the WAL (an LSN), and how many
 * changes of the transaction after it were already delivered. Opaque to the engine (ARCHITECTURE.md
 * "The model"), typed here:
 *
 *   { lsn: "0/16B3748" }              after every transaction that committed before 0/16B3748
 *   { lsn: "0/16B3748", skip: 1000 }  1000 changes into the first transaction after it
 *
 * `lsn` is the end of a commit record (pgoutput's commit `end_lsn`), the slot's confirmed position,
 * or the WAL end a keepalive reported while no transaction was open. Logical decoding sends whole
 * transactions in commit order and skips, on START_REPLICATION, those whose commit record starts
 * before the requested (or confirmed) LSN: so the stream after `lsn` is the same at every start, and
 * `skip` names a change exactly. `ack` confirms `lsn` to the server (never a partial transaction).
 */
import type { ChangePositions } from '../../../sql/change-queue.js'
import { FatalError } from '../../../core/errors.js'
import type { JsonObject } from '../../../core/schema.js'

export interface ReplicationPosition {
  /** A WAL position as PostgreSQL prints it: `16/B374D848`. */
  readonly lsn: string
  /** Changes of the transaction after `lsn` already delivered. */
  readonly skip?: number
}

const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/

/** `16/B374D848` as a number (64 bits: a bigint). Undefined for text that is not an LSN. */
export function lsnValue(text: string): bigint | undefined {
  if (!LSN.test(text)) return undefined
  const slash = text.indexOf('/')
  return (BigInt(`0x${text.slice(0, slash)}`) << 32n) | BigInt(`0x${text.slice(slash + 1)}`)
}

/** An LSN as PostgreSQL prints it (upper-case hex, no leading zeros). */
export function lsnText(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`
}

/** `lsn` normalized (pg-logical-replication pads with zeros, the server does not). */
export function normalLsn(text: string): string {
  const value = lsnValue(text)
  if (value === undefined) throw new Error(`not an LSN: ${text}`)
  return lsnText(value)
}

/**
 * The JSON position `skip` changes after a boundary, as one literal of a fixed shape: it is made for
 * every change row (`__position`).
 */
export function positionJson(lsn: string, skip: number): JsonObject {
  return skip > 0 ? { lsn, skip } : { lsn }
}

/** For messages: `0/16B3748`, with the skipped changes. */
export function positionLabel(position: ReplicationPosition): string {
  return position.skip ? `${position.lsn} (+${position.skip} changes)` : position.lsn
}

/**
 * A position from a checkpoint (`fustor run --resume`) or given to `ack`. FatalError
 * `postgresql_cdc.position_invalid` when it is not one this input wrote: the checkpoint belongs to
 * another pipeline or version.
 */
export function parseStoredPosition(value: unknown): ReplicationPosition {
  const invalid = (why: string): FatalError =>
    new FatalError('postgresql_cdc.position_invalid', `the checkpoint's input position is not a postgresql_cdc position (${why})`, {
      hint: 'start without --resume: the input then starts at the slot\'s confirmed position',
    })
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('not an object')
  const object = value as Record<string, unknown>
  for (const key of Object.keys(object)) if (key !== 'lsn' && key !== 'skip') throw invalid(`unknown field "${key}"`)
  const { lsn, skip } = object
  if (typeof lsn !== 'string' || lsnValue(lsn) === undefined) throw invalid('lsn is not an LSN such as 0/16B3748')
  if (skip !== undefined && (typeof skip !== 'number' || !Number.isSafeInteger(skip) || skip < 0)) throw invalid('skip is not a count')
  return skip === undefined || skip === 0 ? { lsn: normalLsn(lsn) } : { lsn: normalLsn(lsn), skip }
}

/** The WAL positions of the shared change queue (src/sql/change-queue.ts). */
export const REPLICATION_POSITIONS: ChangePositions<ReplicationPosition> = {
  json: (position) => positionJson(position.lsn, position.skip ?? 0),
  inTransaction: (start, skip) => ({ lsn: start.lsn, skip }),
}
