import { expect, test } from 'vitest'
import { formatBytes, formatClock, formatCount, progressLine } from './progress-reporter.js'

test('figures read as people write them', () => {
  expect([0, 999, 1000, 1234567, -4321].map(formatCount)).toEqual(['0', '999', '1,000', '1,234,567', '-4,321'])
  expect([0, 59_400, 61_000, 3_723_000].map(formatClock)).toEqual(['0:00', '0:59', '1:01', '1:02:03'])
  expect([512, 2048, 5 * 1024 * 1024].map(formatBytes)).toEqual(['512 B', '2.0 KiB', '5.0 MiB'])
})

test('the progress line has the ETA only when the total is known', () => {
  const base = { read: 250_000, written: 249_000, failed: 0, bytes: 0, elapsedMs: 2_000 }
  expect(progressLine(base, 125_000)).toBe('250,000 rows read  249,000 written  125,000 rows/s  0:02 elapsed')
  expect(progressLine({ ...base, failed: 3, rowsTotal: 1_000_000 }, 125_000)).toBe(
    '250,000 rows read  249,000 written  3 failed  125,000 rows/s  0:02 elapsed  ETA 0:06  25%',
  )
})
