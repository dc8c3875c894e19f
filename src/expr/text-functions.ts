/**
 * String functions that count characters. A character is a Unicode code point, as in PostgreSQL, so
 * an emoji is one character even though JavaScript stores it as two UTF-16 units. Strings without
 * surrogate pairs (nearly all) take the fast path on plain `slice`/`length`.
 */
import { throwInvalidArgument } from './record-errors.js'

const SURROGATE = /[\uD800-\uDFFF]/

function characters(text: string): string[] | undefined {
  return SURROGATE.test(text) ? Array.from(text) : undefined
}

export function textLength(text: string): number {
  const chars = characters(text)
  return chars === undefined ? text.length : chars.length
}

/** Characters `from` to `to` (0-based, end exclusive, clamped). */
function sliceCharacters(text: string, from: number, to: number): string {
  const chars = characters(text)
  const length = chars === undefined ? text.length : chars.length
  const start = Math.max(0, Math.min(from, length))
  const end = Math.max(start, Math.min(to, length))
  return chars === undefined ? text.slice(start, end) : chars.slice(start, end).join('')
}

/** SQL SUBSTRING: 1-based `start`; a start before 1 still counts toward `length` (PostgreSQL's rule). */
export function substring(text: string, start: number, length: number | undefined, part: string): string {
  if (length === undefined) return sliceCharacters(text, start - 1, Infinity)
  if (length < 0) throwInvalidArgument(`negative substring length ${length}`, part)
  return sliceCharacters(text, start - 1, start - 1 + length)
}

/** LEFT(text, n): the first n characters; a negative n drops the last |n| characters. */
export function leftText(text: string, count: number): string {
  return count >= 0 ? sliceCharacters(text, 0, count) : sliceCharacters(text, 0, textLength(text) + count)
}

/** RIGHT(text, n): the last n characters; a negative n drops the first |n| characters. */
export function rightText(text: string, count: number): string {
  const length = textLength(text)
  return count >= 0 ? sliceCharacters(text, Math.max(0, length - count), length) : sliceCharacters(text, -count, length)
}

/** LPAD / RPAD: pads to `length` characters with `fill` repeated, or truncates to `length`. */
export function padText(text: string, length: number, fill: string, isLeft: boolean): string {
  if (length <= 0) return ''
  const current = textLength(text)
  if (current >= length) return sliceCharacters(text, 0, length)
  if (fill === '') return text
  const fillChars = Array.from(fill)
  const needed = length - current
  let padding = ''
  for (let i = 0; i < needed; i++) padding += fillChars[i % fillChars.length]
  return isLeft ? padding + text : text + padding
}

/** TRIM with an explicit set of characters to remove from the start, the end, or both. */
export function trimCharacters(text: string, set: string, where: 'both' | 'start' | 'end'): string {
  const remove = new Set(Array.from(set))
  const chars = Array.from(text)
  let start = 0
  let end = chars.length
  if (where !== 'end') while (start < end && remove.has(chars[start])) start++
  if (where !== 'start') while (end > start && remove.has(chars[end - 1])) end--
  return chars.slice(start, end).join('')
}

/** STRPOS: 1-based character position of `search` in `text`, 0 when absent. */
export function positionOf(text: string, search: string): number {
  const index = text.indexOf(search)
  if (index <= 0) return index + 1
  return textLength(text.slice(0, index)) + 1
}

/** SPLIT_PART: the n-th field (1-based; negative counts from the end), '' when there is none. */
export function splitPart(text: string, delimiter: string, n: number, part: string): string {
  if (n === 0) throwInvalidArgument('field position must not be zero', part)
  const fields = delimiter === '' ? [text] : text.split(delimiter)
  const index = n > 0 ? n - 1 : fields.length + n
  return fields[index] ?? ''
}

export function replaceAllText(text: string, search: string, replacement: string): string {
  return search === '' ? text : text.split(search).join(replacement)
}
