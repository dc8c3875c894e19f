import Type from 'typebox'
import { describe, expect, test } from 'vitest'
import { checkConfig } from './config-schema.js'

describe('defaults in unions of mappings', () => {
  const schema = Type.Object({
    source: Type.Union([
      Type.Object({ path: Type.String({ default: 'in.csv' }), delimiter: Type.String({ default: ',' }) }),
      Type.Object({ url: Type.String(), timeout: Type.Integer({ default: 30 }) }),
    ]),
  })

  test('come from the form the value has, not from the first form that could be left empty', () => {
    expect(checkConfig(schema, { source: { url: 'http://x' } })).toEqual({ config: { source: { url: 'http://x', timeout: 30 } }, errors: [] })
    expect(checkConfig(schema, { source: {} })).toEqual({ config: { source: { path: 'in.csv', delimiter: ',' } }, errors: [] })
  })
})
