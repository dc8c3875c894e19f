import { describe, expect, test } from 'vitest'
import { configure, inputContext } from '../../../../test/component-harness.js'
import { createRegistry } from '../../../cli/component-registry.js'
import { FatalError } from '../../../core/errors.js'
import { loadPipeline } from '../../../engine/pipeline-loader.js'
import { Registry } from '../../../engine/registry.js'
import { PostgresqlCdcInput, defaultSlot, postgresqlCdcInput } from './postgresql-cdc-input.js'

const connection = { host: '127.0.0.1', database: 'shop', username: 'cdc' }

describe('postgresql_cdc config', () => {
  test('defaults: a slot named after the database and tables, its publication, both created', () => {
    const input = postgresqlCdcInput.create(configure(postgresqlCdcInput, { connection, tables: ['public.orders'] }), inputContext()) as PostgresqlCdcInput
    const slot = defaultSlot('shop', ['public.orders'])
    expect(slot).toMatch(/^fustor_[0-9a-f]{12}$/)
    expect(input.options).toMatchObject({ slot, publication: `fustor_${slot}`, createSlot: true, createPublication: true, heartbeatMs: undefined })
    expect(defaultSlot('shop', ['b', 'a'])).toBe(defaultSlot('shop', ['a', 'b']))
    expect(defaultSlot('other', ['a'])).not.toBe(defaultSlot('shop', ['a']))
  })

  test('named slot and publication, heartbeat', () => {
    const cfg = configure(postgresqlCdcInput, { connection, slot: 'orders_slot', publication: 'orders_pub', create_slot: false, heartbeat: { interval: '10s' } })
    const input = postgresqlCdcInput.create(cfg, inputContext()) as PostgresqlCdcInput
    expect(input.options).toMatchObject({ slot: 'orders_slot', publication: 'orders_pub', createSlot: false, heartbeatMs: 10_000 })
  })

  test('slot names PostgreSQL refuses are refused by validation', () => {
    expect(() => configure(postgresqlCdcInput, { connection, slot: 'Bad-Name' })).toThrow()
  })

  test('a checkpoint that is not a postgresql_cdc position fails before connecting', () => {
    const cfg = configure(postgresqlCdcInput, { connection })
    expect(() => postgresqlCdcInput.create(cfg, inputContext({ resumeFrom: { file: 'binlog.000001', offset: 4 } }))).toThrow(FatalError)
  })

  test('every example lints (with the input registered beside the built-in components)', () => {
    const registry = new Registry([...createRegistry().all().filter((d) => d.type !== postgresqlCdcInput.type), postgresqlCdcInput])
    for (const example of postgresqlCdcInput.examples) {
      expect(example.yaml.startsWith('# fustor-docs: lint-only')).toBe(true)
      const { errors } = loadPipeline('example.yaml', example.yaml, registry, { env: {} })
      expect(errors.map((error) => error.format())).toEqual([])
    }
  })
})
