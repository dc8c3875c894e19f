/**
 * Checkpoints of `fustor run`, one JSON file per pipeline file under FUSTOR_HOME/checkpoints/.
 * A checkpoint holds the input position, what each output's `commit` returned and each stateful
 * processor's snapshot, all taken at the same barrier (invariant 1): resuming from it continues
 * exactly after the last durable record. Written to a temporary file, fsynced and renamed, so that
 * a crash leaves either the old checkpoint or the new one.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { Position } from '../core/batch.js'
import { ConfigError } from '../core/errors.js'
import type { JsonValue } from '../core/schema.js'

export const CHECKPOINT_VERSION = 1

export interface RunCounters {
  read: number
  written: number
  failed: number
  bytes: number
}

export interface Checkpoint {
  readonly version: number
  /** Absolute path of the pipeline file. */
  readonly pipeline: string
  /** Hash of the pipeline file's text when the run started. */
  readonly config_hash: string
  readonly run_id: string
  readonly started_at: string
  readonly updated_at: string
  /** running: the run was interrupted or crashed; finishing: everything is written, outputs are being published. */
  readonly status: 'running' | 'finishing'
  readonly input: { readonly position: Position }
  /** `commit()` states by output config path (`output`, `settings.dead_letter`...). */
  readonly outputs: Readonly<Record<string, JsonValue>>
  /** `snapshot()` states by processor config path. */
  readonly processors: Readonly<Record<string, JsonValue>>
  /** Status finishing: the outputs (config paths) already published by `finish()`. A resume does not
   * open or finish them again: their part files are gone, renamed into place. */
  readonly finished?: readonly string[]
  readonly counters: RunCounters
}

/** Where a finished run ended: the next run of the same file starts incremental reads above it. */
export interface LastRun {
  readonly run_id: string
  readonly finished_at: string
  readonly position: Position
}

export class CheckpointStore {
  readonly directory: string

  constructor(home: string) {
    this.directory = join(home, 'checkpoints')
  }

  /** The checkpoint file of a pipeline file: `<name>-<hash of its absolute path>.json`. */
  pathFor(pipelineFile: string): string {
    const absolute = resolve(pipelineFile)
    const digest = createHash('sha256').update(absolute).digest('hex').slice(0, 12)
    return join(this.directory, `${basename(absolute).replace(/\.ya?ml$/, '')}-${digest}.json`)
  }

  async load(pipelineFile: string): Promise<Checkpoint | undefined> {
    const path = this.pathFor(pipelineFile)
    const text = await readIfExists(path)
    if (text === undefined) return undefined
    let checkpoint: Checkpoint
    try {
      checkpoint = JSON.parse(text) as Checkpoint
    } catch (error) {
      throw new ConfigError('checkpoint.corrupt', `checkpoint ${path} is not valid JSON`, { cause: error, hint: 'delete it to start fresh' })
    }
    if (checkpoint.version !== CHECKPOINT_VERSION) {
      throw new ConfigError('checkpoint.version', `checkpoint ${path} has version ${checkpoint.version}, this fustor reads version ${CHECKPOINT_VERSION}`, {
        hint: 'finish the run with the fustor that started it, or delete the checkpoint to start fresh',
      })
    }
    return checkpoint
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    await this.writeDurably(this.pathFor(checkpoint.pipeline), checkpoint)
  }

  /** Written aside, fsynced and renamed: a crash leaves the old file or the new one. */
  private async writeDurably(path: string, value: unknown): Promise<void> {
    await mkdir(dirname(path), { recursive: true })
    const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`
    const handle = await open(temporary, 'w')
    try {
      await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, path)
    // The rename is durable only once the directory is: the input is acknowledged right after.
    await syncDirectory(dirname(path))
  }

  /** Where the last finished run of a pipeline file ended (incremental inputs), if one did. */
  async loadLastRun(pipelineFile: string): Promise<Position | undefined> {
    const path = this.lastRunPathFor(pipelineFile)
    const text = await readIfExists(path)
    if (text === undefined) return undefined
    try {
      return (JSON.parse(text) as LastRun).position
    } catch (error) {
      throw new ConfigError('checkpoint.corrupt', `${path} is not valid JSON`, { cause: error, hint: 'delete it (the next run then reads everything again), or run with --full-refresh' })
    }
  }

  async saveLastRun(pipelineFile: string, lastRun: LastRun): Promise<void> {
    await this.writeDurably(this.lastRunPathFor(pipelineFile), { pipeline: resolve(pipelineFile), ...lastRun })
  }

  /** FUSTOR_HOME/last_run/<name>-<hash>.json: named as the checkpoint, kept after it is removed. */
  lastRunPathFor(pipelineFile: string): string {
    return join(dirname(this.directory), 'last_run', basename(this.pathFor(pipelineFile)))
  }

  async remove(pipelineFile: string): Promise<void> {
    await rm(this.pathFor(pipelineFile), { force: true })
  }
}

/** A file's text, or undefined when there is no such file. */
async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    // Some platforms cannot open a directory; the rename is then as durable as they make it.
    if (['EISDIR', 'EPERM', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')) return
    throw error
  }
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
