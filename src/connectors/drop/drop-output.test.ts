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

  it('takes no config fields', () => {
    expect(configure(dropOutput, undefined)).toEqual({})
    expect(() => configure(dropOutput, { path: 'x' })).toThrow(expect.objectContaining({ code: 'config.unknown_field', path: 'path' }))
  })
})
