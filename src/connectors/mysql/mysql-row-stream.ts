/**
 * Streams a query's rows in chunks, with the server held back while the consumer is behind
 * (invariant 2). mysql2 parses each row as it arrives and emits it; rows are converted in place
 * (mysql-row-converter.ts) and gathered into chunks of `chunkRows`. While two whole chunks wait for
 * the consumer the connection is paused: mysql2 stops reading the socket, TCP fills up and the
 * server blocks in its write (the session's net_write_timeout is raised so that a slow consumer
 * does not get the connection cut, mysql-connection.ts). Memory is then a few chunks plus one
 * socket read.
 *
 * Breaking out of the loop cancels the query: `KILL QUERY` from a short second connection, then the
 * rows already on their way are read and dropped until the server reports the interruption, which
 * leaves the connection usable. When that fails (a proxy that does not pass KILL, no second
 * connection allowed) the connection is destroyed: the SqlConnection is then closed.
 */
import type { Socket } from 'node:net'
import type { Connection, Query } from 'mysql2'
import type { RejectedRecord } from '../../core/batch.js'
import { TransientError } from '../../core/errors.js'
import type { Column, Row } from '../../core/schema.js'
import type { ColumnInfo, ReadOptions, RowChunk } from '../../sql/driver.js'
import { decodeTextRows } from '../../core/text-rows.js'
import { CopyTextWriter, packetValues, textKindOf, type TextKind } from './mysql-copy-text.js'
import { queryError } from './mysql-errors.js'
import { rowConverter, type ConvertedColumn, type RowConverter } from './mysql-row-converter.js'
import { fieldColumn, type WireField } from './mysql-types.js'

/** Whole chunks held for the consumer before the server is paused. */
const MAX_WAITING_CHUNKS = 2
/** How long the rows in flight after KILL QUERY may take to arrive before the connection is dropped. */
const CANCEL_DRAIN_MS = 10_000

/** What the stream needs of its connection. */
export interface StreamSession {
  readonly raw: Connection
  /** mysql2's type cast for a result (FLOAT/DOUBLE as text, GEOMETRY as bytes), or undefined when none is needed. */
  typeCastFor(columns: readonly ColumnInfo[] | undefined): QueryTypeCast | undefined
  /** `KILL QUERY` of this connection's running statement, from another connection. */
  killQuery(): Promise<void>
  /** Destroys the connection (the SqlConnection is closed from then on). */
  destroy(reason: Error): void
  /** Fails when the connection is closed or lost. */
  assertUsable(): void
}

export type QueryTypeCast = (field: { type: string; string(encoding?: string): string | null; buffer(): Buffer | null }, next: () => unknown) => unknown

type Waiter = () => void

/** The converter of a result, from its column definitions and the caller's description of them. */
export function resultConverter(fields: readonly WireField[], described: readonly ColumnInfo[] | undefined, options: ReadOptions): { converter: RowConverter; columns: ConvertedColumn[] } {
  const columns = fields.map((field, i): ConvertedColumn => {
    const { info, kind } = fieldColumn(field)
    const wanted = described !== undefined && described.length === fields.length ? described[i].column : info.column
    return { kind, natural: info.column, wanted }
  })
  return { converter: rowConverter(columns, options), columns }
}

export async function* streamRows(session: StreamSession, sql: string, columns: readonly ColumnInfo[], chunkRows: number, options: ReadOptions): AsyncGenerator<RowChunk> {
  session.assertUsable()
  const raw = session.raw
  const socket = (raw as unknown as { stream: Socket }).stream
  const rowsPerChunk = Math.max(1, chunkRows)
  const waiting: RowChunk[] = []
  let rows: Row[] = []
  let rejected: RejectedRecord[] = []
  let rowNumber = 0
  let bytesCounted = socket.bytesRead
  let converter: RowConverter | undefined
  let converted: ConvertedColumn[] = []
  let isPaused = false
  let isDone = false
  let isCancelled = false
  let failure: Error | undefined
  let wake: Waiter | undefined

  const notify = (): void => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  /** Text mode (options.text, and every column has a text kind): packets become text rows (mysql-copy-text.ts). */
  let textWriter: CopyTextWriter | undefined
  const closeChunk = (): void => {
    const bytesRead = socket.bytesRead
    if (textWriter !== undefined) {
      const { data, count, last } = textWriter.take()
      const lastRow = last === undefined ? undefined : decodeTextRows({ data: last, count: 1 }, converted.map((c) => c.wanted))[0]
      waiting.push({ rows: [], text: { data, count }, last: lastRow, rejected, bytes: bytesRead - bytesCounted })
    } else waiting.push({ rows, rejected, bytes: bytesRead - bytesCounted })
    bytesCounted = bytesRead
    rows = []
    rejected = []
    if (waiting.length >= MAX_WAITING_CHUNKS && !isPaused) {
      isPaused = true
      raw.pause()
    }
    notify()
  }

  const query: Query = raw.query({ sql, rowsAsArray: true, typeCast: session.typeCastFor(columns) as never })
  query.on('fields', (fields: WireField[]) => {
    const result = resultConverter(fields, columns, options)
    converter = result.converter
    converted = result.columns
    const kinds = options.text === true ? converted.map(textKindOf) : []
    if (kinds.length > 0 && kinds.every((kind) => kind !== undefined)) {
      textWriter = new CopyTextWriter(kinds as TextKind[], options)
      readPacketsAsText(query, (bytes, start, end) => {
        if (isCancelled) return
        rowNumber++
        if (!textWriter!.row(bytes, start, end)) rejected.push(rejectedRow(packetValues(bytes, start, converted) as Row, rowNumber, converter!, converted))
        if (textWriter!.count + rejected.length >= rowsPerChunk) closeChunk()
      })
    }
  })
  query.on('result', (row: Row) => {
    // Rows only: a statement without a result set reports its OK packet here too.
    if (isCancelled || converter === undefined) return
    rowNumber++
    try {
      converter.convert(row)
      rows.push(row)
    } catch {
      rejected.push(rejectedRow(row, rowNumber, converter, converted))
    }
    if (rows.length + rejected.length >= rowsPerChunk) closeChunk()
  })
  query.on('error', (error: Error) => {
    failure = isCancelled ? error : streamError(error)
    isDone = true
    notify()
  })
  query.on('end', () => {
    if (!isCancelled && failure === undefined && rows.length + (textWriter?.count ?? 0) + rejected.length > 0) closeChunk()
    isDone = true
    notify()
  })
  // A lost connection is reported on the connection, not on a query without a callback.
  const onConnectionError = (error: Error): void => {
    if (isDone) return
    failure = isCancelled ? error : streamError(error)
    isDone = true
    notify()
  }
  raw.on('error', onConnectionError)

  let isFinished = false
  try {
    for (;;) {
      const chunk = waiting.shift()
      if (chunk !== undefined) {
        // Resumed before the chunk is handed over: while paused nothing more arrives (not even the
        // end), so a consumer that stops after this chunk never leaves the connection paused.
        if (isPaused && waiting.length < MAX_WAITING_CHUNKS) {
          isPaused = false
          raw.resume()
        }
        yield chunk
        continue
      }
      if (isDone) {
        isFinished = true
        if (failure !== undefined) throw failure
        return
      }
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    if (!isFinished && !isDone) {
      isCancelled = true
      waiting.length = 0
      await cancel(session, () => isDone, (resolve) => (wake = resolve))
    }
    raw.removeListener('error', onConnectionError)
  }
}

interface RowPacket {
  readonly buffer: Buffer
  readonly offset: number
  readonly end: number
  isEOF(): boolean
}

type PacketHandler = (packet: RowPacket, connection: unknown) => unknown

/**
 * Has the query hand each row packet's bytes to `onRow` instead of parsing it into a row. mysql2's
 * Query reads a result's rows in its `row` state, looked up on the command (`this.row`) once the
 * column definitions are read, which is when 'fields' is emitted: an own `row` then takes the rows,
 * and the end of the result (EOF or OK packet) goes to mysql2's own. Tested against the mysql2
 * version in package-lock.json by the MySQL integration tests.
 */
function readPacketsAsText(query: Query, onRow: (bytes: Buffer, start: number, end: number) => void): void {
  const own = query as unknown as { row: PacketHandler }
  const parsing = (Object.getPrototypeOf(query) as { row: PacketHandler }).row
  own.row = function (this: unknown, packet: RowPacket, connection: unknown): unknown {
    if (packet.isEOF()) return parsing.call(this, packet, connection)
    onRow(packet.buffer, packet.offset, packet.end)
    return own.row
  }
}

/** Stops the running query and waits until its end has been read, or drops the connection. */
async function cancel(session: StreamSession, isDone: () => boolean, onWake: (resolve: Waiter) => void): Promise<void> {
  const raw = session.raw
  try {
    await session.killQuery()
  } catch (error) {
    session.destroy(new TransientError('mysql.cancelled', 'the connection was closed to stop a query that could not be killed', { cause: error }))
    return
  }
  raw.resume()
  const drained = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), CANCEL_DRAIN_MS)
    const check = (): void => {
      if (isDone()) {
        clearTimeout(timer)
        resolve(true)
      } else onWake(check)
    }
    check()
  })
  if (!drained) session.destroy(new TransientError('mysql.cancelled', 'the connection was closed: a killed query did not stop in time'))
}

function streamError(error: Error): Error {
  const mapped = queryError(error, 'reading rows')
  // A connection lost in the middle of a result is transient even when mysql2 reports it as a protocol error.
  if ((error as { fatal?: boolean }).fatal === true && !(mapped instanceof TransientError)) {
    return new TransientError('mysql.connection_lost', `reading rows: the connection was lost (${error.message})`, { cause: error })
  }
  return mapped
}

/** A row that did not convert: what converts, and the raw value where it does not (typed as text in its schema). */
function rejectedRow(row: Row, rowNumber: number, converter: RowConverter, columns: readonly ConvertedColumn[]): RejectedRecord {
  const { failed, errors } = converter.convertLeniently(row)
  const schemaColumns: Column[] = columns.map((c, i) => {
    if (!failed.includes(i)) return c.wanted
    const raw = row[i]
    if (raw instanceof Uint8Array) return { name: c.wanted.name, type: 'bytes' }
    if (typeof raw !== 'string') row[i] = raw === null || raw === undefined ? null : String(raw)
    return { name: c.wanted.name, type: 'string' }
  })
  return { record: row, schema: { columns: schemaColumns }, error: errors[0], location: `row ${rowNumber} of the result` }
}
