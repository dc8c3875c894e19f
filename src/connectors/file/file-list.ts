/**
 * The files an input reads: one path, or a glob (`data/*.csv`; `**` matches across folders), in
 * sorted order so that a run and its resumption see the same sequence.
 */
import { stat } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { glob, isDynamicPattern } from 'tinyglobby'
import { ConfigError } from '../../core/errors.js'

export interface ListedFile {
  /** As matched: relative to the working directory when the pattern is. Positions name files by it. */
  readonly path: string
  readonly size: number
  /** Decompressed while read (`.gz`). */
  readonly isGzip: boolean
}

export async function listFiles(pattern: string): Promise<ListedFile[]> {
  let paths: string[]
  if (isDynamicPattern(pattern)) {
    paths = await glob(pattern, { onlyFiles: true, absolute: isAbsolute(pattern), expandDirectories: false, dot: false })
    if (paths.length === 0) {
      throw new ConfigError('file.no_match', `no file matches "${pattern}"`, { path: 'path', hint: `relative paths start at ${process.cwd()}` })
    }
    // Plain code-unit order: the same on every machine, whatever its locale.
    paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  } else {
    paths = [pattern]
  }
  return Promise.all(
    paths.map(async (path) => {
      const stats = await statFile(path)
      return { path, size: stats.size, isGzip: /\.gz$/i.test(path) }
    }),
  )
}

async function statFile(path: string): Promise<{ size: number }> {
  try {
    const stats = await stat(path)
    if (stats.isDirectory()) {
      throw new ConfigError('file.is_directory', `"${path}" is a directory`, { path: 'path', hint: `to read the files in it, use a glob such as "${path.replace(/\/$/, '')}/*.csv"` })
    }
    return stats
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError('file.not_found', `file "${path}" does not exist`, { path: 'path', hint: `relative paths start at ${process.cwd()}`, cause: error })
    }
    throw error
  }
}
