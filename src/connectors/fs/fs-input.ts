/**
 * The `fs` input: the files under a directory and their changes (Fustor Agent's filesystem source,
 * seed 001). A startup scan (`snapshot`), the OS watchers (`realtime`) and periodic scans that find
 * what the watchers missed (`audit`) all compare the disk with the known state in watched-tree.ts;
 * every difference is a change event (core/change-event.ts) of one fixed file schema, tagged with its
 * `message_source`. fs-position.ts says what a position holds and how `--resume` uses it.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import Type, { type Static } from 'typebox'
import type { InputBatch, Position } from '../../core/batch.js'
import { changeEventRow, changeEventSchema, type ChangeSource } from '../../core/change-event.js'
import { defineInput, type Input, type InputContext } from '../../core/component.js'
import { DURATION_SCHEMA_PATTERN, parseDuration } from '../../core/duration.js'
import { ConfigError } from '../../core/errors.js'
import type { Row, Schema } from '../../core/schema.js'
import { epochMicrosToTimestamptz } from '../../core/temporal.js'
import { FilePattern } from './file-pattern.js'
import { MAX_FILES_IN_POSITION, parseFsPosition, type FsPosition } from './fs-position.js'
import { TreeScan, WatchedTree, type FileChange, type KnownFile } from './watched-tree.js'

/** The table every change event describes: one row per file. */
export const FILE_SCHEMA: Schema = {
  columns: [
    { name: 'path', type: 'string', nullable: false },
    { name: 'size', type: 'bigint', nullable: false },
    { name: 'modified_at', type: 'timestamptz', nullable: false },
    { name: 'message_source', type: 'string', nullable: false },
  ],
  primaryKey: ['path'],
}

export const FS_EVENT_SCHEMA: Schema = changeEventSchema(FILE_SCHEMA)

/** Watcher notifications after which, once they stop, an audit runs: the kernel drops events when
 * its queue (fs.inotify.max_queued_events, 16384 by default) overflows, and Node does not say so. */
export const BURST_AUDIT_NOTIFICATIONS = 4096
/** How quiet the watchers must be before that audit. */
const BURST_QUIET_MS = 200

const config = Type.Object({
  path: Type.String({
    description: 'The directory to watch, absolute or relative to the working directory.',
    examples: ['/data/research', 'inbox'],
  }),
  file_pattern: Type.String({
    description:
      'Which files are reported: a glob matched against the path relative to `path`. Without `/` it matches the file name at any depth (`*.csv`); with `/` the whole relative path, where `*` and `?` stay in one directory and `**` spans several (`reports/**/*.pdf`). `{a,b}` and `[abc]` work too.',
    default: '*',
    examples: ['*.csv', 'reports/**/*.{pdf,docx}'],
  }),
  recursive: Type.Boolean({ description: 'Whether subdirectories are watched too.', default: true }),
  snapshot: Type.Boolean({
    description: 'Whether a fresh run first reports every existing file (`__op` read, `message_source` snapshot). When false, only changes from the start on are reported.',
    default: true,
  }),
  watch: Type.Boolean({
    description: 'Whether to keep watching after the snapshot. When false the input ends once the snapshot is delivered: a listing of the files.',
    default: true,
  }),
  audit_interval: Type.String({
    description: 'How often the whole tree is scanned again to find changes the watchers missed (reported with `message_source` audit); `0` for never.',
    default: '10m',
    pattern: DURATION_SCHEMA_PATTERN,
    examples: ['5m', '1h', '0'],
  }),
  include_hidden: Type.Boolean({ description: 'Whether files and directories whose name starts with `.` are watched and reported.', default: false }),
})

export type FsConfig = Static<typeof config>

const DESCRIPTION = [
  'Reports the files under a directory and their changes, as change events (one row per change): the metadata',
  'columns `__op`, `__source` (the watched directory), `__commit_time` (when Fustor saw the change),',
  '`__position`, `__key` (`{"path": ...}`) and `__before` (the file before an update or delete), then `path`',
  '(relative to the directory, `/`-separated), `size`, `modified_at` and `message_source`:',
  '',
  '- `snapshot`: the scan at start. A fresh run reports every matching file with `__op` read.',
  '- `realtime`: what the OS watchers (inotify, one per directory) report, as insert, update or delete. A',
  '  file written in many chunks gives one event: a path is looked at 50 ms after its last notification',
  '  (1 s at most after the first).',
  '- `audit`: every `audit_interval`, and after a burst of notifications large enough to overflow the',
  '  kernel\'s queue, the tree is scanned again and what the watchers missed is reported.',
  '',
  'A move or rename is a delete of the old path and an insert of the new one; a directory moved or deleted',
  'deletes every file under it. Only regular files are reported (not directories, symbolic links or devices).',
  'The input never ends (unless `watch: false`); stop it with Ctrl-C or `fustor stop`.',
  '',
  'Position: the directory, the run\'s start and its event count, plus the known files while there are at most',
  `${MAX_FILES_IN_POSITION}. \`fustor run --resume\` scans again: with the saved files it reports only what changed`,
  'while stopped (deletes included, as snapshot); for a larger tree it reports every file again (a full snapshot).',
  'Memory holds one small entry per known file.',
].join('\n')

export const fsInput = defineInput({
  type: 'fs',
  status: 'experimental',
  summary: 'Watches a directory: file creates, changes, deletes and moves as change events, with a startup snapshot and periodic audits',
  description: DESCRIPTION,
  categories: ['file', 'cdc'],
  config,
  staticSchema: () => FS_EVENT_SCHEMA,
  examples: [
    {
      title: 'List the files of a directory',
      summary: 'One snapshot of the CSV files under `data/`, then the run ends.',
      yaml: `input:
  type: fs
  config:
    path: data
    file_pattern: "*.csv"
    watch: false
output:
  type: jsonl
  config:
    path: out/data-files.jsonl
`,
    },
    {
      title: 'Watch a research share',
      summary: 'Every file under /data/research, then its changes as they happen, with an audit every 5 minutes; deletes are kept apart.',
      yaml: `# fustor-docs: lint-only
input:
  type: fs
  config:
    path: /data/research
    file_pattern: "**/*.{h5,csv,parquet}"
    audit_interval: 5m
pipeline:
  processors:
    - type: filter
      config:
        condition: __op != 'delete'
output:
  type: jsonl
  config:
    path: out/research-files.jsonl
`,
    },
  ],
  create: (cfg, ctx) => {
    if (cfg.path.trim() === '') throw new ConfigError('fs.path_missing', 'path is empty: name the directory to watch', { path: 'path' })
    const auditIntervalMs = parseDuration(cfg.audit_interval)
    if (auditIntervalMs === undefined) {
      throw new ConfigError('fs.invalid_duration', `audit_interval "${cfg.audit_interval}" is not a duration`, { path: 'audit_interval', hint: 'write 30s, 5m, 1h, or 0 for never' })
    }
    const pattern = FilePattern.of(cfg.file_pattern)
    const resumeFrom = ctx.resumeFrom === undefined || ctx.resumeFrom === null ? undefined : parseFsPosition(ctx.resumeFrom)
    return new FsInput({ ...cfg, root: resolve(cfg.path), pattern, auditIntervalMs, resumeFrom }, ctx)
  },
})

interface FsInputOptions extends FsConfig {
  readonly root: string
  readonly pattern: FilePattern
  readonly auditIntervalMs: number
  readonly resumeFrom: FsPosition | undefined
}

export class FsInput implements Input {
  private tree: WatchedTree | undefined
  /** Running scans: the first is worked on; a full one (snapshot, audit) is the root's. */
  private readonly scans: TreeScan[] = []
  /** Changes found beyond a batch's room (a directory deleted at once). */
  private overflow: FileChange[] = []
  private readonly source: ChangeSource
  private readonly startedAt = new Date().toISOString()
  private eventCount = 0
  private nextAuditMs = Number.POSITIVE_INFINITY
  private wake: (() => void) | undefined
  private isClosed = false

  constructor(
    private readonly options: FsInputOptions,
    private readonly ctx: InputContext,
  ) {
    this.source = { connector: 'fs', table: options.root }
  }

  async open(): Promise<void> {
    const { root } = this.options
    let stats
    try {
      stats = await stat(root)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') throw new ConfigError('fs.path_not_found', `directory "${root}" does not exist`, { path: 'path', hint: `relative paths start at ${process.cwd()}`, cause: error })
      if (code === 'EACCES') throw new ConfigError('fs.permission_denied', `cannot read directory "${root}"`, { path: 'path', cause: error })
      throw error
    }
    if (!stats.isDirectory()) throw new ConfigError('fs.not_a_directory', `"${root}" is not a directory`, { path: 'path', hint: 'path names the directory to watch; file_pattern selects files in it' })
    const tree = new WatchedTree({
      root,
      pattern: this.options.pattern,
      isRecursive: this.options.recursive,
      includeHidden: this.options.include_hidden,
      isWatching: this.options.watch,
      logger: this.ctx.logger,
      onNotify: () => this.notify(),
    })
    this.tree = tree
    this.ctx.signal.addEventListener('abort', () => this.notify(), { once: true })
    // The root is watched before anything is scanned, so that no change falls between the two.
    tree.watchDir('')
    const resumed = this.options.resumeFrom
    let saved = resumed?.files
    if (resumed !== undefined && resumed.root !== root) {
      this.ctx.logger.warn('fs: the checkpoint is of another directory; its files are ignored', { checkpoint: resumed.root, path: root })
      saved = undefined
    }
    if (resumed !== undefined && resumed.root === root) this.eventCount = resumed.events
    if (saved !== undefined) {
      // Resumed with the files the checkpoint knew: the scan reports what changed meanwhile.
      for (const [path, [size, mtimeMs]] of Object.entries(saved)) tree.files.set(path, { size, mtimeMs, ino: 0 })
      this.scans.push(new TreeScan(tree, '', 'snapshot', false, true))
    } else if (this.options.snapshot) {
      this.scans.push(new TreeScan(tree, '', 'snapshot', true, true))
    } else {
      // No snapshot: learn the files silently, so that later changes are updates and deletes.
      const silent = new TreeScan(tree, '', 'snapshot', true, true)
      while (!silent.isDone) await silent.next(this.ctx.batchSize, [])
      this.scheduleAudit()
    }
  }

  async read(): Promise<InputBatch | null> {
    const tree = this.tree
    if (tree === undefined) throw new Error('fs: read() before open()')
    const { batchSize, lingerMs } = this.ctx
    const rows: Row[] = []
    let deadlineMs: number | undefined
    for (;;) {
      if (this.isClosed || this.ctx.signal.aborted) return null
      const failure = tree.takeFailure()
      if (failure !== undefined) throw failure
      const changes = await this.take(tree, batchSize - rows.length)
      for (const change of changes) rows.push(this.row(change))
      if (rows.length >= batchSize) break
      const nowMs = Date.now()
      if (rows.length > 0) {
        deadlineMs ??= nowMs + lingerMs
        if (nowMs >= deadlineMs) break
      }
      if (changes.length > 0 || this.scans.length > 0) continue
      if (!this.options.watch && tree.dirtyCount === 0) break
      await this.wait(this.wakeAtMs(tree, deadlineMs) - nowMs)
    }
    if (rows.length === 0) return null
    return { schema: FS_EVENT_SCHEMA, rows, position: this.position(tree, true) }
  }

  /** Up to `room` changes: a batch's overflow, then scans, then the watchers' due paths. */
  private async take(tree: WatchedTree, room: number): Promise<FileChange[]> {
    if (this.overflow.length > 0) return this.overflow.splice(0, room)
    const nowMs = Date.now()
    const hasFullScan = this.scans.some((scan) => scan.isFull)
    if (!hasFullScan && this.options.watch && (nowMs >= this.nextAuditMs || this.isBurstOver(tree, nowMs))) {
      tree.notificationCount = 0
      this.scans.push(new TreeScan(tree, '', 'audit', false, true))
    }
    let changes: FileChange[] = []
    const scan = this.scans[0]
    if (scan !== undefined) {
      changes = await scan.next(room, this.scans)
      if (scan.isDone) {
        this.scans.shift()
        if (scan.isFull) this.scheduleAudit()
      }
    } else {
      const due = tree.takeDue(nowMs, room)
      if (due.length > 0) changes = await tree.reconcileAll(due, 'realtime', false, this.scans)
    }
    if (changes.length > room) this.overflow = changes.splice(room)
    return changes
  }

  private isBurstOver(tree: WatchedTree, nowMs: number): boolean {
    return tree.notificationCount >= BURST_AUDIT_NOTIFICATIONS && tree.dirtyCount === 0 && nowMs - tree.lastNotifyMs >= BURST_QUIET_MS
  }

  private scheduleAudit(): void {
    this.nextAuditMs = this.options.auditIntervalMs > 0 ? Date.now() + this.options.auditIntervalMs : Number.POSITIVE_INFINITY
  }

  private wakeAtMs(tree: WatchedTree, deadlineMs: number | undefined): number {
    let wakeMs = Math.min(deadlineMs ?? Number.POSITIVE_INFINITY, tree.nextDueMs() ?? Number.POSITIVE_INFINITY, this.nextAuditMs)
    if (tree.notificationCount >= BURST_AUDIT_NOTIFICATIONS) wakeMs = Math.min(wakeMs, tree.lastNotifyMs + BURST_QUIET_MS)
    return wakeMs
  }

  private row(change: FileChange): Row {
    this.eventCount++
    const image = (file: KnownFile): Row => [change.path, BigInt(file.size), epochMicrosToTimestamptz(Math.round(file.mtimeMs * 1000)), change.source]
    return changeEventRow({
      operation: change.operation,
      before: change.before === null ? null : image(change.before),
      after: change.after === null ? null : image(change.after),
      key: [change.path],
      source: this.source,
      schema: FILE_SCHEMA,
      position: this.position(this.tree!, false),
      commitTime: new Date().toISOString(),
    })
  }

  /** After the last change taken; with the known files for a batch's position while they are few. */
  private position(tree: WatchedTree, withFiles: boolean): Position {
    const position: FsPosition = { root: this.options.root, started_at: this.startedAt, events: this.eventCount }
    if (!withFiles || tree.files.size > MAX_FILES_IN_POSITION) return position as unknown as Position
    const files: Record<string, [number, number]> = {}
    for (const [path, file] of tree.files) files[path] = [file.size, file.mtimeMs]
    return { ...position, files } as unknown as Position
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(done, Math.max(0, timeoutMs)) : undefined
      function done(): void {
        if (timer !== undefined) clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }

  /** Nothing to confirm: the file system keeps no reader state; the position lives in the checkpoint. */
  async ack(): Promise<void> {}

  async close(): Promise<void> {
    this.isClosed = true
    this.tree?.close()
    this.notify()
  }
}
