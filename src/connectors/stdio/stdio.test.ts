import { PassThrough, Readable, Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { RecordError } from '../../core/errors.js'
import type { Schema } from '../../core/schema.js'
import { rowFormatOf } from '../../formats/format-config.js'
import { batchOf, collectingContext, configure, inputContext, readAll } from '../../../test/component-harness.js'
import { StdinReader, stdinInput } from './stdin-input.js'
import { StdoutWriter, stdoutOutput } from './stdout-output.js'

function stdin(raw: Record<string, unknown>, stream: AsyncIterable<Buffer | string>, overrides: Parameters<typeof inputContext>[0] = {}): StdinReader {
  const config = configure(stdinInput, raw)
  return new StdinReader(rowFormatOf(config.format, config), config.infer_sample_rows, inputContext(overrides), stream)
}

/** Chunks of at most `size` bytes, so that records straddle chunk boundaries. */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text)
  const chunks: Buffer[] = []
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size))
  return Readable.from(chunks)
}

class Collector extends Writable {
  readonly chunks: Buffer[] = []
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk)
    callback()
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

describe('stdin input', () => {
  it('reads CSV with a header and inferred types, replaying the sampled records once', async () => {
    const lines = ['\uFEFFid,city,score', ...Array.from({ length: 50 }, (_, i) => `${i + 1},"Malmö, SE",${i}.5`)]
    const result = await readAll(stdin({ format: 'csv', infer_sample_rows: 10 }, chunked(lines.join('\r\n'), 7), { batchSize: 16 }))
    expect(result.schema!.columns.map((column) => `${column.name}:${column.type}`)).toEqual(['id:int', 'city:string', 'score:decimal'])
    expect(result.rows).toHaveLength(50)
    expect(result.rows[0]).toEqual([1, 'Malmö, SE', '0.5'])
    expect(result.rows[49]).toEqual([50, 'Malmö, SE', '49.5'])
    expect(result.positions.every((position) => position === null)).toBe(true)
  })

  it('reads JSON Lines and JSON arrays, rejecting bad records at stdin:<line>', async () => {
    const jsonl = await readAll(stdin({ format: 'jsonl' }, chunked('{"a":1}\n{"a":\n{"a":3}\n', 4)))
    expect(jsonl.rows).toEqual([[1], [3]])
    expect(jsonl.rejected.map((rejected) => [rejected.location, (rejected.error as RecordError).code])).toEqual([['stdin:2', 'jsonl.malformed']])
    const json = await readAll(stdin({ format: 'json', columns: [{ name: 'a', type: 'bigint' }] }, chunked('[{"a":1},{"a":"x"},{"a":9223372036854775807}]', 5)))
    expect(json.rows).toEqual([[1n], [9223372036854775807n]])
    expect(json.rejected.map((rejected) => rejected.location)).toEqual(['stdin:1'])
  })

  it('reads nothing from an empty stream', async () => {
    const result = await readAll(stdin({ format: 'csv' }, Readable.from([])))
    expect(result.batches).toEqual([])
  })

  it('delivers a trickle within linger_ms instead of waiting for a full batch', async () => {
    const pipe = new PassThrough()
    const reader = stdin({ format: 'jsonl', columns: [{ name: 'n', type: 'int' }] }, pipe, { batchSize: 1000, lingerMs: 20 })
    pipe.write('{"n":1}\n')
    await reader.open()
    const first = await reader.read()
    expect(first!.rows).toEqual([[1]])
    pipe.write('{"n":2}\n{"n":3}\n')
    const second = await reader.read()
    expect(second!.rows).toEqual([[2], [3]])
    pipe.end('{"n":4}')
    expect((await reader.read())!.rows).toEqual([[4]])
    expect(await reader.read()).toBeNull()
    await reader.close()
  })
})

describe('stdout output', () => {
  const schema: Schema = { columns: [{ name: 'id', type: 'int' }, { name: 'note', type: 'string' }] }

  async function writeThrough(raw: Record<string, unknown>): Promise<string> {
    const config = configure(stdoutOutput, raw)
    const target = new Collector({ highWaterMark: 16 })
    const writer = new StdoutWriter(config.format, { csv: { hasHeader: config.header, delimiter: config.delimiter }, json: {} }, target)
    await writer.open()
    await writer.write(batchOf(schema, [[1, 'a,b']]), collectingContext([]))
    await writer.commit()
    await writer.write(batchOf(schema, [[2, null]]), collectingContext([]))
    await writer.finish()
    await writer.close()
    return target.text
  }

  it('writes JSON Lines by default, and CSV or a JSON array on request', async () => {
    expect(await writeThrough({})).toBe('{"id":1,"note":"a,b"}\n{"id":2,"note":null}\n')
    expect(await writeThrough({ format: 'csv' })).toBe('id,note\n1,"a,b"\n2,\n')
    expect(await writeThrough({ format: 'json' })).toBe('[\n{"id":1,"note":"a,b"},\n{"id":2,"note":null}\n]\n')
  })

  it('fails the write when the stream reports an error (the reader went away)', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
      },
    })
    broken.on('error', () => undefined)
    const writer = new StdoutWriter('jsonl', {}, broken)
    await writer.open()
    const writeBoth = async (): Promise<void> => {
      await writer.write(batchOf(schema, [[1, 'x']]), collectingContext([]))
      await writer.write(batchOf(schema, [[2, 'y']]), collectingContext([]))
    }
    await expect(writeBoth()).rejects.toThrow('write EPIPE')
  })
})
