import { expect, test } from 'vitest'
import { positionsEqual } from './positions-equal.js'

test('positions are equal as JSON values, whatever the order of keys', () => {
  expect(positionsEqual({ file: 'binlog.000002', offset: 120 }, { offset: 120, file: 'binlog.000002' })).toBe(true)
  expect(positionsEqual({ gtid: [1, 2, { a: null }] }, { gtid: [1, 2, { a: null }] })).toBe(true)
  expect(positionsEqual(undefined, undefined)).toBe(true)
  expect(positionsEqual(7, 7)).toBe(true)
})

test('positions that differ anywhere are not equal', () => {
  expect(positionsEqual({ file: 'a', offset: 1 }, { file: 'a', offset: 2 })).toBe(false)
  expect(positionsEqual({ file: 'a' }, { file: 'a', offset: 1 })).toBe(false)
  expect(positionsEqual({ file: 'a', offset: 1 }, { file: 'a' })).toBe(false)
  expect(positionsEqual([1, 2], [1, 2, 3])).toBe(false)
  expect(positionsEqual([1], { 0: 1 })).toBe(false)
  expect(positionsEqual({ 0: 1 }, [1])).toBe(false)
  expect(positionsEqual(null, undefined)).toBe(false)
  expect(positionsEqual(0, '0')).toBe(false)
  expect(positionsEqual(null, {})).toBe(false)
})
