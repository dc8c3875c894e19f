import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { InputDefinition } from '../../core/component.js'
import type { RecordError } from '../../core/errors.js'
import { configure, inputContext, readAll } from '../../../test/component-harness.js'
import { jsonInput } from './json-input.js'
import { jsonlInput } from './jsonl-input.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-json-input-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

function input(definition: InputDefinition, raw: Record<string, unknown>, overrides: Parameters<typeof inputContext>[0] = {}) {
  return definition.create(configure(definition, raw), inputContext(overrides))
}

const LINES = [
  '{"id":1,"name":"Ada","big":9007199254740993,"price":12345678901234567.89,"tags":["a"],"at":"2024-01-31T13:45:10Z"}',
  '{"id":2,"name":"Alan","big":2,"price":1.5,"tags":null,"extra":true}',
  '{"id":3,"name":null,"price":0,"tags":{"k":1}}',
]

describe('jsonl input', () => {
  it('infers columns from the sample keys and keeps big numbers exact', async () => {
    const path = await file('users.jsonl', `${LINES.join('\n')}\n`)
    const result = await readAll(input(jsonlInput, { path }))
    expect(result.schema!.columns.map((column) => `${column.name}:${column.type}`)).toEqual([
      'id:int',
      'name:string',
      'big:bigint',
      'price:decimal',
      'tags:json',
      'at:string',
      'extra:bool',
    ])
    expect(result.rows).toEqual([
      [1, 'Ada', 9007199254740993n, '12345678901234567.89', ['a'], '2024-01-31T13:45:10Z', null],
      [2, 'Alan', 2n, '1.5', null, null, true],
      [3, null, null, '0', { k: 1 }, null, null],
    ])
  })

  it('converts to declared columns and rejects lines that do not parse or convert, with their line', async () => {
    const path = await file('mixed.jsonl', ['{"id":1,"at":"2024-01-31 13:45:10"}', '', '{"id":"x"}', '{"id":', '[1]', '{"id":5,"unknown":1}'].join('\n'))
    const warnings: string[] = []
    const logger = { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} }
    const result = await readAll(input(jsonlInput, { path, columns: [{ name: 'id', type: 'int' }, { name: 'at', type: 'timestamp' }] }, { logger }))
    expect(result.rows).toEqual([
      [1, '2024-01-31T13:45:10'],
      [5, null],
    ])
    expect(result.rejected.map((rejected) => [rejected.location, (rejected.error as RecordError).code, rejected.record])).toEqual([
      [`${path}:3`, 'value.invalid', '{"id":"x"}'],
      [`${path}:4`, 'jsonl.malformed', '{"id":'],
      [`${path}:5`, 'json.not_object', '[1]'],
    ])
    expect(warnings).toEqual([])
  })

  it('warns once about a key the inference sample did not show', async () => {
    const path = await file('late.jsonl', '{"a":1}\n{"a":2}\n{"a":3,"late":true}\n{"late":false}\n')
    const warnings: string[] = []
    const logger = { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} }
    const result = await readAll(input(jsonlInput, { path, infer_sample_rows: 2 }, { logger }))
    expect(result.rows).toEqual([[1], [2], [3], [null]])
    expect(warnings).toEqual([
      `json key "late" in ${path} is not a column (columns were inferred from the first 2 records; declare \`columns\` or raise infer_sample_rows); its values are not read`,
    ])
  })

  it('resumes from every position, across a glob with a gzip file', async () => {
    await file('a.jsonl', `${LINES.join('\n')}\n{"id":"bad"}\n`)
    await file('b.jsonl.gz', gzipSync('{"id":4}\r\n{"id":5}\n{"id":6}'))
    const path = join(dir, '*.jsonl*')
    const columns = [{ name: 'id', type: 'int' }]
    const full = await readAll(input(jsonlInput, { path, columns }, { batchSize: 2 }))
    expect(full.rows.map((row) => row[0])).toEqual([1, 2, 3, 4, 5, 6])
    const records = full.batches.map((batch) => [...batch.rows.map((row) => row[0]), ...(batch.rejected ?? []).map((rejected) => rejected.location)])
    for (let k = 0; k < full.positions.length; k++) {
      const resumed = await readAll(input(jsonlInput, { path, columns }, { batchSize: 2, resumeFrom: full.positions[k] }))
      const rest = resumed.batches.map((batch) => [...batch.rows.map((row) => row[0]), ...(batch.rejected ?? []).map((rejected) => rejected.location)])
      expect(rest.flat(), `after batch ${k}`).toEqual(records.slice(k + 1).flat())
    }
  })
})

describe('json input', () => {
  it('streams the objects of an array, inferring columns', async () => {
    const path = await file('users.json', `[\n  ${LINES.join(',\n  ')}\n]\n`)
    const result = await readAll(input(jsonInput, { path }))
    expect(result.rows.map((row) => row.slice(0, 4))).toEqual([
      [1, 'Ada', 9007199254740993n, '12345678901234567.89'],
      [2, 'Alan', 2n, '1.5'],
      [3, null, null, '0'],
    ])
  })

  it('rejects elements that are not objects or do not parse, with their line', async () => {
    const path = await file('bad.json', '[{"id":1},\n"text",\n{"id":tru},\n{"id":4}]')
    const result = await readAll(input(jsonInput, { path, columns: [{ name: 'id', type: 'int' }] }))
    expect(result.rows).toEqual([[1], [4]])
    expect(result.rejected.map((rejected) => [rejected.location, (rejected.error as RecordError).code])).toEqual([
      [`${path}:2`, 'json.not_object'],
      [`${path}:3`, 'json.malformed'],
    ])
  })

  it('resumes from every position inside the array', async () => {
    const elements = Array.from({ length: 7 }, (_, i) => `{"id":${i + 1},"s":"${'é'.repeat(i)}"}`)
    const path = await file('many.json', `[${elements.join(',\n')}]`)
    const full = await readAll(input(jsonInput, { path }, { batchSize: 3 }))
    expect(full.rows.map((row) => row[0])).toEqual([1, 2, 3, 4, 5, 6, 7])
    for (let k = 0; k < full.positions.length; k++) {
      const resumed = await readAll(input(jsonInput, { path }, { batchSize: 3, resumeFrom: full.positions[k] }))
      expect(resumed.rows).toEqual(full.rows.slice((k + 1) * 3))
      expect(resumed.rejected).toEqual([])
    }
  })
})
