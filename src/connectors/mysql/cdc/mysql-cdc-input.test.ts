import { describe, expect, test } from 'vitest'
import YAML from 'yaml'
import { configure, inputContext } from '../../../../test/component-harness.js'
import { ConfigError, FatalError } from '../../../core/errors.js'
import { mysqlCdcInput } from './mysql-cdc-input.js'

const CONNECTION = { host: '127.0.0.1', port: 3306, database: 'shop', username: 'cdc' }

function create(config: Record<string, unknown>, resumeFrom?: unknown) {
  return mysqlCdcInput.create(configure(mysqlCdcInput, { connection: CONNECTION, ...config }), inputContext({ resumeFrom: resumeFrom as never }))
}

describe('mysql_cdc config', () => {
  test('defaults: every table of the connection database, from the latest position', () => {
    const config = configure(mysqlCdcInput, { connection: CONNECTION })
    expect(config).toMatchObject({ tables: ['*'], exclude_tables: [], start: 'latest', zero_dates: 'null' })
    expect(config.server_id).toBeUndefined()
  })

  test('start takes latest, earliest, {gtid} or {file, position}; anything else is refused', () => {
    for (const start of ['latest', 'earliest', { gtid: '0-1-5' }, { file: 'binlog.000001', position: 4 }]) {
      expect(() => configure(mysqlCdcInput, { connection: CONNECTION, start }), JSON.stringify(start)).not.toThrow()
    }
    for (const start of ['now', { file: 'binlog.000001' }, { gtid: 5 }, { file: 'b', position: 1 }]) {
      expect(() => configure(mysqlCdcInput, { connection: CONNECTION, start }), JSON.stringify(start)).toThrow(ConfigError)
    }
  })

  test('create checks what the config alone tells, before connecting', () => {
    expect(() => create({ tables: ['shop.a.b'] })).toThrow(expect.objectContaining({ code: 'mysql_cdc.table_pattern', path: 'tables[0]' }))
    expect(() => create({ connection: { ...CONNECTION, options: { max_execution_time: '0' } } })).toThrow(
      expect.objectContaining({ code: 'mysql_cdc.option_unsupported', path: 'connection.options.max_execution_time' }),
    )
    expect(() => create({ connection: { ...CONNECTION, options: { charset: 'utf8mb4_bin' } } })).not.toThrow()
    expect(() => create({}, { next: 5 })).toThrow(FatalError)
    expect(() => create({}, { next: 5 })).toThrow(expect.objectContaining({ code: 'mysql_cdc.position_invalid' }))
    expect(() => create({ connection: undefined })).toThrow(expect.objectContaining({ code: 'sql.connection_missing' }))
  })

  test('the examples are valid configs', () => {
    for (const example of mysqlCdcInput.examples) {
      const pipeline = YAML.parse(example.yaml) as { input: { type: string; config: unknown } }
      expect(pipeline.input.type).toBe('mysql_cdc')
      expect(() => create(pipeline.input.config as Record<string, unknown>), example.title).not.toThrow()
    }
  })
})
