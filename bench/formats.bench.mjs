// Throughput of the text codecs in src/formats on the 9-column `users` table (id, name, email, age,
// country, city, score, active, created_at; ~100 bytes per CSV row), the table of PRODUCT.md's bar.
//
//   npm run build && node bench/formats.bench.mjs [rows]       (default 1,000,000 rows)
//
// Each figure is the best of a few runs, in rows per second, single-threaded, in memory (no file
// I/O): parse = bytes to field arrays; read = bytes to typed rows (parse + convert); write = typed
// rows to bytes. When miller (`mlr`) is installed it is timed on the same data (CSV -> CSV and
// CSV -> JSON Lines, read from a file, output discarded), and the codecs' read + write rate is set
// against it: an upper bound for a Fustor pipeline, which adds the engine and file I/O.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { batchEncoder } from '../dist/formats/batch-encoder.js'
import { CsvParser } from '../dist/formats/csv-parser.js'
import { JsonArrayParser } from '../dist/formats/json-array-parser.js'
import { JsonLinesParser } from '../dist/formats/json-lines-parser.js'
import { OutputBuffer } from '../dist/formats/output-buffer.js'
import { RowFormat } from '../dist/formats/row-format.js'
import { readRows } from '../dist/formats/row-reader.js'
import { generateInput } from '../dist/connectors/generate/generate-input.js'

const ROWS = Number(process.argv[2] ?? 1_000_000)
const CHUNK_BYTES = 64 * 1024
const RUNS = 3

async function generateRows(count) {
  const input = generateInput.create({ preset: 'users', count, seed: 42 }, {
    path: 'bench', logger: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, home: tmpdir(),
    batchSize: 10_000, lingerMs: 0, resumeFrom: undefined,
  })
  await input.open()
  const batches = []
  for (let batch = await input.read(); batch; batch = await input.read()) batches.push(batch)
  await input.close()
  return batches
}

/** Encodes every batch; returns the bytes, or only their count (what an output's buffer hands on). */
function encodeAll(kind, batches, isCountOnly = false) {
  const encoder = batchEncoder(kind, { target: 'bench', csv: { hasHeader: true } })
  const ctx = { reject() { throw new Error('unexpected reject') } }
  const out = new OutputBuffer()
  const chunks = []
  let bytes = 0
  const take = (taken) => {
    for (const chunk of taken) bytes += chunk.length
    if (!isCountOnly) chunks.push(...taken)
  }
  out.append(encoder.start())
  for (const batch of batches) {
    encoder.encode(batch, ctx, out)
    if (out.hasFullChunks) take(out.takeFullChunks())
  }
  out.append(encoder.end())
  take(out.takeAll())
  return isCountOnly ? bytes : Buffer.concat(chunks)
}

function chunksOf(buffer) {
  const chunks = []
  for (let offset = 0; offset < buffer.length; offset += CHUNK_BYTES) chunks.push(buffer.subarray(offset, offset + CHUNK_BYTES))
  return chunks
}

function best(label, rows, run) {
  let bestMs = Infinity
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    const counted = run()
    const ms = performance.now() - start
    if (counted !== rows) throw new Error(`${label}: ${counted} rows, expected ${rows}`)
    bestMs = Math.min(bestMs, ms)
  }
  const rate = Math.round((rows / bestMs) * 1000)
  console.log(`${label.padEnd(34)} ${String(rate.toLocaleString('en-US')).padStart(11)} rows/s  (${bestMs.toFixed(0)} ms)`)
  return rate
}

function parseOnly(makeParser, chunks) {
  const parser = makeParser()
  let count = 0
  for (const chunk of chunks) {
    parser.push(chunk)
    while (parser.next() !== undefined) count++
  }
  parser.end()
  while (parser.next() !== undefined) count++
  return count
}

async function readTyped(kind, chunks, sampleSource) {
  const format = new RowFormat({ kind, encoding: 'utf8', inferTypes: true, csv: kind === 'csv' ? { delimiter: ',', quote: '"', escape: '', hasHeader: true, allowBareQuotes: false, skipRows: 0, nullValues: [''] } : undefined })
  let next = 0
  const probe = await format.probe(async () => sampleSource[next++] ?? null, 1000, 'bench')
  const schema = format.schema([probe])
  return () => {
    const parser = format.parser(probe.dataStart.offset > 0 ? probe.dataStart : undefined, format.fieldCount(schema, probe))
    const decoder = format.decoder(schema, probe, 'bench')
    let count = 0
    const rejected = []
    let first = true
    for (const chunk of chunks) {
      // Resume at the header's end, as the file input does: drop the header bytes of the first chunk.
      parser.push(first && probe.dataStart.offset > 0 ? chunk.subarray(probe.dataStart.offset) : chunk)
      first = false
      for (;;) {
        const rows = []
        readRows(parser, decoder, rows, rejected, 10_000, 'bench')
        count += rows.length
        if (rows.length === 0) break
      }
    }
    parser.end()
    const rows = []
    while (!parser.done) {
      readRows(parser, decoder, rows, rejected, 10_000, 'bench')
      count += rows.length
      rows.length = 0
    }
    if (rejected.length > 0) throw new Error(`rejected: ${rejected[0].error.message}`)
    return count
  }
}

/** Milliseconds miller takes on `input`, its output discarded. */
function timeMiller(args, input) {
  let bestMs = Infinity
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    execFileSync('mlr', [...args, input], { stdio: ['ignore', 'ignore', 'inherit'] })
    bestMs = Math.min(bestMs, performance.now() - start)
  }
  return bestMs
}

const batches = await generateRows(ROWS)
const csv = encodeAll('csv', batches)
const jsonl = encodeAll('jsonl', batches)
const json = encodeAll('json', batches)
console.log(`${ROWS.toLocaleString('en-US')} users rows: csv ${(csv.length / 1e6).toFixed(1)} MB, jsonl ${(jsonl.length / 1e6).toFixed(1)} MB; node ${process.version}`)
const csvChunks = chunksOf(csv)
const jsonlChunks = chunksOf(jsonl)
const jsonChunks = chunksOf(json)

const results = {}
results.csvParse = best('csv parse (fields)', ROWS + 1, () => parseOnly(() => new CsvParser(), csvChunks))
results.csvRead = best('csv read (typed rows)', ROWS, await readTyped('csv', csvChunks, csvChunks))
results.csvWrite = best('csv write', ROWS, () => {
  encodeAll('csv', batches, true)
  return ROWS
})
results.jsonlParse = best('jsonl parse (objects)', ROWS, () => parseOnly(() => new JsonLinesParser(), jsonlChunks))
results.jsonlRead = best('jsonl read (typed rows)', ROWS, await readTyped('jsonl', jsonlChunks, jsonlChunks))
results.jsonlWrite = best('jsonl write', ROWS, () => {
  encodeAll('jsonl', batches, true)
  return ROWS
})
results.jsonParse = best('json array parse (objects)', ROWS, () => parseOnly(() => new JsonArrayParser(), jsonChunks))
results.jsonRead = best('json array read (typed rows)', ROWS, await readTyped('json', jsonChunks, jsonChunks))
results.jsonWrite = best('json array write', ROWS, () => {
  encodeAll('json', batches, true)
  return ROWS
})

let hasMiller = true
try {
  execFileSync('mlr', ['--version'], { stdio: 'ignore' })
} catch {
  hasMiller = false
}
if (hasMiller) {
  const dir = join(tmpdir(), `fustor-bench-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  try {
    const file = join(dir, 'users.csv')
    writeFileSync(file, csv)
    const cat = timeMiller(['--icsv', '--ocsv', 'cat'], file)
    const tojsonl = timeMiller(['--icsv', '--ojsonl', 'cat'], file)
    const millerCsv = Math.round((ROWS / cat) * 1000)
    const millerJsonl = Math.round((ROWS / tojsonl) * 1000)
    console.log(`miller csv -> csv (cat)            ${millerCsv.toLocaleString('en-US').padStart(11)} rows/s`)
    console.log(`miller csv -> jsonl (cat)          ${millerJsonl.toLocaleString('en-US').padStart(11)} rows/s`)
    const csvToCsv = 1 / (1 / results.csvRead + 1 / results.csvWrite)
    const csvToJsonl = 1 / (1 / results.csvRead + 1 / results.jsonlWrite)
    console.log(`codecs alone, csv read + csv write:   ${Math.round(csvToCsv).toLocaleString('en-US')} rows/s, ${(csvToCsv / millerCsv).toFixed(1)}x miller`)
    console.log(`codecs alone, csv read + jsonl write: ${Math.round(csvToJsonl).toLocaleString('en-US')} rows/s, ${(csvToJsonl / millerJsonl).toFixed(1)}x miller`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
