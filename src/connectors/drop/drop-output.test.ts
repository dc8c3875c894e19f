import { describe, expect, it } from 'vitest'
import { configure, outputContext, schemaOf } from '../../../test/component-harness.js'
import { DropWriter, dropOutput } from './drop-output.js'

describe('drop output', () => {
  it('accepts every batch and counts what it discarded', async () => {
    const messages: unknown[] = []
    const logger = { debug: (message: string, fields?: unknown) => messages.push([message, fields]), info() {}, warn() {}, error() {} }
    const output = dropOutput.create(configure(dropOutput, {}), outputContext({ logger })) as DropWriter
    const schema = schemaOf({ id: 'int' })
    const reject = () => {
      throw new Error('drop rejects nothing')
    }
    await output.open()
    await output.write({ schema, rows: [[1], [2]] }, { reject })
    await output.write({ schema, rows: [] }, { reject })
    await output.write({ schema, rows: [[3]] }, { reject })
    await output.close()
    expect([output.batches, output.rows]).toEqual([3, 3])
    expect(messages).toEqual([['drop output discarded rows', { rows: 3, batches: 3 }]])
  })

  it('counts the rows its encoder saw, without bytes, in parallel runs', async () => {
    const output = dropOutput.create(configure(dropOutput, {}), outputContext()) as DropWriter
    const encoder = dropOutput.encoder!({})
    const schema = schemaOf({ id: 'int' })
    expect(encoder.take()).toBeUndefined()
    encoder.encode({ schema, rows: [[1], [2]] }, { reject() {} })
    encoder.encode({ schema, rows: [[3]] }, { reject() {} })
    const chunk = encoder.take()!
    expect(chunk).toEqual({ bytes: new Uint8Array(0), rows: 3, schema })
    expect(encoder.take()).toBeUndefined()
    await output.open()
    await output.writeEncoded!(chunk)
    await output.close()
    expect(output.rows).toBe(3)
  })

  it('takes no config fields', () => {
    expect(configure(dropOutput, undefined)).toEqual({})
    expect(() => configure(dropOutput, { path: 'x' })).toThrow(expect.objectContaining({ code: 'config.unknown_field', path: 'path' }))
  })
})
