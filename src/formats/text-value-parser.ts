/**
 * Text to value for one column, for text formats. The result is always exactly what core's
 * `parseValue` gives (it remains the reference, and every text the fast paths do not recognise goes
 * to it); the fast paths only skip its regular expressions for the canonical forms that files
 * mostly hold (`12.50`, `2024-01-31T13:45:10`, `2024-01-31 13:45:10Z`), which matters at a million
 * rows a second.
 */
import type { Value } from '../core/schema.js'
import { parseValue, type CastTarget } from '../core/values.js'

export type TextValueParser = (text: string) => Value

export function textValueParser(target: CastTarget): TextValueParser {
  switch (target.type) {
    case 'string':
      return (text) => text
    case 'decimal':
      if (target.precision === undefined) return (text) => (isCanonicalDecimal(text) ? text : parseValue(text, target))
      return decimalWithScale(target, target.precision, target.scale ?? 0)
    case 'float':
      return (text) => {
        if (isFloatAlphabet(text)) {
          const n = Number(text)
          if (n === n) return n
        }
        return parseValue(text, target)
      }
    case 'bool':
      return (text) => (text === 'true' ? true : text === 'false' ? false : parseValue(text, target))
    case 'date':
      return (text) => (text.length === 10 && isCanonicalDate(text) ? text : parseValue(text, target))
    case 'timestamp':
      return (text) => {
        if (text.length >= 19 && timestampEnd(text) === text.length) return text.charCodeAt(10) === 84 /* T */ ? text : `${text.slice(0, 10)}T${text.slice(11)}`
        return parseValue(text, target)
      }
    case 'timestamptz':
      return (text) => {
        if (text.length >= 19) {
          const end = timestampEnd(text)
          const hasT = text.charCodeAt(10) === 84
          if (end === text.length - 1 && text.charCodeAt(end) === 90 /* Z */) return hasT ? text : `${text.slice(0, 10)}T${text.slice(11)}`
          if (end === text.length) return hasT ? `${text}Z` : `${text.slice(0, 10)}T${text.slice(11)}Z`
        }
        return parseValue(text, target)
      }
    default:
      return (text) => parseValue(text, target)
  }
}

function decimalWithScale(target: CastTarget, precision: number, scale: number): TextValueParser {
  return (text) => {
    if (isCanonicalDecimal(text)) {
      const start = text.charCodeAt(0) === 45 ? 1 : 0
      const point = text.indexOf('.')
      const integerPart = (point < 0 ? text.length : point) - start
      const fractionDigits = point < 0 ? 0 : text.length - point - 1
      const integerDigits = integerPart === 1 && text.charCodeAt(start) === 48 ? 0 : integerPart
      if (fractionDigits === scale && integerDigits <= precision - scale) return text
    }
    return parseValue(text, target)
  }
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, not a negative zero: the stored form of a decimal already. */
export function isCanonicalDecimal(text: string): boolean {
  const n = text.length
  let i = 0
  if (n > 0 && text.charCodeAt(0) === 45 /* - */) i = 1
  if (i >= n) return false
  let isZero = true
  const first = text.charCodeAt(i)
  if (first === 48 /* 0 */) {
    i++
  } else {
    if (first < 49 || first > 57) return false
    isZero = false
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) break
    }
  }
  if (i < n) {
    if (text.charCodeAt(i) !== 46 /* . */ || i === n - 1) return false
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) return false
      if (c !== 48) isZero = false
    }
  }
  return !(isZero && text.charCodeAt(0) === 45)
}

/** Only characters a float literal uses (so `Number` cannot accept hex, blanks or an empty text). */
function isFloatAlphabet(text: string): boolean {
  const n = text.length
  if (n === 0) return false
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if ((c < 48 || c > 57) && c !== 46 && c !== 45 && c !== 43 && c !== 101 && c !== 69) return false
  }
  return true
}

function digitsAt(text: string, i: number, count: number): number {
  let n = 0
  for (let k = 0; k < count; k++) {
    const d = text.charCodeAt(i + k) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function isCanonicalDate(text: string): boolean {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/**
 * For `YYYY-MM-DD[T ]HH:MM:SS[.f]` with a valid date and time and 1-6 fraction digits without a
 * trailing zero (the stored form), the index just after it; -1 otherwise.
 */
function timestampEnd(text: string): number {
  const separator = text.charCodeAt(10)
  if ((separator !== 84 /* T */ && separator !== 32) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return -1
  if (!isCanonicalDate(text)) return -1
  const hour = digitsAt(text, 11, 2)
  const minute = digitsAt(text, 14, 2)
  const second = digitsAt(text, 17, 2)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1
  if (text.charCodeAt(19) !== 46 /* . */) return 19
  let i = 20
  while (i < text.length && i < 26) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) break
    i++
  }
  if (i === 20 || text.charCodeAt(i - 1) === 48) return -1
  const next = text.charCodeAt(i)
  return next >= 48 && next <= 57 ? -1 : i
}
