import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, FatalError, RecordError } from '../../core/errors.js'
import { configure, inputContext, readAll } from '../../../test/component-harness.js'
import { csvInput } from './csv-input.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fustor-csv-input-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

function input(raw: Record<string, unknown>, overrides: Parameters<typeof inputContext>[0] = {}) {
  return csvInput.create(configure(csvInput, raw), inputContext(overrides))
}

function openError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected open() to fail')
    },
    (error: unknown) => error,
  )
}

describe('csv input', () => {
  it('infers column types from a sample, keeping zip codes with leading zeros as strings', async () => {
    const path = await file(
      'people.csv',
      'id,zip,amount,active,born,seen_at,note\n1,01234,1,true,1990-05-17,2024-01-01T10:00:00Z,\n2,98765,2.50,false,1985-12-01,2024-01-02 11:30:00+01:00,hi\n',
    )
    const result = await readAll(input({ path }))
    expect(result.schema!.columns.map((column) => `${column.name}:${column.type}`)).toEqual([
      'id:int',
      'zip:string',
      'amount:decimal',
      'active:bool',
      'born:date',
      'seen_at:timestamptz',
      'note:string',
    ])
    expect(result.rows).toEqual([
      [1, '01234', '1', true, '1990-05-17', '2024-01-01T10:00:00Z', ''],
      [2, '98765', '2.50', false, '1985-12-01', '2024-01-02T10:30:00Z', 'hi'],
    ])
  })

  it('reads every column as a string without type inference', async () => {
    const path = await file('a.csv', 'n,d\n1,2024-01-01\n')
    const result = await readAll(input({ path, infer_types: false }))
    expect(result.rows).toEqual([['1', '2024-01-01']])
  })

  it('rejects malformed records and values that do not convert, with file and line, and reads on', async () => {
    const path = await file(
      'bad.csv',
      ['id,name,score', '1,ok,1.5', '2,"multi', 'line",2', 'x,not an int,3', '4,"closed"junk,4', '5,too,many,fields', '6,bare"quote,6', '7,last,7.25'].join('\n'),
    )
    const result = await readAll(input({ path, columns: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }, { name: 'score', type: 'decimal(5,2)' }] }))
    expect(result.rows).toEqual([
      [1, 'ok', '1.50'],
      [2, 'multi\nline', '2.00'],
      [7, 'last', '7.25'],
    ])
    expect(result.rejected.map((rejected) => [rejected.location, (rejected.error as RecordError).code, rejected.record])).toEqual([
      [`${path}:5`, 'value.invalid', 'x,not an int,3'],
      [`${path}:6`, 'csv.malformed', '4,"closed"junk,4'],
      [`${path}:7`, 'csv.field_count', '5,too,many,fields'],
      [`${path}:8`, 'csv.malformed', '6,bare"quote,6'],
    ])
    expect((result.rejected[0].error as RecordError).message).toBe('invalid int "x" for column "id"')
    expect((result.rejected[0].error as RecordError).column).toBe('id')
  })

  it('reports an unterminated quote at the end of the file as one rejected record', async () => {
    const path = await file('open.csv', 'a,b\n1,2\n3,"never closed\n4,5\n')
    const result = await readAll(input({ path }))
    expect(result.rows).toEqual([[1, 2]])
    expect(result.rejected.map((rejected) => [rejected.location, rejected.record])).toEqual([[`${path}:3`, '3,"never closed\n4,5\n']])
  })

  it('maps the header to declared columns by name, in any order', async () => {
    const path = await file('reordered.csv', 'b,a\nx,1\ny,2\n')
    const result = await readAll(input({ path, columns: [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }] }))
    expect(result.rows).toEqual([
      [1, 'x'],
      [2, 'y'],
    ])
  })

  it('fails open() with a ConfigError naming the file and columns when the header does not match', async () => {
    const path = await file('mismatch.csv', 'id,nmae\n1,x\n')
    const error = await openError(input({ path, columns: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }] }).open())
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).code).toBe('csv.header_mismatch')
    expect((error as ConfigError).message).toBe(`the header of ${path} does not match the declared columns: missing "name"; not in the declared columns: "nmae"`)
    expect((error as ConfigError).path).toBe('columns')
  })

  it('rejects a declared column with an unknown type at create()', () => {
    expect(() => input({ path: 'x.csv', columns: [{ name: 'a', type: 'integr' }] })).toThrow(/unknown type "integr" for column "a" \(did you mean "integer"\?\)/)
  })

  it('names columns column_1.. without a header, and checks the field count against the first record', async () => {
    const path = await file('plain.csv', '1,a\n2,b,extra\n3,c\n')
    const result = await readAll(input({ path, has_header: false }))
    expect(result.schema!.columns.map((column) => column.name)).toEqual(['column_1', 'column_2'])
    expect(result.rows).toEqual([
      [1, 'a'],
      [3, 'c'],
    ])
    expect(result.rejected.map((rejected) => rejected.location)).toEqual([`${path}:2`])
  })

  it('reads NULL markers as NULL, and the empty text of a string column as an empty string', async () => {
    const path = await file('nulls.csv', 'n,s,t\n,,\\N\n1,x,NULL\n')
    const result = await readAll(input({ path, null_values: ['', '\\N', 'NULL'], columns: [{ name: 'n', type: 'int' }, { name: 's', type: 'string' }, { name: 't', type: 'string' }] }))
    expect(result.rows).toEqual([
      [null, '', null],
      [1, 'x', null],
    ])
  })

  it('skips rows before the header, a BOM, and reads other delimiters, quotes and escapes', async () => {
    const path = await file('odd.csv', "\uFEFFexported by tool\nsecond note\nid;'na;me'\n1;'it\\'s'\n")
    const result = await readAll(input({ path, skip_rows: 2, delimiter: ';', quote: "'", escape: '\\' }))
    expect(result.schema!.columns.map((column) => column.name)).toEqual(['id', 'na;me'])
    expect(result.rows).toEqual([[1, "it's"]])
  })

  it('reads latin1 and utf16le files', async () => {
    const latin1 = await file('latin1.csv', Buffer.from('ville,pays\nMalmö,SE\nSão Paulo,BR\n', 'latin1'))
    expect((await readAll(input({ path: latin1, encoding: 'latin1' }))).rows).toEqual([
      ['Malmö', 'SE'],
      ['São Paulo', 'BR'],
    ])
    const utf16 = await file('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('city,n\nKraków,1\n東京,2\n', 'utf16le')]))
    expect((await readAll(input({ path: utf16, encoding: 'utf16le' }))).rows).toEqual([
      ['Kraków', 1],
      ['東京', 2],
    ])
  })

  it('reads every file a glob matches, in sorted order, gzip included', async () => {
    await file('part-2.csv', 'id,v\n3,c\n')
    await file('part-1.csv.gz', gzipSync('id,v\n1,a\n2,b\n'))
    await file('part-10.csv', 'v,id\nd,4\n')
    await file('other.txt', 'not csv')
    const result = await readAll(input({ path: join(dir, 'part-*.csv*') }))
    expect(result.rows).toEqual([
      [1, 'a'],
      [2, 'b'],
      [4, 'd'],
      [3, 'c'],
    ])
    expect(result.positions.at(-1)).toEqual({ file: join(dir, 'part-2.csv'), offset: 9, line: 2 })
  })

  it('fails open() when a later file has other columns than the first', async () => {
    await file('a.csv', 'id,v\n1,a\n')
    await file('b.csv', 'id,w\n2,b\n')
    const error = await openError(input({ path: join(dir, '*.csv') }).open())
    expect((error as ConfigError).message).toBe(`the header of ${join(dir, 'b.csv')} does not match the columns of the first file: missing "v"; not in the columns of the first file: "w"`)
  })

  it('fails open() with ConfigErrors for a missing file, a glob without match, a directory', async () => {
    expect(((await openError(input({ path: join(dir, 'nope.csv') }).open())) as ConfigError).code).toBe('file.not_found')
    expect(((await openError(input({ path: join(dir, '*.nope') }).open())) as ConfigError).code).toBe('file.no_match')
    expect(((await openError(input({ path: dir }).open())) as ConfigError).code).toBe('file.is_directory')
  })

  it('reads nothing from empty files', async () => {
    const path = await file('empty.csv', '')
    const result = await readAll(input({ path }))
    expect(result.batches).toEqual([])
    const headerOnly = await file('header.csv', 'a,b\n')
    expect((await readAll(input({ path: headerOnly }))).batches).toEqual([])
  })

  it('delivers batches of batchSize records with positions, bytes and progress', async () => {
    const content = 'n\n1\n2\n3\n4\n5\n'
    const path = await file('five.csv', content)
    const reader = input({ path }, { batchSize: 2 })
    const result = await readAll(reader)
    expect(result.batches.map((batch) => batch.rows.length)).toEqual([2, 2, 1])
    expect(result.positions).toEqual([
      { file: path, offset: 6, line: 3 },
      { file: path, offset: 10, line: 5 },
      { file: path, offset: 12, line: 6 },
    ])
    expect(result.batches.map((batch) => batch.bytes)).toEqual([4, 4, 2])
    expect(reader.progress!()).toEqual({ bytesTotal: content.length, bytesRead: content.length })
  })

  it('resumes from every position of a multi-file, multi-batch read with exactly the remaining records', async () => {
    await file('a.csv', 'id,note\n1,"x\ny"\n2,plain\nbad,row\n3,"q ""z"""\n')
    await file('b.csv.gz', gzipSync('id,note\n4,é\n5,ü\n6,"a,b"\n'))
    await file('c.csv', 'note,id\nlast,7\n')
    const path = join(dir, '*.csv*')
    const columns = [{ name: 'id', type: 'int' }, { name: 'note', type: 'string' }]
    const full = await readAll(input({ path, columns }, { batchSize: 2 }))
    expect(full.rows.map((row) => row[0])).toEqual([1, 2, 3, 4, 5, 6, 7])
    const records = full.batches.map((batch) => [...batch.rows.map((row) => row[0]), ...(batch.rejected ?? []).map((rejected) => rejected.location)])
    for (let k = 0; k < full.positions.length; k++) {
      const resumed = await readAll(input({ path, columns }, { batchSize: 2, resumeFrom: full.positions[k] }))
      const rest = resumed.batches.map((batch) => [...batch.rows.map((row) => row[0]), ...(batch.rejected ?? []).map((rejected) => rejected.location)])
      expect(rest.flat(), `after batch ${k}`).toEqual(records.slice(k + 1).flat())
      expect(resumed.positions.at(-1) ?? full.positions[k]).toEqual(full.positions.at(-1))
    }
  })

  it('refuses a position that does not belong to its files', async () => {
    const path = await file('a.csv', 'n\n1\n')
    expect(await openError(input({ path }, { resumeFrom: { file: 'elsewhere.csv', offset: 2, line: 1 } }).open())).toBeInstanceOf(FatalError)
    expect(((await openError(input({ path }, { resumeFrom: { offset: 'x' } }).open())) as FatalError).code).toBe('file.invalid_position')
  })

  it('has a static schema only when columns are declared', () => {
    expect(csvInput.staticSchema!(configure(csvInput, { path: 'x.csv' }))).toBeUndefined()
    expect(csvInput.staticSchema!(configure(csvInput, { path: 'x.csv', columns: [{ name: 'p', type: 'decimal(10,2)' }] }))).toEqual({
      columns: [{ name: 'p', type: 'decimal', precision: 10, scale: 2 }],
    })
  })
})
