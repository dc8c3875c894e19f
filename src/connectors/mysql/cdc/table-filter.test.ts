import { describe, expect, test } from 'vitest'
import { ConfigError } from '../../../core/errors.js'
import { TableFilter } from './table-filter.js'

describe('table patterns', () => {
  test('database.table and table (in the connection database), with * and ?', () => {
    const filter = TableFilter.of(['orders', 'shop.order_?', 'crm.*', '*.audit'], [], 'shop')
    expect(filter.includes('shop', 'orders')).toBe(true)
    expect(filter.includes('other', 'orders')).toBe(false)
    expect(filter.includes('shop', 'order_x')).toBe(true)
    expect(filter.includes('shop', 'order_xy')).toBe(false)
    expect(filter.includes('crm', 'contacts')).toBe(true)
    expect(filter.includes('billing', 'audit')).toBe(true)
    expect(filter.includes('shop', 'Orders')).toBe(false)
  })

  test('exclude_tables takes tables out again', () => {
    const filter = TableFilter.of(['shop.*'], ['shop.*_tmp', 'sessions'], 'shop')
    expect(filter.includes('shop', 'orders')).toBe(true)
    expect(filter.includes('shop', 'orders_tmp')).toBe(false)
    expect(filter.includes('shop', 'sessions')).toBe(false)
  })

  test('system databases only when named without a wildcard; dots in names are literal', () => {
    const all = TableFilter.of(['*.*'], [], 'shop')
    expect(all.includes('mysql', 'user')).toBe(false)
    expect(all.includes('shop', 'x')).toBe(true)
    expect(TableFilter.of(['mysql.*'], [], 'shop').includes('mysql', 'user')).toBe(true)
    expect(TableFilter.of(['shop.`a.b`'], [], 'shop').includes('shop', 'a.b')).toBe(true)
    expect(TableFilter.of(['shop.a?b'], [], 'shop').includes('shop', 'a.b')).toBe(true)
    expect(TableFilter.of(['`sh.p`.x'], [], 'shop').includes('shop', 'x')).toBe(false)
  })

  test('a malformed pattern is a ConfigError at its place', () => {
    for (const [tables, exclude, path] of [
      [['shop.'], [], 'tables[0]'],
      [['ok', 'a.b.c'], [], 'tables[1]'],
      [['ok'], ['`open'], 'exclude_tables[0]'],
      [[''], [], 'tables[0]'],
    ] as const) {
      let error: unknown
      try {
        TableFilter.of(tables, exclude, 'shop')
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({ code: 'mysql_cdc.table_pattern', path })
    }
  })
})
