/**
 * The watched directory tree of the `fs` input: what is known of every file (one small entry per
 * file: the bound is the number of files watched, documented in README.md), one OS watcher per
 * directory, the paths the watchers flagged, and the scans. Everything that compares the disk with
 * the known state goes through `reconcile`, which stats the path now: a watcher notification, a
 * snapshot and an audit that meet on the same path report its change once, whoever comes first.
 *
 * Per-directory `fs.watch` rather than `fs.watch(root, { recursive: true })`: Node 20 implements
 * the recursive mode on Linux in JavaScript, and 10,000 files created in a burst took minutes to be
 * reported (README.md). Notifications carry no pairing (inotify's move cookie is not exposed), so a
 * move is reported as what it does to the known state: a delete of the old path and an insert of
 * the new one.
 */
import { watch, type FSWatcher, type Stats } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChangeOperation } from '../../core/change-event.js'
import type { Logger } from '../../core/component.js'
import { FatalError } from '../../core/errors.js'
import type { FilePattern } from './file-pattern.js'

export type MessageSource = 'realtime' | 'snapshot' | 'audit'

export interface KnownFile {
  readonly size: number
  readonly mtimeMs: number
  /** 0 when unknown (restored from a position). */
  readonly ino: number
}

export interface FileChange {
  readonly operation: ChangeOperation
  /** Relative to the root, `/`-separated. */
  readonly path: string
  readonly before: KnownFile | null
  readonly after: KnownFile | null
  readonly source: MessageSource
}

export interface WatchedTreeOptions {
  readonly root: string
  readonly pattern: FilePattern
  readonly isRecursive: boolean
  readonly includeHidden: boolean
  readonly isWatching: boolean
  readonly logger: Logger
  /** Called on every watcher notification (wakes a waiting reader). */
  readonly onNotify: () => void
}

/** A path is reconciled this long after its last notification (a file written in chunks: one event). */
export const DEBOUNCE_MS = 50
/** ... but no later than this after its first, so that a file written without pause still shows. */
export const MAX_DEBOUNCE_MS = 1000
/** Stats run this many at a time. */
const STAT_CONCURRENCY = 64

interface DirtyPath {
  readonly firstMs: number
  dueMs: number
}

export class WatchedTree {
  readonly files = new Map<string, KnownFile>()
  private readonly dirs = new Set<string>()
  private readonly watchers = new Map<string, FSWatcher>()
  private readonly dirty = new Map<string, DirtyPath>()
  private failure: Error | undefined
  /** Notifications since the last full scan started, and when the last one came. */
  notificationCount = 0
  lastNotifyMs = 0

  constructor(readonly options: WatchedTreeOptions) {}

  get dirtyCount(): number {
    return this.dirty.size
  }

  takeFailure(): Error | undefined {
    const failure = this.failure
    this.failure = undefined
    return failure
  }

  /** Starts watching a directory (relative path, '' for the root); idempotent. */
  watchDir(dir: string): void {
    this.dirs.add(dir)
    if (!this.options.isWatching || this.watchers.has(dir)) return
    let watcher: FSWatcher
    try {
      watcher = watch(join(this.options.root, dir), (_event, name) => this.notify(dir, name))
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // The directory went away between the listing and here: its parent's watcher reports that.
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw watchFailure(join(this.options.root, dir), error)
    }
    watcher.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'EPERM') this.unwatch(dir)
      else this.failure ??= watchFailure(join(this.options.root, dir), error)
      this.options.onNotify()
    })
    this.watchers.set(dir, watcher)
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close()
    this.watchers.delete(dir)
  }

  private notify(dir: string, name: string | Buffer | null): void {
    const now = Date.now()
    this.notificationCount++
    this.lastNotifyMs = now
    // A notification without a name (rare: an overflowing watcher) flags the directory itself.
    const path = name === null ? dir : dir === '' ? String(name) : `${dir}/${String(name)}`
    if (path !== '' && this.isVisible(path)) {
      const entry = this.dirty.get(path)
      if (entry === undefined) this.dirty.set(path, { firstMs: now, dueMs: now + DEBOUNCE_MS })
      else entry.dueMs = Math.min(now + DEBOUNCE_MS, entry.firstMs + MAX_DEBOUNCE_MS)
    }
    this.options.onNotify()
  }

  isVisible(path: string): boolean {
    return this.options.includeHidden || !path.split('/').some((segment) => segment.startsWith('.'))
  }

  /** Up to `limit` flagged paths whose debounce is over, taken out of the flagged set. */
  takeDue(nowMs: number, limit: number): string[] {
    const due: string[] = []
    for (const [path, entry] of this.dirty) {
      if (due.length >= limit) break
      if (entry.dueMs <= nowMs) {
        due.push(path)
        this.dirty.delete(path)
      }
    }
    return due
  }

  /** When the next flagged path is due, or undefined when none is flagged. */
  nextDueMs(): number | undefined {
    let next: number | undefined
    for (const entry of this.dirty.values()) if (next === undefined || entry.dueMs < next) next = entry.dueMs
    return next
  }

  /** Compares paths with the disk now; returns the changes, the known state updated. */
  async reconcileAll(paths: readonly string[], source: MessageSource, isInitial: boolean, scans: TreeScan[]): Promise<FileChange[]> {
    const changes: FileChange[] = []
    for (let i = 0; i < paths.length; i += STAT_CONCURRENCY) {
      const chunk = paths.slice(i, i + STAT_CONCURRENCY)
      const stats = await Promise.all(chunk.map((path) => lstatOrNull(join(this.options.root, path))))
      chunk.forEach((path, j) => this.reconcile(path, stats[j], source, isInitial, scans, changes))
    }
    return changes
  }

  private reconcile(path: string, stats: Stats | null, source: MessageSource, isInitial: boolean, scans: TreeScan[], changes: FileChange[]): void {
    const known = this.files.get(path)
    if (stats?.isDirectory() && path !== '') {
      if (known !== undefined) this.forget(path, known, source, changes)
      // A directory that appeared (created, or moved in): its files are new.
      if (this.options.isRecursive && !this.dirs.has(path)) scans.push(new TreeScan(this, path, source, false, false))
      return
    }
    if (stats === null || !stats.isFile()) {
      if (known !== undefined) this.forget(path, known, source, changes)
      if (stats === null && this.dirs.has(path)) this.forgetDir(path, source, changes)
      return
    }
    if (!this.options.pattern.matches(path)) return
    const now: KnownFile = { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino }
    if (known === undefined) {
      this.files.set(path, now)
      changes.push({ operation: isInitial ? 'read' : 'insert', path, before: null, after: now, source })
    } else if (known.size !== now.size || known.mtimeMs !== now.mtimeMs || (known.ino !== 0 && known.ino !== now.ino)) {
      this.files.set(path, now)
      changes.push({ operation: 'update', path, before: known, after: now, source })
    } else if (known.ino === 0) {
      this.files.set(path, now)
    }
  }

  private forget(path: string, known: KnownFile, source: MessageSource, changes: FileChange[]): void {
    this.files.delete(path)
    changes.push({ operation: 'delete', path, before: known, after: null, source })
  }

  /** A directory that went away (deleted, or moved out): every file known under it is deleted. */
  private forgetDir(dir: string, source: MessageSource, changes: FileChange[]): void {
    const prefix = `${dir}/`
    for (const watched of [...this.dirs]) {
      if (watched === dir || watched.startsWith(prefix)) {
        this.unwatch(watched)
        this.dirs.delete(watched)
      }
    }
    for (const [path, known] of [...this.files]) if (path.startsWith(prefix)) this.forget(path, known, source, changes)
  }

  /** Known files and directories not in `seen`: what a full scan did not find. */
  unseen(seenFiles: ReadonlySet<string>, seenDirs: ReadonlySet<string>): string[] {
    const paths = [...this.files.keys()].filter((path) => !seenFiles.has(path))
    for (const dir of this.dirs) if (dir !== '' && !seenDirs.has(dir)) paths.push(dir)
    return paths
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close()
    this.watchers.clear()
  }
}

/**
 * A walk of a directory and what is below it, a chunk at a time, compared with the known state.
 * A full scan (the root: snapshot, audit) also reports the known files it did not find as deleted.
 */
export class TreeScan {
  private readonly stack: string[]
  private readonly pendingFiles: string[] = []
  private readonly seenFiles: Set<string> | undefined
  private readonly seenDirs: Set<string> | undefined
  private isWalked = false
  isDone = false

  constructor(
    private readonly tree: WatchedTree,
    readonly dir: string,
    readonly source: MessageSource,
    /** A fresh snapshot: new files are `read`, not `insert`. */
    private readonly isInitial: boolean,
    readonly isFull: boolean,
  ) {
    this.stack = [dir]
    if (isFull) {
      this.seenFiles = new Set()
      this.seenDirs = new Set()
    }
  }

  /** The next changes (possibly none while the walk goes on); `isDone` once the walk is over. */
  async next(limit: number, scans: TreeScan[]): Promise<FileChange[]> {
    const tree = this.tree
    while (this.pendingFiles.length < limit && this.stack.length > 0) {
      const dir = this.stack.pop()!
      tree.watchDir(dir)
      this.seenDirs?.add(dir)
      let entries
      try {
        entries = await readdir(join(tree.options.root, dir), { withFileTypes: true })
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') continue
        if (code === 'EACCES' || code === 'EPERM') {
          tree.options.logger.warn('fs: cannot list a directory, skipped', { dir: join(tree.options.root, dir), code })
          continue
        }
        throw error
      }
      for (const entry of entries) {
        const path = dir === '' ? entry.name : `${dir}/${entry.name}`
        if (!tree.isVisible(path)) continue
        if (entry.isDirectory()) {
          if (tree.options.isRecursive) this.stack.push(path)
        } else if (entry.isFile() && tree.options.pattern.matches(path)) {
          this.pendingFiles.push(path)
          this.seenFiles?.add(path)
        }
      }
    }
    if (this.pendingFiles.length > 0) {
      return tree.reconcileAll(this.pendingFiles.splice(0, limit), this.source, this.isInitial, scans)
    }
    if (!this.isWalked) {
      this.isWalked = true
      if (this.seenFiles !== undefined && this.seenDirs !== undefined) {
        this.isDone = true
        return tree.reconcileAll(tree.unseen(this.seenFiles, this.seenDirs), this.source, false, scans)
      }
    }
    this.isDone = true
    return []
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw error
  }
}

function watchFailure(path: string, error: unknown): FatalError {
  const code = (error as NodeJS.ErrnoException).code
  const hint =
    code === 'ENOSPC'
      ? 'the inotify watch limit is reached (one watch per directory): raise fs.inotify.max_user_watches, or watch fewer directories'
      : code === 'EMFILE'
        ? 'too many open files: raise the limit (ulimit -n) or fs.inotify.max_user_instances'
        : undefined
  return new FatalError('fs.watch_failed', `cannot watch "${path}": ${(error as Error).message}`, { hint, cause: error })
}
