/**
 * The `fs` input on the real file system, in a temp directory: snapshot, realtime changes, audit,
 * resume, config errors and a burst of 10,000 files. Waits poll for the expected events.
 */
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import YAML from 'yaml'
import { configure, inputContext } from '../../../test/component-harness.js'
import type { Position } from '../../core/batch.js'
import type { InputContext } from '../../core/component.js'
import { FatalError } from '../../core/errors.js'
import type { Row } from '../../core/schema.js'
import { FS_EVENT_SCHEMA, FsInput, fsInput } from './fs-input.js'
import { MAX_FILES_IN_POSITION } from './fs-position.js'

interface Event {
  op: string
  path: string
  size: bigint
  source: string
}

const COLUMN = Object.fromEntries(FS_EVENT_SCHEMA.columns.map((column, i) => [column.name, i]))

function event(row: Row): Event {
  return { op: row[COLUMN.__op] as string, path: row[COLUMN.path] as string, size: row[COLUMN.size] as bigint, source: row[COLUMN.message_source] as string }
}

/** An input reading in the background: `events` grows as batches come. */
class Reader {
  readonly events: Event[] = []
  readonly positions: Position[] = []
  /** The reading loop, started once the input is open. */
  done: Promise<void>
  private readonly controller = new AbortController()
  readonly input: FsInput

  private constructor(config: Record<string, unknown>, context: Partial<InputContext>) {
    this.input = fsInput.create(configure(fsInput, config), inputContext({ signal: this.controller.signal, lingerMs: 20, ...context })) as FsInput
    this.done = Promise.resolve()
  }

  static async start(config: Record<string, unknown>, context: Partial<InputContext> = {}): Promise<Reader> {
    const reader = new Reader(config, context)
    await reader.input.open()
    reader.done = reader.loop()
    return reader
  }

  private async loop(): Promise<void> {
    for (;;) {
      const batch = await this.input.read()
      if (batch === null) return
      expect(batch.schema).toBe(FS_EVENT_SCHEMA)
      this.events.push(...batch.rows.map(event))
      this.positions.push(batch.position)
    }
  }

  /** Polls until `predicate` holds for the events so far (5 s at most). */
  async until(predicate: (events: Event[]) => boolean, timeoutMs = 5000): Promise<Event[]> {
    const deadline = Date.now() + timeoutMs
    while (!predicate(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out; events: ${JSON.stringify(this.events, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return this.events
  }

  /** Takes the events so far. */
  drain(): Event[] {
    return this.events.splice(0)
  }

  async stop(): Promise<void> {
    this.controller.abort()
    await this.input.close()
    await this.done
  }
}

let dirs: string[] = []
let readers: Reader[] = []

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fustor-fs-'))
  dirs.push(dir)
  return dir
}

async function start(config: Record<string, unknown>, context: Partial<InputContext> = {}): Promise<Reader> {
  const reader = await Reader.start(config, context)
  readers.push(reader)
  return reader
}

afterEach(async () => {
  for (const reader of readers) await reader.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  readers = []
  dirs = []
})

const byPath = (a: Event, b: Event): number => a.path.localeCompare(b.path)
const has = (op: string, path: string, source = 'realtime') => (events: Event[]) => events.some((e) => e.op === op && e.path === path && e.source === source)

function tree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
}

describe('fs input', () => {
  test('snapshot of an existing tree with a pattern, hidden files left out, then the end with watch: false', async () => {
    const root = tempDir()
    tree(root, { 'a.csv': 'x', 'b.txt': 'yy', 'sub/c.csv': 'zzz', 'sub/deep/d.csv': '1234', '.hidden.csv': 'h', '.git/e.csv': 'g' })
    const reader = await start({ path: root, file_pattern: '*.csv', watch: false })
    await reader.until(() => false, 0).catch(() => undefined)
    await reader.done
    expect(reader.events.sort(byPath)).toEqual([
      { op: 'read', path: 'a.csv', size: 1n, source: 'snapshot' },
      { op: 'read', path: 'sub/c.csv', size: 3n, source: 'snapshot' },
      { op: 'read', path: 'sub/deep/d.csv', size: 4n, source: 'snapshot' },
    ])
    const withHidden = await start({ path: root, file_pattern: '*.csv', watch: false, include_hidden: true, recursive: false })
    await (withHidden as unknown as { done: Promise<void> }).done
    expect(withHidden.events.map((e) => e.path).sort()).toEqual(['.hidden.csv', 'a.csv'])
  })

  test('a change event row: key, source, before image, timestamps', async () => {
    const root = tempDir()
    tree(root, { 'a.txt': 'abc' })
    utimesSync(join(root, 'a.txt'), 1_700_000_000.25, 1_700_000_000.25)
    const reader = await start({ path: root })
    await reader.until((events) => events.length === 1)
    unlinkSync(join(root, 'a.txt'))
    await reader.until(has('delete', 'a.txt'))
    const rows: Row[] = []
    const input = fsInput.create(configure(fsInput, { path: root, watch: false }), inputContext())
    tree(root, { 'b.txt': 'hello' })
    await input.open()
    rows.push(...(await input.read())!.rows)
    await input.close()
    expect(rows[0].slice(0, 2)).toEqual(['read', root])
    expect(rows[0][COLUMN.__key]).toEqual({ path: 'b.txt' })
    expect(rows[0][COLUMN.__position]).toMatchObject({ root, events: 1 })
    expect(typeof rows[0][COLUMN.modified_at]).toBe('string')
  })

  test('realtime: create, modify (chunks coalesce), delete, move, a new subdirectory, hidden files left out', async () => {
    const root = tempDir()
    // snapshot: false learns the (empty) tree in open(): a file written next is the watchers'.
    const reader = await start({ path: root, audit_interval: '0', snapshot: false })
    writeFileSync(join(root, 'a.txt'), 'hello')
    await reader.until(has('insert', 'a.txt'))
    expect(reader.drain()).toEqual([{ op: 'insert', path: 'a.txt', size: 5n, source: 'realtime' }])

    // Ten appends in a row: one update with the final size.
    for (let i = 0; i < 10; i++) appendFileSync(join(root, 'a.txt'), '0123456789')
    await reader.until((events) => events.some((e) => e.size === 105n))
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(reader.drain()).toEqual([{ op: 'update', path: 'a.txt', size: 105n, source: 'realtime' }])

    renameSync(join(root, 'a.txt'), join(root, 'b.txt'))
    await reader.until((events) => events.length === 2)
    expect(reader.drain().sort(byPath)).toEqual([
      { op: 'delete', path: 'a.txt', size: 105n, source: 'realtime' },
      { op: 'insert', path: 'b.txt', size: 105n, source: 'realtime' },
    ])

    mkdirSync(join(root, 'sub/deeper'), { recursive: true })
    writeFileSync(join(root, 'sub/deeper/c.txt'), 'c')
    writeFileSync(join(root, 'sub/.secret'), 's')
    mkdirSync(join(root, '.cache'))
    writeFileSync(join(root, '.cache/x.txt'), 'x')
    await reader.until(has('insert', 'sub/deeper/c.txt'))
    writeFileSync(join(root, 'sub/deeper/d.txt'), 'dd')
    await reader.until(has('insert', 'sub/deeper/d.txt'))
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(reader.drain().map((e) => e.path).sort()).toEqual(['sub/deeper/c.txt', 'sub/deeper/d.txt'])

    // A directory moved: its files move; deleted: its files are deleted.
    renameSync(join(root, 'sub'), join(root, 'moved'))
    await reader.until((events) => events.length === 4)
    expect(reader.drain().map((e) => `${e.op} ${e.path}`).sort()).toEqual([
      'delete sub/deeper/c.txt',
      'delete sub/deeper/d.txt',
      'insert moved/deeper/c.txt',
      'insert moved/deeper/d.txt',
    ])
    writeFileSync(join(root, 'moved/deeper/e.txt'), 'e')
    await reader.until(has('insert', 'moved/deeper/e.txt'))
    reader.drain()
    rmSync(join(root, 'moved'), { recursive: true })
    unlinkSync(join(root, 'b.txt'))
    await reader.until((events) => events.length === 4)
    expect(reader.drain().map((e) => `${e.op} ${e.path}`).sort()).toEqual(['delete b.txt', 'delete moved/deeper/c.txt', 'delete moved/deeper/d.txt', 'delete moved/deeper/e.txt'])
  })

  test('audit: finds what changed while the watchers were not looking', async () => {
    const root = tempDir()
    tree(root, { 'keep.txt': 'k', 'change.txt': 'c', 'gone.txt': 'g' })
    const reader = await start({ path: root, audit_interval: '300ms' })
    await reader.until((events) => events.length === 3)
    reader.drain()
    // Close the watchers: what happens now only an audit can see.
    const tree_ = (reader.input as unknown as { tree: { close(): void } }).tree
    tree_.close()
    writeFileSync(join(root, 'change.txt'), 'changed')
    unlinkSync(join(root, 'gone.txt'))
    writeFileSync(join(root, 'new.txt'), 'n')
    await reader.until((events) => events.length === 3, 3000)
    expect(reader.drain().sort(byPath)).toEqual([
      { op: 'update', path: 'change.txt', size: 7n, source: 'audit' },
      { op: 'delete', path: 'gone.txt', size: 1n, source: 'audit' },
      { op: 'insert', path: 'new.txt', size: 1n, source: 'audit' },
    ])
  })

  test('resume: with the saved files, only what changed while stopped; without, a full snapshot', async () => {
    const root = tempDir()
    tree(root, { 'keep.txt': 'k', 'change.txt': 'c', 'gone.txt': 'g' })
    const first = await start({ path: root, audit_interval: '0' })
    await first.until((events) => events.length === 3)
    await first.stop()
    const position = first.positions.at(-1)!
    expect(position).toMatchObject({ root, events: 3, files: { 'keep.txt': [1, expect.any(Number)] } })

    writeFileSync(join(root, 'change.txt'), 'changed')
    unlinkSync(join(root, 'gone.txt'))
    writeFileSync(join(root, 'new.txt'), 'n')
    const resumed = await start({ path: root, audit_interval: '0' }, { resumeFrom: position })
    await resumed.until((events) => events.length === 3)
    expect(resumed.events.sort(byPath)).toEqual([
      { op: 'update', path: 'change.txt', size: 7n, source: 'snapshot' },
      { op: 'delete', path: 'gone.txt', size: 1n, source: 'snapshot' },
      { op: 'insert', path: 'new.txt', size: 1n, source: 'snapshot' },
    ])
    expect(resumed.positions.at(-1)).toMatchObject({ events: 6 })

    // A position without files (a tree above MAX_FILES_IN_POSITION): a full snapshot again.
    const { files: _files, ...bare } = position as Record<string, unknown>
    const full = await start({ path: root, audit_interval: '0' }, { resumeFrom: bare as Position })
    await full.until((events) => events.length === 3)
    expect(full.events.map((e) => `${e.op} ${e.path} ${e.source}`).sort()).toEqual(['read change.txt snapshot', 'read keep.txt snapshot', 'read new.txt snapshot'])

    expect(() => fsInput.create(configure(fsInput, { path: root }), inputContext({ resumeFrom: { next: 5 } }))).toThrow(FatalError)
    expect(() => fsInput.create(configure(fsInput, { path: root }), inputContext({ resumeFrom: { next: 5 } }))).toThrow(expect.objectContaining({ code: 'fs.position_invalid' }))
  })

  test('snapshot: false reports only later changes, as updates and deletes of the files it found', async () => {
    const root = tempDir()
    tree(root, { 'a.txt': 'a', 'b.txt': 'b' })
    const reader = await start({ path: root, snapshot: false, audit_interval: '0' })
    writeFileSync(join(root, 'a.txt'), 'aa')
    unlinkSync(join(root, 'b.txt'))
    await reader.until((events) => events.length === 2)
    expect(reader.events.sort(byPath)).toEqual([
      { op: 'update', path: 'a.txt', size: 2n, source: 'realtime' },
      { op: 'delete', path: 'b.txt', size: 1n, source: 'realtime' },
    ])
  })

  test('config errors name the field', async () => {
    const root = tempDir()
    writeFileSync(join(root, 'file.txt'), 'x')
    // A missing path is refused by the config schema (the loader's validation), naming the field.
    expect(() => configure(fsInput, {})).toThrow(/path/)
    const openError = async (config: Record<string, unknown>) => {
      const input = fsInput.create(configure(fsInput, config), inputContext())
      try {
        await input.open()
        return undefined
      } catch (error) {
        return error
      } finally {
        await input.close()
      }
    }
    expect(() => fsInput.create(configure(fsInput, { path: ' ' }), inputContext())).toThrow(expect.objectContaining({ code: 'fs.path_missing', path: 'path' }))
    expect(() => fsInput.create(configure(fsInput, { path: root, file_pattern: '*.{a' }), inputContext())).toThrow(expect.objectContaining({ code: 'fs.invalid_pattern' }))
    expect(() => configure(fsInput, { path: root, audit_interval: 'soon' })).toThrow()
    expect(await openError({ path: join(root, 'file.txt') })).toMatchObject({ code: 'fs.not_a_directory', path: 'path' })
    expect(await openError({ path: join(root, 'missing') })).toMatchObject({ code: 'fs.path_not_found', path: 'path' })
  })

  test('the examples are valid configs', () => {
    for (const example of fsInput.examples) {
      const parsed = YAML.parse(example.yaml.replace(/^#.*\n/, '')) as { input: { config: unknown } }
      expect(() => configure(fsInput, parsed.input.config)).not.toThrow()
    }
  })

  test(`10,000 files created in a burst are all reported (positions carry files up to ${MAX_FILES_IN_POSITION})`, async () => {
    const root = tempDir()
    mkdirSync(join(root, 'a'))
    mkdirSync(join(root, 'b'))
    // No snapshot (the known state is learnt in open): every event comes from the watchers, or from
    // the audit that follows a burst large enough to overflow the kernel's queue.
    const reader = await start({ path: root, audit_interval: '0', snapshot: false })
    const startMs = Date.now()
    // Written synchronously: the event loop is blocked meanwhile, the worst case for the kernel's queue.
    for (let i = 0; i < 10_000; i++) writeFileSync(join(root, i % 2 ? 'a' : 'b', `f${i}.txt`), 'x')
    const writtenMs = Date.now() - startMs
    await reader.until((events) => new Set(events.map((e) => e.path)).size === 10_000, 30_000)
    const tookMs = Date.now() - startMs
    const bySource = reader.events.reduce<Record<string, number>>((counts, e) => ({ ...counts, [e.source]: (counts[e.source] ?? 0) + 1 }), {})
    console.log(`fs: 10,000 files written in ${writtenMs} ms, all reported after ${tookMs} ms`, bySource)
    expect(reader.events.every((e) => e.op === 'insert')).toBe(true)
    expect(reader.events.length).toBe(10_000)
    expect(reader.positions.at(-1)).not.toHaveProperty('files')
  }, 60_000)
})
