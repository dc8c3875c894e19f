import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Batch } from '../../core/batch.js'
import type { OutputDefinition } from '../../core/component.js'
import { ConfigError, FatalError, type RecordError } from '../../core/errors.js'
import type { JsonValue, Row, Schema } from '../../core/schema.js'
import { batchOf, collectingContext, configure, inputContext, outputContext, readAll, type Rejection } from '../../../test/component-harness.js'
import { csvInput } from './csv-input.js'
import { csvOutput } from './csv-output.js'
import { jsonOutput } from './json-output.js'
import { jsonlInput } from './jsonl-input.js'
import { jsonlOutput } from './jsonl-output.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-file-output-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const schema: Schema = {
  columns: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
  ],
}

function rows(from: number, to: number): Row[] {
  return Array.from({ length: to - from + 1 }, (_, i) => [from + i, `name ${from + i}`])
}

function output(definition: OutputDefinition, raw: Record<string, unknown>, resumeState?: JsonValue) {
  return definition.create(configure(definition, raw), outputContext({ resumeState }))
}

async function writeAll(definition: OutputDefinition, raw: Record<string, unknown>, batches: Batch[]): Promise<Rejection[]> {
  const rejections: Rejection[] = []
  const out = output(definition, raw)
  await out.open()
  for (const batch of batches) await out.write(batch, collectingContext(rejections, batch.schema))
  await out.commit?.()
  await out.finish?.()
  await out.close()
  return rejections
}

describe.each([
  ['csv', csvOutput, (from: number, to: number) => rows(from, to).map((row) => `${row[0]},${row[1]}\n`).join(''), 'id,name\n', ''],
  ['jsonl', jsonlOutput, (from: number, to: number) => rows(from, to).map((row) => `{"id":${row[0]},"name":"${row[1]}"}\n`).join(''), '', ''],
] as const)('%s output', (_kind, definition, expectedRows, head, tail) => {
  it('survives a crash after a commit: the resumed file holds the committed rows and the new ones, once', async () => {
    const path = join(dir, 'out', 'result')
    const first = output(definition, { path })
    await first.open()
    await first.write(batchOf(schema, rows(1, 3)), collectingContext([]))
    await first.write(batchOf(schema, rows(4, 5)), collectingContext([]))
    const state = (await first.commit!())!
    expect(state).toMatchObject({ part: join(dir, 'out', '.result.fustor-part'), rows: 5 })
    // Written after the checkpoint, then the process dies: these rows will be read and written again.
    await first.write(batchOf(schema, rows(6, 30)), collectingContext([]))
    await first.commit!()
    await first.close()

    const second = output(definition, { path }, state)
    await second.open()
    await second.write(batchOf(schema, rows(6, 8)), collectingContext([]))
    await second.commit!()
    await second.finish!()
    await second.close()
    expect(await readFile(path, 'utf8')).toBe(head + expectedRows(1, 8) + tail)
    expect(await readdir(join(dir, 'out'))).toEqual(['result'])
  })

  it('replaces the target and ignores a stale part file on a fresh run', async () => {
    const path = join(dir, 'result')
    await writeFile(path, 'old content\n')
    await writeFile(join(dir, '.result.fustor-part'), 'left by a crashed run\n')
    await writeAll(definition, { path }, [batchOf(schema, rows(1, 2))])
    expect(await readFile(path, 'utf8')).toBe(head + expectedRows(1, 2) + tail)
  })

  it('refuses to resume from a part file that is gone or shorter than committed', async () => {
    const path = join(dir, 'result')
    const state = { part: join(dir, '.result.fustor-part'), bytes: 100, rows: 3 }
    await expect(output(definition, { path }, state).open()).rejects.toMatchObject({ code: 'file.part_missing' })
    await writeFile(state.part, 'short')
    const error = await output(definition, { path }, state).open().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FatalError)
    expect((error as FatalError).code).toBe('file.part_truncated')
  })
})

describe('csv output', () => {
  it('writes later batches by column name: missing columns as NULL, values outside the header rejected', async () => {
    const path = join(dir, 'mixed.csv')
    const other: Schema = { columns: [{ name: 'name', type: 'string' }, { name: 'extra', type: 'int' }] }
    const rejections = await writeAll(csvOutput, { path }, [batchOf(schema, [[1, 'a']]), batchOf(other, [['b', null], ['c', 7]])])
    expect(await readFile(path, 'utf8')).toBe('id,name\n1,a\n,b\n')
    expect(rejections.map((rejection) => [rejection.row, (rejection.error as RecordError).code, (rejection.error as RecordError).message])).toEqual([
      [['c', 7], 'csv.column_not_in_header', `column "extra" is not in the header of ${path} (taken from the first batch); its value would be lost`],
    ])
  })

  it('keeps the header of the resumed stream and writes no second one', async () => {
    const path = join(dir, 'r.csv')
    const first = output(csvOutput, { path })
    await first.open()
    await first.write(batchOf(schema, rows(1, 1)), collectingContext([]))
    const state = (await first.commit!())!
    await first.close()
    expect(state).toMatchObject({ columns: ['id', 'name'], bytes: 'id,name\n1,name 1\n'.length })
    const second = output(csvOutput, { path }, state)
    await second.open()
    const reordered: Schema = { columns: [schema.columns[1], schema.columns[0]] }
    await second.write(batchOf(reordered, [['name 2', 2]]), collectingContext([]))
    await second.finish!()
    await second.close()
    expect(await readFile(path, 'utf8')).toBe('id,name\n1,name 1\n2,name 2\n')
  })

  it('writes an empty file when no batch came', async () => {
    const path = join(dir, 'empty.csv')
    await writeAll(csvOutput, { path }, [])
    expect(await readFile(path, 'utf8')).toBe('')
  })

  it('round-trips canonical CSV byte for byte through the csv input', async () => {
    const canonical = 'id,name,score,active,created_at,note\n1,"Lopez, Maria",71.40,true,2023-03-11T12:45:30,"say ""hi"""\n2,Jin,,false,2023-04-01T00:00:01.5,"two\nlines"\n3,Zoë,0.05,true,2024-02-29T23:59:59,\n'
    const source = join(dir, 'in.csv')
    await writeFile(source, canonical)
    const read = await readAll(csvInput.create(configure(csvInput, { path: source }), inputContext({ batchSize: 2 })))
    expect(read.schema!.columns.map((column) => column.type)).toEqual(['int', 'string', 'decimal', 'bool', 'timestamp', 'string'])
    const target = join(dir, 'out.csv')
    await writeAll(csvOutput, { path: target }, read.batches)
    expect(await readFile(target, 'utf8')).toBe(canonical)
  })
})

describe('json outputs', () => {
  const exact: Schema = {
    columns: [
      { name: 'big', type: 'bigint' },
      { name: 'price', type: 'decimal', precision: 30, scale: 4 },
      { name: 'raw', type: 'bytes' },
      { name: 'doc', type: 'json' },
      { name: 'at', type: 'timestamptz' },
      { name: 'local', type: 'timestamp' },
      { name: 'day', type: 'date' },
      { name: 'clock', type: 'time' },
    ],
  }
  const exactRows: Row[] = [
    [9223372036854775807n, '12345678901234567890.0100', Buffer.from([0, 1, 254, 255]), { a: [1, { b: 'ü' }], c: null }, '2024-01-31T13:45:10.123456Z', '1999-12-31T23:59:59.5', '0001-01-01', '13:45:10.000001'],
    [-9223372036854775808n, '-0.0001', Buffer.alloc(0), 'just a string', null, null, null, null],
  ]

  it('jsonl keeps bigint, decimal, bytes, json and temporal values exact through a write and a read', async () => {
    const path = join(dir, 'exact.jsonl')
    await writeAll(jsonlOutput, { path }, [batchOf(exact, exactRows)])
    const text = await readFile(path, 'utf8')
    expect(text.split('\n')[0]).toBe(
      '{"big":9223372036854775807,"price":12345678901234567890.0100,"raw":"AAH+/w==","doc":{"a":[1,{"b":"ü"}],"c":null},"at":"2024-01-31T13:45:10.123456Z","local":"1999-12-31T23:59:59.5","day":"0001-01-01","clock":"13:45:10.000001"}',
    )
    const columns = exact.columns.map((column) => ({ name: column.name, type: column.type === 'decimal' ? 'decimal(30,4)' : column.type }))
    const read = await readAll(jsonlInput.create(configure(jsonlInput, { path, columns }), inputContext()))
    expect(read.rejected).toEqual([])
    expect(read.rows).toEqual(exactRows)
  })

  it('json writes one array, continued after a resume and closed at finish', async () => {
    const path = join(dir, 'array.json')
    const first = output(jsonOutput, { path, decimals_as_strings: true })
    await first.open()
    await first.write(batchOf(schema, rows(1, 2)), collectingContext([]))
    const state = (await first.commit!())!
    await first.write(batchOf(schema, rows(3, 3)), collectingContext([]))
    await first.close()
    const second = output(jsonOutput, { path, decimals_as_strings: true }, state)
    await second.open()
    await second.write(batchOf(schema, rows(3, 4)), collectingContext([]))
    await second.finish!()
    await second.close()
    const text = await readFile(path, 'utf8')
    expect(text).toBe(`[\n${rows(1, 4).map((row) => `{"id":${row[0]},"name":"${row[1]}"}`).join(',\n')}\n]\n`)
    expect(JSON.parse(text)).toHaveLength(4)
    const empty = join(dir, 'empty.json')
    await writeAll(jsonOutput, { path: empty }, [])
    expect(JSON.parse(await readFile(empty, 'utf8'))).toEqual([])
  })
})

describe('paths that cannot be written', () => {
  async function openError(path: string): Promise<unknown> {
    const out = output(jsonlOutput, { path })
    try {
      await out.open()
      return undefined
    } catch (error) {
      return error
    } finally {
      await out.close()
    }
  }

  it('name the problem and the config field, as user errors', async () => {
    await writeFile(join(dir, 'a-file'), 'x')
    await mkdir(join(dir, 'a-directory'))
    for (const [path, reason] of [
      [join(dir, 'a-file', 'x', 'out.jsonl'), 'a part of the path is a file, not a directory'],
      [join(dir, 'a-directory'), 'it is a directory'],
      ['/proc/fustor-nope/out.jsonl', 'a directory on the way does not exist and cannot be created'],
    ]) {
      const error = await openError(path)
      expect(error, path).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('file.unwritable')
      expect((error as ConfigError).message).toBe(`cannot write ${path}: ${reason}`)
      expect((error as ConfigError).path).toBe('path')
    }
  })

  it('missing directories are created', async () => {
    const path = join(dir, 'new', 'deeper', 'out.jsonl')
    await writeAll(jsonlOutput, { path }, [batchOf(schema, rows(1, 2))])
    expect(await readFile(path, 'utf8')).toBe('{"id":1,"name":"name 1"}\n{"id":2,"name":"name 2"}\n')
  })
})
