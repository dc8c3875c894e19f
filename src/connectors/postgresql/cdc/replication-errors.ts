/**
 * The `postgresql_cdc` input's errors, from what the replication connection reports.
 *
 *   42704 replication slot does not exist, 55000 slot invalidated / cannot get changes
 *                                      -> FatalError postgresql_cdc.position_lost (a snapshot step reacts)
 *   55006 slot active for another PID  -> TransientError postgresql_cdc.slot_in_use (the other reader may be stopping)
 *   57P01 walsender terminated, a lost socket, the stream ending
 *                                      -> TransientError (reconnected with backoff)
 *   anything else                      -> postgresql-errors.ts `queryError`, else FatalError postgresql_cdc.stream_failed
 */
import pg from 'pg'
import { FatalError, FustorError, TransientError, errorMessage } from '../../../core/errors.js'
import { queryError, type ErrorPlace } from '../postgresql-errors.js'

export function positionLost(message: string, cause?: unknown): FatalError {
  return new FatalError('postgresql_cdc.position_lost', message, {
    cause,
    hint: 'the slot (and the WAL it kept) is gone: take a new snapshot, then start without --resume (a new slot is created)',
  })
}

export function streamError(error: unknown, place: ErrorPlace, slot: string): unknown {
  if (error instanceof FustorError) return error
  const where = `${place.server}/${place.database}`
  if (error instanceof pg.DatabaseError) {
    const message = error.message
    if (error.code === '42704' && /replication slot/i.test(message)) return positionLost(`replication slot "${slot}" no longer exists in ${where}: ${message}`, error)
    if (error.code === '55000' && /slot|WAL/i.test(message)) return positionLost(`replication slot "${slot}" in ${where} cannot send its changes any more: ${message}`, error)
    if (error.code === '55006') {
      return new TransientError('postgresql_cdc.slot_in_use', `replication slot "${slot}" in ${where} is in use by another connection: ${message}`, {
        cause: error,
        hint: 'each pipeline needs its own slot: set `slot`',
      })
    }
    if (error.code === '57P01' || error.code === '57P02' || error.code === '57P03') {
      return new TransientError('postgresql_cdc.connection_lost', `the replication connection to ${where} was ended: ${message}`, { cause: error })
    }
    return queryError(error, place)
  }
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' || /terminated|closed|ended|ECONN/i.test(errorMessage(error))) {
    return new TransientError('postgresql_cdc.connection_lost', `the replication connection to ${where} was lost: ${errorMessage(error)}`, { cause: error })
  }
  return new FatalError('postgresql_cdc.stream_failed', `reading the replication stream of ${where}: ${errorMessage(error)}`, { cause: error })
}
