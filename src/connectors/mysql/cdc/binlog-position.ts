/**
 * Where the `mysql_cdc` input resumes: a transaction boundary of the binary log, and how many changes
 * of the transaction after it were already delivered. Opaque to the engine (ARCHITECTURE.md "The
 * model"), typed here:
 *
 *   { file: "binlog.000042", offset: 1187, gtid: "0-1-5120" }            after a commit
 *   { file: "binlog.000042", offset: 1187, gtid: "0-1-5120", skip: 1000 } 1000 changes into the next transaction
 *
 * `file` + `offset` is the end of a commit event (an XID, a COMMIT, or a DDL statement, which commits
 * on its own); `gtid` is the server's GTID state at that same point: a MariaDB GTID position
 * (`domain-server-sequence` per domain) or a MySQL GTID set (`uuid:1-27`), absent when the server
 * has no GTIDs (MySQL with gtid_mode OFF) or the input could not learn them. A position is never
 * inside a transaction: a batch that ends inside one (a transaction larger than a batch, or one that
 * touches several tables) carries the transaction's start boundary and `skip`, the number of its
 * changes already delivered, which a resumed input drops again. Resuming prefers `gtid` (valid on any
 * server of the same replication topology, so it survives a failover), else `file` + `offset`.
 */
import type { ChangePositions } from '../../../sql/change-queue.js'
import { FatalError } from '../../../core/errors.js'
import type { JsonObject } from '../../../core/schema.js'

export interface BinlogPosition {
  /** Binlog file of the boundary; absent only for a `start: {gtid}` before the first transaction. */
  readonly file?: string
  /** Byte offset in `file` just after the commit event. */
  readonly offset?: number
  /** GTID state at the boundary (MariaDB GTID position or MySQL GTID set). */
  readonly gtid?: string
  /** Changes of the transaction after the boundary already delivered. */
  readonly skip?: number
}

/** The position as stored JSON (no undefined fields, `skip` only when not 0). */
export function positionJson(position: BinlogPosition): JsonObject {
  return changePosition(position, position.skip ?? 0)
}

/**
 * The JSON position `skip` changes after a boundary. Built as one literal of a fixed shape: it is
 * made for every change row (`__position`), and spreading objects there cost a third of the input's
 * own time (measured).
 */
export function changePosition(boundary: BinlogPosition, skip: number): JsonObject {
  const { file, offset, gtid } = boundary
  if (file !== undefined && offset !== undefined) {
    if (gtid !== undefined) return skip > 0 ? { file, offset, gtid, skip } : { file, offset, gtid }
    return skip > 0 ? { file, offset, skip } : { file, offset }
  }
  if (gtid !== undefined) return skip > 0 ? { gtid, skip } : { gtid }
  return skip > 0 ? { skip } : {}
}

/** A boundary with `skip` changes of the next transaction delivered. */
export function withSkip(boundary: BinlogPosition, skip: number): BinlogPosition {
  return { file: boundary.file, offset: boundary.offset, gtid: boundary.gtid, skip: skip > 0 ? skip : undefined }
}

/** The boundary alone, without `skip`. */
export function boundaryOf(position: BinlogPosition): BinlogPosition {
  return withSkip(position, 0)
}

/** For messages: `binlog.000042:1187`, `GTID 0-1-5120`, with the skipped changes. */
export function positionLabel(position: BinlogPosition): string {
  const where = position.gtid ? `GTID ${position.gtid}` : `${position.file ?? '?'}:${position.offset ?? '?'}`
  return position.skip ? `${where} (+${position.skip} changes)` : where
}

/** Whether the position names a place to start from. */
export function isStartable(position: BinlogPosition): boolean {
  return (position.gtid !== undefined && position.gtid !== '') || (position.file !== undefined && position.offset !== undefined)
}

/**
 * A position from a checkpoint (`fustor run --resume`). FatalError `mysql_cdc.position_invalid`
 * when it is not one this input wrote: the checkpoint belongs to another pipeline or version.
 */
export function parseStoredPosition(value: unknown): BinlogPosition {
  const invalid = (why: string): FatalError =>
    new FatalError('mysql_cdc.position_invalid', `the checkpoint's input position is not a mysql_cdc position (${why})`, {
      hint: 'start without --resume, or give the position in `start`',
    })
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('not an object')
  const object = value as Record<string, unknown>
  for (const key of Object.keys(object)) if (!['file', 'offset', 'gtid', 'skip'].includes(key)) throw invalid(`unknown field "${key}"`)
  const { file, offset, gtid, skip } = object
  if (file !== undefined && (typeof file !== 'string' || file === '')) throw invalid('file is not a file name')
  if (offset !== undefined && (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 4)) throw invalid('offset is not a binlog offset')
  if (gtid !== undefined && typeof gtid !== 'string') throw invalid('gtid is not text')
  if (skip !== undefined && (typeof skip !== 'number' || !Number.isSafeInteger(skip) || skip < 0)) throw invalid('skip is not a count')
  const position: BinlogPosition = { file: file as string | undefined, offset: offset as number | undefined, gtid: gtid as string | undefined, skip: skip as number | undefined }
  if ((file === undefined) !== (offset === undefined)) throw invalid('file and offset go together')
  if (!isStartable(position)) throw invalid('neither file and offset nor gtid')
  return position
}

/** `0-1-5,1-2-7`: MariaDB's GTID position syntax (domain-server-sequence per domain). */
export const MARIADB_GTID = /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/
/** `uuid:1-5:7,uuid:1-3`: MySQL's GTID set syntax, tags included. */
export const MYSQL_GTID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[a-z_][a-z0-9_]*|:\d+(-\d+)?)+(,\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[a-z_][a-z0-9_]*|:\d+(-\d+)?)+)*$/i

/** Which server a GTID text is for: MariaDB's positions never hold `:`, MySQL's sets always do. */
export function gtidFlavour(text: string): 'mariadb' | 'mysql' | undefined {
  if (MARIADB_GTID.test(text)) return 'mariadb'
  if (MYSQL_GTID.test(text)) return 'mysql'
  return undefined
}

/** The binlog positions of the shared change queue (src/sql/change-queue.ts). */
export const BINLOG_POSITIONS: ChangePositions<BinlogPosition> = { json: positionJson, inTransaction: withSkip }
