import { describe, expect, test } from 'vitest'
import { ConfigError } from '../../../core/errors.js'
import { TableFilter } from './table-filter.js'

describe('table patterns', () => {
  test('schema.table, table in public, wildcards, quoted parts', () => {
    const filter = TableFilter.of(['orders', 'shop.*', '*.audit_?', '"my.schema".t'])
    expect(filter.includes('public', 'orders')).toBe(true)
    expect(filter.includes('other', 'orders')).toBe(false)
    expect(filter.includes('shop', 'anything')).toBe(true)
    expect(filter.includes('x', 'audit_1')).toBe(true)
    expect(filter.includes('x', 'audit_12')).toBe(false)
    expect(filter.includes('my.schema', 't')).toBe(true)
  })

  test('system schemas are never captured', () => {
    const filter = TableFilter.of(['*.*'])
    expect(filter.includes('pg_catalog', 'pg_class')).toBe(false)
    expect(filter.includes('information_schema', 'tables')).toBe(false)
    expect(filter.includes('public', 't')).toBe(true)
  })

  test('malformed patterns are ConfigErrors with their path', () => {
    for (const bad of ['', 'a.b.c', 'a.', '"open']) {
      expect(() => TableFilter.of(['ok', bad])).toThrow(ConfigError)
    }
    expect(() => TableFilter.of(['ok', 'a.b.c'])).toThrow(expect.objectContaining({ code: 'postgresql_cdc.table_pattern', path: 'tables[1]' }))
  })
})
