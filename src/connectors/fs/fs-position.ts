/**
 * The position of the `fs` input. A file system has no log to resume from, so a position says how
 * far this run got and, while the tree is small, what the files were after its last delivered event:
 *
 *   { root: "/data/in", started_at: "2024-05-01T10:00:00.000Z", events: 1234 }
 *   { root: "/data/in", started_at: "...", events: 12, files: { "a.txt": [5, 1714557600123.456] } }
 *
 * `files` maps each known file (relative path) to its size and mtime in milliseconds, and is kept
 * only while at most MAX_FILES_IN_POSITION files are known: a position is built for every batch.
 * A resumed run compares a fresh scan with `files` and emits only the differences (deletes made
 * while stopped included); without `files` (a larger tree, another root) it emits a full snapshot.
 */
import type { Position } from '../../core/batch.js'
import { FatalError } from '../../core/errors.js'

/** Above this many known files a position carries no `files` (see above). */
export const MAX_FILES_IN_POSITION = 1000

export interface FsPosition {
  /** The watched directory, absolute. */
  readonly root: string
  /** When the run that produced the position opened. */
  readonly started_at: string
  /** Events that run delivered up to here. */
  readonly events: number
  readonly files?: Readonly<Record<string, readonly [size: number, mtimeMs: number]>>
}

/** Checks a position from a checkpoint; a malformed one fails with `fs.position_invalid` (FatalError, as mysql_cdc's). */
export function parseFsPosition(value: Position): FsPosition {
  const fail = (why: string): never => {
    throw new FatalError('fs.position_invalid', `the checkpoint's fs position is invalid: ${why}`, {
      hint: 'start the run afresh without --resume',
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not an object')
  const { root, started_at: startedAt, events, files } = value as Record<string, unknown>
  if (typeof root !== 'string' || typeof startedAt !== 'string' || typeof events !== 'number') return fail('root, started_at or events missing')
  if (files === undefined) return { root, started_at: startedAt, events }
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return fail('files is not an object')
  for (const [path, entry] of Object.entries(files)) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'number' || typeof entry[1] !== 'number') {
      return fail(`files["${path}"] is not [size, mtime]`)
    }
  }
  return { root, started_at: startedAt, events, files: files as FsPosition['files'] }
}
