import { expect, test } from 'vitest'
import { RateMeter } from './rate-meter.js'

test('a young meter measures over its age', () => {
  const meter = new RateMeter(0, 10_000, 10)
  expect(meter.perSecond(200, 2000)).toBe(100)
  expect(meter.perSecond(0, 0)).toBe(0)
})

test('samples older than the window no longer count', () => {
  const meter = new RateMeter(0, 10_000, 10)
  for (let second = 1; second <= 20; second++) meter.sample(second < 10 ? second * 1000 : 9000 + (second - 9) * 10, second * 1000)
  // From 10 s on, 10 events a second; the window 10..20 s holds only that.
  expect(meter.perSecond(9110, 20_000)).toBe(10)
  expect(meter.perSecond(9115, 20_500)).toBe(10)
})

test('a meter whose sampling stopped measures from its newest sample', () => {
  const meter = new RateMeter(0, 10_000, 10)
  meter.sample(500, 1000)
  expect(meter.perSecond(1500, 61_000)).toBeCloseTo(1000 / 60, 5)
})
