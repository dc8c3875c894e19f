/**
 * The property that defines split runs of the csv and jsonl inputs: for any files and config, the
 * rows, the rejected records (raw text, code, message, `file:line`) and the positions that `read()`
 * gives equal those from decoding the splits in order (positions compared at split ends), also from
 * any resume position. Split sizes are tiny here so that cuts fall everywhere: inside quoted line
 * breaks, between CR and LF, in blank lines, on malformed records.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Position, RejectedRecord } from '../../core/batch.js'
import type { InputDefinition, InputSplit } from '../../core/component.js'
import { FustorError } from '../../core/errors.js'
import type { JsonValue, Row } from '../../core/schema.js'
import { rowFormatOf } from '../../formats/format-config.js'
import { configure, inputContext, readAll } from '../../../test/component-harness.js'
import { csvInput } from './csv-input.js'
import { FileInputReader } from './file-input-reader.js'
import { jsonInput } from './json-input.js'
import { jsonlInput } from './jsonl-input.js'

let dir: string
let fileCount = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-file-splits-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function file(content: string | Buffer, name = `f${fileCount++}.csv`): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

type Kind = 'csv' | 'jsonl'
const definitions: Record<Kind, InputDefinition> = { csv: csvInput, jsonl: jsonlInput }

interface Rejection {
  record: unknown
  code: string
  message: string
  location: string | undefined
}

interface Outcome {
  rows: Row[]
  rejected: Rejection[]
  /** Position after each record (rows and rejected records together, in order). */
  positions: Position[]
}

function rejection(record: RejectedRecord): Rejection {
  expect(record.error).toBeInstanceOf(FustorError)
  const error = record.error as FustorError
  return { record: record.record, code: error.code, message: error.message, location: record.location }
}

/** What read() gives, one record per batch so that the position after every record is seen. */
async function viaRead(kind: Kind, raw: Record<string, unknown>, resumeFrom?: Position): Promise<Outcome> {
  const input = definitions[kind].create(configure(definitions[kind], raw), inputContext({ batchSize: 1, resumeFrom }))
  const result = await readAll(input)
  return { rows: result.rows, rejected: result.rejected.map(rejection), positions: result.positions }
}

interface SplitOutcome {
  rows: Row[]
  rejected: Rejection[]
  /** For each split: records decoded up to its end, and its position. */
  ends: { records: number; position: Position }[]
}

/** What the splits give, each crossing a simulated thread boundary (payload transferred, context as JSON). */
async function viaSplits(kind: Kind, raw: Record<string, unknown>, splitBytes: number, resumeFrom?: Position, batchSize = 3): Promise<SplitOutcome> {
  const definition = definitions[kind]
  const cfg = configure(definition, raw)
  const reader = new FileInputReader(rowFormatOf(kind, cfg), cfg.path, cfg.infer_sample_rows, inputContext({ resumeFrom }), splitBytes)
  await reader.open()
  const outcome: SplitOutcome = { rows: [], rejected: [], ends: [] }
  try {
    const source = reader.splits()
    expect(source).toBeDefined()
    let records = 0
    for (let split = await source!.next(); split !== null; split = await source!.next()) {
      const crossed = crossThreads(split)
      let splitRecords = 0
      definition.decodeSplit!(cfg, crossed, batchSize, {
        rows(batch) {
          expect(batch.rows.length).toBeLessThanOrEqual(batchSize)
          outcome.rows.push(...batch.rows)
          splitRecords += batch.rows.length
        },
        rejected(record) {
          outcome.rejected.push(rejection(record))
          splitRecords++
        },
      })
      // Every split holds at least one record: a split of blank lines only would be wasted.
      expect(splitRecords).toBeGreaterThan(0)
      records += splitRecords
      outcome.ends.push({ records, position: split.position })
    }
  } finally {
    await reader.close()
  }
  return outcome
}

function crossThreads(split: InputSplit): Pick<InputSplit, 'payload' | 'context'> {
  const payload = split.payload as Uint8Array
  expect(payload).toBeInstanceOf(Uint8Array)
  expect(split.bytes).toBeGreaterThanOrEqual(payload.length)
  // Transferring detaches the source's buffer: the source must not touch it again.
  const moved = structuredClone(payload, { transfer: [payload.buffer as ArrayBuffer] })
  return { payload: moved, context: JSON.parse(JSON.stringify(split.context)) as JsonValue }
}

/** Asserts the property for one config, from the start and from resume positions. */
async function expectSameAsRead(kind: Kind, raw: Record<string, unknown>, splitSizes: readonly number[], resumeEvery = 0): Promise<void> {
  const expected = await viaRead(kind, raw)
  for (const splitBytes of splitSizes) {
    const actual = await viaSplits(kind, raw, splitBytes)
    expect(actual.rows, `rows with ${splitBytes}-byte splits`).toEqual(expected.rows)
    expect(actual.rejected, `rejected with ${splitBytes}-byte splits`).toEqual(expected.rejected)
    expect(actual.ends.map((end) => end.position)).toEqual(actual.ends.map((end) => expected.positions[end.records - 1]))
    expect(actual.ends.at(-1)?.records ?? 0).toBe(expected.positions.length)
  }
  if (resumeEvery > 0) {
    for (let k = 0; k < expected.positions.length; k += resumeEvery) {
      const from = expected.positions[k]
      const rest = await viaRead(kind, raw, from)
      expect(rest.rows).toEqual(expected.rows.slice(expected.rows.length - rest.rows.length))
      const actual = await viaSplits(kind, raw, splitSizes[0], from)
      expect(actual.rows, `rows resumed from ${JSON.stringify(from)}`).toEqual(rest.rows)
      expect(actual.rejected).toEqual(rest.rejected)
      expect(actual.ends.map((end) => end.position)).toEqual(actual.ends.map((end) => rest.positions[end.records - 1]))
    }
  }
}

// ------------------------------------------------------------------------------------ generated files

/** mulberry32: small, seeded, good enough to pick cases. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface CsvShape {
  delimiter: string
  quote: string
  escape: string
  isMalformedAllowed: boolean
  bareQuotesAllowed: boolean
}

function csvField(pick: () => number, shape: CsvShape): string {
  const { delimiter: d, quote: q, escape: e } = shape
  const plain = ['abc', '42', '', 'é à', '😀x', ' spaced ', 'ünï', '-7.5']
  const quoted =
    q === ''
      ? []
      : [
          `${q}a${d}b${q}`,
          `${q}two\nlines${q}`,
          `${q}crlf\r\ninside${q}`,
          `${q}\n${q}`,
          `${q}${q}`,
          `${q}${q}${q}${q}`,
          `${q}say ${q}${q}hi${q}${q}${q}`,
          `${q}ends with cr\r${q}`,
          `${q}\n\n\n${q}`,
          // An escaped quote before a line break: read as a closing quote, the record would end at that line break.
          ...(e !== '' ? [`${q}esc ${e}${q} quote${q}`, `${q}esc ${e}${e} self${q}`, `${q}esc ${e}\n lf${q}`, `${q}esc ${e}${q}\nthen lf${q}`] : []),
        ]
  const malformed =
    shape.isMalformedAllowed && q !== ''
      ? [`${q}closed${q}junk`, `bare${q}quote`, `${q}closed${q}\rX`, `${q}closed${q}x${q}reopens\n`, `x${q}${d}${q}`]
      : []
  const r = pick()
  if (r < 0.55 || (quoted.length === 0 && malformed.length === 0)) return plain[Math.floor(pick() * plain.length)]
  if (r < 0.93 || malformed.length === 0) return quoted.length > 0 ? quoted[Math.floor(pick() * quoted.length)] : plain[0]
  return malformed[Math.floor(pick() * malformed.length)]
}

function csvText(seed: number, shape: CsvShape, records: number, options: { header?: boolean; bom?: boolean; ending?: 'lf' | 'crlf' | 'none'; unterminated?: boolean } = {}): string {
  const pick = random(seed)
  const { delimiter: d } = shape
  const parts: string[] = []
  if (options.bom) parts.push('\uFEFF')
  if (options.header ?? true) parts.push(`id${d}a${d}b\n`)
  for (let i = 0; i < records; i++) {
    const r = pick()
    if (r < 0.06) parts.push(pick() < 0.5 ? '\n' : '\r\n')
    const id = shape.isMalformedAllowed && pick() < 0.05 ? 'x' : String(i)
    const count = shape.isMalformedAllowed && pick() < 0.05 ? (pick() < 0.5 ? 2 : 4) : 3
    const fields = [id]
    for (let f = 1; f < count; f++) fields.push(csvField(pick, shape))
    const lineEnd = options.ending === 'crlf' || (options.ending !== 'lf' && pick() < 0.3) ? '\r\n' : '\n'
    parts.push(fields.join(d) + lineEnd)
  }
  if (options.unterminated && shape.quote !== '') parts.push(`9999${d}${shape.quote}never closed\nmore${d}lines\n`)
  let text = parts.join('')
  if (options.ending === 'none') text = text.replace(/\r?\n$/, '')
  return text
}

const RFC: CsvShape = { delimiter: ',', quote: '"', escape: '', isMalformedAllowed: true, bareQuotesAllowed: false }
const SPLIT_SIZES = [1, 13, 64, 500]

describe('csv input splits decode to exactly what read() gives', () => {
  it('on generated files with quoting edge cases and malformed records', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const path = await file(csvText(seed, RFC, 60, { bom: seed % 3 === 0, ending: seed % 4 === 0 ? 'none' : undefined }))
      await expectSameAsRead('csv', { path }, SPLIT_SIZES)
    }
  })

  it('with a line break inside quotes right at every split boundary', async () => {
    // Every split size from 1 to the length of a record puts a cut before, inside and after the quoted LF and CRLF.
    const text = 'id,a,b\n' + Array.from({ length: 12 }, (_, i) => `${i},"x\ny","p\r\nq"\r\n${i},plain,"z"\n`).join('')
    const path = await file(text)
    await expectSameAsRead('csv', { path }, Array.from({ length: 40 }, (_, i) => i + 1))
  })

  it('from resume positions in the middle of a file', async () => {
    const path = await file(csvText(101, RFC, 40))
    await expectSameAsRead('csv', { path }, [17, 64], 3)
  })

  it('with declared columns and values that do not convert', async () => {
    const columns = [
      { name: 'id', type: 'int' },
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string' },
    ]
    for (let seed = 20; seed < 24; seed++) {
      const path = await file(csvText(seed, RFC, 50))
      await expectSameAsRead('csv', { path, columns }, SPLIT_SIZES, 7)
    }
    const typed = await file('b,a\n1.5,2024-01-01\nbad,2024-02-30\n2.25,\n"3",2024-03-01\n')
    await expectSameAsRead('csv', { path: typed, columns: [{ name: 'a', type: 'date' }, { name: 'b', type: 'decimal(5,2)' }] }, SPLIT_SIZES)
  })

  it('without a header, with skipped rows, and with a BOM before headerless data', async () => {
    const path = await file(csvText(30, RFC, 40, { header: false, bom: true }))
    await expectSameAsRead('csv', { path, has_header: false }, SPLIT_SIZES)
    const skipping = await file(`title line\n"note\nspanning",x\n${csvText(31, RFC, 30)}`)
    await expectSameAsRead('csv', { path: skipping, skip_rows: 2 }, SPLIT_SIZES)
    const bomBlank = await file('\uFEFF\n\r\n1,2\n3,4')
    await expectSameAsRead('csv', { path: bomBlank, has_header: false }, [1, 2, 5])
  })

  it('with CRLF line ends, blank lines and no final line end', async () => {
    const path = await file(csvText(40, RFC, 40, { ending: 'crlf' }).replace(/\r\n$/, ''))
    await expectSameAsRead('csv', { path }, SPLIT_SIZES)
    const blanks = await file('a,b\n\n\n1,2\r\n\r\n\n3,4\n\n\n\n\r\n')
    await expectSameAsRead('csv', { path: blanks }, [1, 3, 8, 100])
    const lastCr = await file('a,b\n1,"2"\r')
    await expectSameAsRead('csv', { path: lastCr }, [1, 4])
  })

  it('with an unterminated quote running to the end of the file', async () => {
    const path = await file(csvText(50, RFC, 30, { unterminated: true }))
    await expectSameAsRead('csv', { path }, SPLIT_SIZES)
  })

  it('over several files of a glob, with headers in other orders and an empty file', async () => {
    const sub = join(dir, 'glob')
    await mkdir(sub)
    await writeFile(join(sub, 'a.csv'), csvText(60, RFC, 25))
    await writeFile(join(sub, 'b.csv'), 'b,id,a\n"x\ny",1,z\n2,2,"q"\n')
    await writeFile(join(sub, 'c.csv'), '')
    await writeFile(join(sub, 'd.csv'), 'id,a,b\n')
    await writeFile(join(sub, 'e.csv'), csvText(61, RFC, 25, { ending: 'none' }))
    await expectSameAsRead('csv', { path: join(sub, '*.csv') }, SPLIT_SIZES, 11)
  })

  it('with other dialects: escape character, bare quotes, no quoting, tabs and semicolons, latin1', async () => {
    const escaped: CsvShape = { delimiter: ';', quote: "'", escape: '\\', isMalformedAllowed: true, bareQuotesAllowed: false }
    for (let seed = 70; seed < 73; seed++) {
      await expectSameAsRead('csv', { path: await file(csvText(seed, escaped, 40)), delimiter: ';', quote: "'", escape: '\\' }, SPLIT_SIZES)
    }
    await expectSameAsRead('csv', { path: await file('a,b\n1,"ends with escape\\'), escape: '\\' }, [1, 5])
    for (let seed = 80; seed < 83; seed++) {
      await expectSameAsRead('csv', { path: await file(csvText(seed, RFC, 40)), allow_bare_quotes: true }, SPLIT_SIZES)
    }
    const unquoted: CsvShape = { delimiter: '\t', quote: '', escape: '', isMalformedAllowed: true, bareQuotesAllowed: false }
    await expectSameAsRead('csv', { path: await file(csvText(90, unquoted, 40).replace(/"/g, '\'"')), delimiter: '\t', quote: '' }, SPLIT_SIZES)
    const latin1 = Buffer.from(csvText(91, RFC, 40).replace(/[^\t-\u00ff]/g, 'ÿ'), 'latin1')
    await expectSameAsRead('csv', { path: await file(latin1), encoding: 'latin1' }, SPLIT_SIZES)
  })

  it('with records longer than max_record_bytes, whole or unterminated', async () => {
    const long = 'y'.repeat(3000)
    // Record 3 is too long: its first line is skipped, and `"x\n",z` after it is a record of its own,
    // whereas record 3 read whole would end after `"x`.
    const text = `id,a,b\n1,short,x\n2,"${long}\nstill quoted",z\n3,"${long}\n"x\n",z\n3,${long},w\n4,"open ${long}\n5,after,it\n6,"é${'é'.repeat(1200)}",v\n7,end,"${long}`
    const path = await file(text)
    await expectSameAsRead('csv', { path, max_record_bytes: 1024 }, [1, 100, 1500, 5000, 1 << 20])
  })

  it('with an empty file, a header alone, and a file without records but blank lines', async () => {
    await expectSameAsRead('csv', { path: await file('') , columns: [{ name: 'a', type: 'int' }] }, [1, 64])
    await expectSameAsRead('csv', { path: await file('a,b\n') }, [1, 64])
    await expectSameAsRead('csv', { path: await file('a,b\n\n\r\n\n') }, [1, 64])
  })
})

describe('jsonl input splits decode to exactly what read() gives', () => {
  const columns = [
    { name: 'id', type: 'int' },
    { name: 's', type: 'string' },
  ]

  function jsonlText(seed: number, records: number): string {
    const pick = random(seed)
    const lines: string[] = []
    for (let i = 0; i < records; i++) {
      const r = pick()
      if (r < 0.05) lines.push('')
      else if (r < 0.08) lines.push(['  ', '\t', '\r', ' \u00a0', '\u00a0'][Math.floor(pick() * 5)])
      else if (r < 0.12) lines.push(`{"id":${i},"s":"broken`)
      else if (r < 0.15) lines.push(`{"id":"x${i}"}`)
      else if (r < 0.17) lines.push('[1,2]')
      else lines.push(`${pick() < 0.1 ? ' ' : ''}{"id":${i},"s":${JSON.stringify(['a', 'é\n', '😀', ''][Math.floor(pick() * 4)])}}${pick() < 0.2 ? '\r' : ''}`)
    }
    return lines.join('\n') + (pick() < 0.5 ? '\n' : '')
  }

  it('on generated files with blank, whitespace, invalid and CRLF lines, also resumed', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const bom = seed % 3 === 0 ? '\uFEFF' : ''
      const path = await file(bom + jsonlText(seed, 50), `j${seed}.jsonl`)
      await expectSameAsRead('jsonl', { path, columns }, SPLIT_SIZES, seed === 1 ? 5 : 0)
    }
  })

  it('with lines longer than max_record_bytes', async () => {
    const long = `{"id":1,"s":"${'z'.repeat(3000)}"}`
    const path = await file(`{"id":0}\n${long}\n{"id":2}\n\n${long}`, 'long.jsonl')
    await expectSameAsRead('jsonl', { path, columns, max_record_bytes: 1024 }, [1, 100, 5000, 1 << 20])
  })
})

describe('splits()', () => {
  async function splitsOf(kind: 'csv' | 'jsonl' | 'json', raw: Record<string, unknown>): Promise<unknown> {
    const definition = { csv: csvInput, jsonl: jsonlInput, json: jsonInput }[kind]
    const cfg = configure(definition, raw)
    const reader = new FileInputReader(rowFormatOf(kind, cfg), cfg.path, cfg.infer_sample_rows, inputContext())
    await reader.open()
    try {
      return reader.splits()
    } finally {
      await reader.close()
    }
  }

  it('is undefined where splits could not decode exactly as read() does', async () => {
    const csv = await file('a,b\n1,2\n')
    const gz = await file(gzipSync('a,b\n1,2\n'), 'x.csv.gz')
    const utf16 = await file(Buffer.from('a,b\n1,2\n', 'utf16le'))
    const jsonl = await file('{"a":1}\n', 'x.jsonl')
    const json = await file('[{"a":1}]', 'x.json')
    expect(await splitsOf('csv', { path: csv })).toBeDefined()
    expect(await splitsOf('csv', { path: gz })).toBeUndefined()
    expect(await splitsOf('csv', { path: utf16, encoding: 'utf16le' })).toBeUndefined()
    expect(await splitsOf('csv', { path: csv, delimiter: '§' })).toBeUndefined()
    expect(await splitsOf('csv', { path: csv, quote: '«' })).toBeUndefined()
    expect(await splitsOf('jsonl', { path: jsonl, columns: [{ name: 'a', type: 'int' }] })).toBeDefined()
    // Inferred columns: the warning about a key missing from them cannot be given from a worker.
    expect(await splitsOf('jsonl', { path: jsonl })).toBeUndefined()
    expect(await splitsOf('json', { path: json })).toBeUndefined()
  })

  it('cuts about splitBytes per split, in buffers of their own', async () => {
    const text = 'id,name\n' + Array.from({ length: 5000 }, (_, i) => `${i},"name ${i}"\n`).join('')
    const path = await file(text)
    const cfg = configure(csvInput, { path })
    const reader = new FileInputReader(rowFormatOf('csv', cfg), path, 1000, inputContext(), 4096)
    await reader.open()
    const source = reader.splits()!
    const sizes: number[] = []
    const buffers = new Set<ArrayBufferLike>()
    for (let split = await source.next(); split; split = await source.next()) {
      const payload = split.payload as Uint8Array
      sizes.push(payload.length)
      expect(payload.byteOffset).toBe(0)
      buffers.add(payload.buffer)
    }
    await reader.close()
    expect(buffers.size).toBe(sizes.length)
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(Buffer.byteLength(text) - 'id,name\n'.length)
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(4096 - 20)
  })
})
