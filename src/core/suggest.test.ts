import { expect, test } from 'vitest'
import { closestMatch, didYouMean, editDistance } from './suggest.js'

test('a swap of neighbours is one edit', () => {
  expect(editDistance('cuont', 'count')).toBe(1)
  expect(editDistance('kitten', 'sitting')).toBe(3)
  expect(editDistance('abc', 'abc')).toBe(0)
})

test('suggestions stay close to the name', () => {
  expect(closestMatch('agee', ['age', 'name', 'email'])).toBe('age')
  expect(closestMatch('AGE', ['age'])).toBe('age')
  expect(closestMatch('zzz', ['age', 'name'])).toBeUndefined()
  expect(didYouMean('fitler', ['filter', 'mapping'])).toBe(' (did you mean "filter"?)')
})
