/**
 * The property that defines parallel writes of the csv, jsonl and json outputs: for the same batches,
 * an output fed with chunks from the definition's `encoder` (batches spread over several encoders, as
 * several workers would encode them) through `writeEncoded` makes the same file, byte for byte, and
 * the same rejections and commit states as one fed through `write`, also across a commit, a crash and
 * a resume, and when a run resumes the state of the other path.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../core/batch.js'
import type { ChunkEncoder, Output, OutputDefinition } from '../../core/component.js'
import { FatalError, RecordError } from '../../core/errors.js'
import type { JsonValue, Row, Schema } from '../../core/schema.js'
import { collectingContext, configure, outputContext, type Rejection } from '../../../test/component-harness.js'
import { csvOutput } from './csv-output.js'
import { jsonOutput } from './json-output.js'
import { jsonlOutput } from './jsonl-output.js'

let dir: string
let runs = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-encoded-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const schema: Schema = {
  columns: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'amount', type: 'decimal', precision: 10, scale: 2 },
    { name: 'at', type: 'timestamptz' },
    { name: 'tags', type: 'json' },
    { name: 'ok', type: 'bool' },
  ],
}

const NAMES = ['plain', 'with, comma', 'with "quotes"', 'line\nbreak', 'crlf\r\nbreak', '', 'ünïcödé 😀', 'tab\there', null]

function rowsFrom(from: number, count: number): Row[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i
    return [n, NAMES[n % NAMES.length], n % 5 === 0 ? null : `${n}.${String(n % 100).padStart(2, '0')}`, '2024-01-31T13:45:10.5Z', n % 3 === 0 ? { n, list: [1, 'a'] } : null, n % 2 === 0]
  })
}

/** Batches of varied sizes, an empty one first. */
function batches(): Batch[] {
  const sizes = [0, 3, 1, 7, 2, 0, 5, 4, 6, 1, 9, 2]
  let from = 1
  return sizes.map((size) => {
    const batch = { schema, rows: rowsFrom(from, size) }
    from += size
    return batch
  })
}

function output(definition: OutputDefinition, raw: Record<string, unknown>, resumeState?: JsonValue): Output {
  return definition.create(configure(definition, raw), outputContext({ resumeState }))
}

interface Written {
  states: unknown[]
  rejections: Rejection[]
}

/** Writes `parts` of batches, committing after each part. */
async function viaWrite(out: Output, parts: Batch[][], written: Written): Promise<void> {
  for (const part of parts) {
    for (const batch of part) await out.write(batch, collectingContext(written.rejections, batch.schema))
    written.states.push(await out.commit!())
  }
}

/**
 * Encodes each part's batches in groups of one to three batches, each group by the next of three
 * encoders (workers), then hands the chunks over in order; commits after each part.
 */
async function viaEncoded(definition: OutputDefinition, raw: Record<string, unknown>, out: Output, parts: Batch[][], written: Written): Promise<void> {
  const cfg = configure(definition, raw)
  const workers: ChunkEncoder[] = [definition.encoder!(cfg), definition.encoder!(cfg), definition.encoder!(cfg)]
  let turn = 0
  for (const part of parts) {
    for (let i = 0; i < part.length; ) {
      const group = part.slice(i, i + 1 + (turn % 3))
      i += group.length
      const worker = workers[turn++ % workers.length]
      for (const batch of group) worker.encode(batch, collectingContext(written.rejections, batch.schema))
      const chunk = worker.take()
      expect(chunk).toBeDefined()
      expect(worker.take()).toBeUndefined()
      // As across threads: the bytes are transferred, the schema cloned.
      const moved = { ...chunk!, bytes: structuredClone(chunk!.bytes, { transfer: [chunk!.bytes.buffer as ArrayBuffer] }), schema: structuredClone(chunk!.schema) }
      await out.writeEncoded!(moved)
    }
    written.states.push(await out.commit!())
  }
}

type Path = 'write' | 'encoded'

/**
 * Writes all batches in two parts with a crash after the first commit (more rows written, then lost)
 * and a resume from it; `first` and `second` say which path writes before and after the crash.
 */
async function run(definition: OutputDefinition, raw: Record<string, unknown>, first: Path, second: Path): Promise<{ file: string; written: Written }> {
  const path = join(dir, `run-${runs++}`, 'out.txt')
  const config = { ...raw, path }
  const all = batches()
  const written: Written = { states: [], rejections: [] }
  const write = (out: Output, parts: Batch[][], how: Path): Promise<void> =>
    how === 'write' ? viaWrite(out, parts, written) : viaEncoded(definition, config, out, parts, written)

  const before = output(definition, config)
  await before.open()
  await write(before, [all.slice(0, 4), all.slice(4, 6)], first)
  const checkpoint = written.states.at(-1) as JsonValue
  // Written after the checkpoint, then the process dies.
  await write(before, [all.slice(6, 9)], first)
  await before.close()
  written.states.pop()

  const after = output(definition, config, checkpoint)
  await after.open()
  await write(after, [all.slice(6, 10), all.slice(10)], second)
  await after.finish!()
  await after.close()
  return { file: await readFile(path, 'utf8'), written }
}

function comparable(written: Written): unknown {
  return {
    states: written.states.map((state) => ({ ...(state as Record<string, unknown>), part: undefined })),
    rejections: written.rejections.map((rejection) => [rejection.row, (rejection.error as RecordError).code, (rejection.error as RecordError).message]),
  }
}

describe.each([
  ['csv', csvOutput, {}],
  ['csv without header, CRLF, every field quoted', csvOutput, { header: false, line_end: 'crlf', quote_style: 'all', null_text: '\\N' }],
  ['csv with semicolons and an escape character', csvOutput, { delimiter: ';', escape: '\\', quote_style: 'non_numeric' }],
  ['csv without quoting (rows rejected)', csvOutput, { quote: '' }],
  ['jsonl', jsonlOutput, {}],
  ['json', jsonOutput, {}],
  ['json with decimals as strings', jsonOutput, { decimals_as_strings: true }],
] as const)('%s output: encoder + writeEncoded', (_name, definition, raw) => {
  it('writes the file write() writes, byte for byte, across a crash and a resume', async () => {
    const expected = await run(definition, raw, 'write', 'write')
    const actual = await run(definition, raw, 'encoded', 'encoded')
    expect(actual.file).toBe(expected.file)
    expect(comparable(actual.written)).toEqual(comparable(expected.written))
    expect(expected.file.length).toBeGreaterThan(500)
    // Without quoting, the names holding a delimiter or a line break cannot be written.
    expect(expected.written.rejections.length > 0).toBe('quote' in raw)
  })

  it('resumes the state of the other path', async () => {
    const expected = await run(definition, raw, 'write', 'write')
    expect((await run(definition, raw, 'write', 'encoded')).file).toBe(expected.file)
    expect((await run(definition, raw, 'encoded', 'write')).file).toBe(expected.file)
  })
})

describe('encoded chunks', () => {
  it('of empty batches still give the CSV header and the JSON array, as write() does', async () => {
    for (const [definition, expected] of [
      [csvOutput, 'id,name,amount,at,tags,ok\n'],
      [jsonOutput, '[]\n'],
      [jsonlOutput, ''],
    ] as const) {
      const path = join(dir, `empty-${runs++}.txt`)
      const out = output(definition, { path })
      await out.open()
      const encoder = definition.encoder!(configure(definition, { path }))
      encoder.encode({ schema, rows: [] }, collectingContext([]))
      const chunk = encoder.take()!
      expect(chunk.rows).toBe(0)
      await out.writeEncoded!(chunk)
      await out.commit!()
      await out.finish!()
      await out.close()
      expect(await readFile(path, 'utf8')).toBe(expected)
    }
  })

  it('stop the run when their CSV columns are not the header', async () => {
    const path = join(dir, `mismatch-${runs++}.csv`)
    const out = output(csvOutput, { path })
    await out.open()
    const encoder = csvOutput.encoder!(configure(csvOutput, { path }))
    encoder.encode({ schema, rows: rowsFrom(1, 2) }, collectingContext([]))
    await out.writeEncoded!(encoder.take()!)
    const other: Schema = { columns: [schema.columns[1], schema.columns[0]] }
    encoder.encode({ schema: other, rows: [['x', 1]] }, collectingContext([]))
    const error = await out.writeEncoded!(encoder.take()!).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(error).toBeInstanceOf(FatalError)
    expect((error as FatalError).code).toBe('csv.chunk_columns_mismatch')
    expect((error as FatalError).message).toBe(`rows encoded with columns name, id cannot be appended to ${path}, whose header has id, name, amount, at, tags, ok`)
    await out.close()
  })

  it('are single arrays of their exact bytes, each in an ArrayBuffer of its own', () => {
    const encoder = jsonlOutput.encoder!(configure(jsonlOutput, { path: 'x.jsonl' }))
    for (let i = 0; i < 3; i++) encoder.encode({ schema, rows: rowsFrom(1, 20_000) }, collectingContext([]))
    const chunk = encoder.take()!
    expect(chunk.rows).toBe(60_000)
    expect(chunk.bytes.byteOffset).toBe(0)
    expect(chunk.bytes.buffer.byteLength).toBe(chunk.bytes.length)
    expect(Buffer.from(chunk.bytes).toString('utf8').split('\n')).toHaveLength(60_001)
  })
})
