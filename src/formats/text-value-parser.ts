/**
 * Text to value for one column, for text formats. The result is always exactly what core's
 * `parseValue` gives (it remains the reference, and every text the fast paths do not recognise goes
 * to it); the fast paths only skip its regular expressions for the canonical forms that files
 * mostly hold (`12.50`, `2024-01-31T13:45:10`, `2024-01-31 13:45:10Z`), which matters at a million
 * rows a second.
 *
 * `textRangeParser` converts `text[start, end)` in place: the CSV parser hands the decoder a line
 * and where its fields are (csv-parser.ts `CsvLine`), so that numbers and booleans are read without
 * cutting a string out first, and canonical forms are checked on the line's flat text, which is
 * faster than on a sliced string (docs/ARCHITECTURE.md D17).
 */
import type { Value } from '../core/schema.js'
import { INT_MAX, INT_MIN, parseIntText, parseValue, type CastTarget } from '../core/values.js'

export type TextValueParser = (text: string) => Value

/** Converts `text[start, end)`: what the TextValueParser of the same column gives for that slice. */
export type TextRangeParser = (text: string, start: number, end: number) => Value

export function textValueParser(target: CastTarget): TextValueParser {
  switch (target.type) {
    case 'string':
      return (text) => text
    case 'float':
      return (text) => {
        if (isFloatAlphabet(text)) {
          const n = Number(text)
          if (n === n) return n
        }
        return parseValue(text, target)
      }
    case 'int':
    case 'decimal':
    case 'bool':
    case 'date':
    case 'timestamp':
    case 'timestamptz': {
      const parse = textRangeParser(target)
      return (text) => parse(text, 0, text.length)
    }
    default:
      return (text) => parseValue(text, target)
  }
}

export function textRangeParser(target: CastTarget): TextRangeParser {
  switch (target.type) {
    case 'string':
      return (text, start, end) => text.slice(start, end)
    case 'int':
      return (text, start, end) => {
        const n = intAt(text, start, end)
        return n === undefined ? parseValue(text.slice(start, end), target) : n
      }
    case 'decimal':
      if (target.precision === undefined) {
        return (text, start, end) => {
          const slice = text.slice(start, end)
          return isCanonicalDecimalAt(text, start, end) ? slice : parseValue(slice, target)
        }
      }
      return decimalWithScale(target, target.precision, target.scale ?? 0)
    case 'bool':
      return (text, start, end) => {
        const word = boolAt(text, start, end)
        return word === undefined ? parseValue(text.slice(start, end), target) : word
      }
    case 'date':
      return (text, start, end) => {
        const slice = text.slice(start, end)
        return end - start === 10 && isCanonicalDateAt(text, start) ? slice : parseValue(slice, target)
      }
    case 'timestamp':
      return (text, start, end) => {
        if (end - start >= 19 && timestampEnd(text, start, end) === end) {
          return text.charCodeAt(start + 10) === 84 /* T */ ? text.slice(start, end) : `${text.slice(start, start + 10)}T${text.slice(start + 11, end)}`
        }
        return parseValue(text.slice(start, end), target)
      }
    case 'timestamptz':
      return (text, start, end) => {
        if (end - start >= 19) {
          const at = timestampEnd(text, start, end)
          const hasT = text.charCodeAt(start + 10) === 84
          if (at === end - 1 && text.charCodeAt(at) === 90 /* Z */) return hasT ? text.slice(start, end) : `${text.slice(start, start + 10)}T${text.slice(start + 11, end)}`
          if (at === end) return hasT ? `${text.slice(start, end)}Z` : `${text.slice(start, start + 10)}T${text.slice(start + 11, end)}Z`
        }
        return parseValue(text.slice(start, end), target)
      }
    default: {
      const parse = textValueParser(target)
      return (text, start, end) => parse(text.slice(start, end))
    }
  }
}

function decimalWithScale(target: CastTarget, precision: number, scale: number): TextRangeParser {
  return (text, start, end) => {
    if (isCanonicalDecimalAt(text, start, end)) {
      const digitsStart = text.charCodeAt(start) === 45 ? start + 1 : start
      let point = text.indexOf('.', digitsStart)
      if (point >= end) point = -1
      const integerPart = (point < 0 ? end : point) - digitsStart
      const fractionDigits = point < 0 ? 0 : end - point - 1
      const integerDigits = integerPart === 1 && text.charCodeAt(digitsStart) === 48 ? 0 : integerPart
      if (fractionDigits === scale && integerDigits <= precision - scale) return text.slice(start, end)
    }
    return parseValue(text.slice(start, end), target)
  }
}

/**
 * parseValue's int for `text[start, end)` when it is one (sign, 1-10 digits, in range; `-0` stays
 * -0, as there), else undefined: parseValue then gives the error.
 */
function intAt(text: string, start: number, end: number): number | undefined {
  const value = parseIntText(text, start, end)
  return value === undefined || value < INT_MIN || value > INT_MAX ? undefined : value
}

/** `true` or `false` written so; undefined for anything else (parseValue knows the other words). */
function boolAt(text: string, start: number, end: number): boolean | undefined {
  const length = end - start
  const first = text.charCodeAt(start)
  if (length === 4 && first === 116 && text.charCodeAt(start + 1) === 114 && text.charCodeAt(start + 2) === 117 && text.charCodeAt(start + 3) === 101) return true
  if (length === 5 && first === 102 && text.charCodeAt(start + 1) === 97 && text.charCodeAt(start + 2) === 108 && text.charCodeAt(start + 3) === 115 && text.charCodeAt(start + 4) === 101) {
    return false
  }
  return undefined
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, not a negative zero: the stored form of a decimal already. */
export function isCanonicalDecimal(text: string): boolean {
  return isCanonicalDecimalAt(text, 0, text.length)
}

function isCanonicalDecimalAt(text: string, start: number, end: number): boolean {
  let i = start
  if (end > start && text.charCodeAt(start) === 45 /* - */) i++
  if (i >= end) return false
  let isZero = true
  const first = text.charCodeAt(i)
  if (first === 48 /* 0 */) {
    i++
  } else {
    if (first < 49 || first > 57) return false
    isZero = false
    for (i++; i < end; i++) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) break
    }
  }
  if (i < end) {
    if (text.charCodeAt(i) !== 46 /* . */ || i === end - 1) return false
    for (i++; i < end; i++) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) return false
      if (c !== 48) isZero = false
    }
  }
  return !(isZero && text.charCodeAt(start) === 45)
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

/** Two digits at `i` as a number; -1 if either is not a digit. */
function twoDigitsAt(text: string, i: number): number {
  const tens = text.charCodeAt(i) - 48
  const ones = text.charCodeAt(i + 1) - 48
  if (tens < 0 || tens > 9 || ones < 0 || ones > 9) return -1
  return tens * 10 + ones
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** `YYYY-MM-DD` at `i` (the text holds at least 10 characters from there) is a valid date. */
function isCanonicalDateAt(text: string, i: number): boolean {
  if (text.charCodeAt(i + 4) !== 45 || text.charCodeAt(i + 7) !== 45) return false
  const century = twoDigitsAt(text, i)
  const yearOfCentury = twoDigitsAt(text, i + 2)
  const month = twoDigitsAt(text, i + 5)
  const day = twoDigitsAt(text, i + 8)
  if (century < 0 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1) return false
  const year = century * 100 + yearOfCentury
  return year >= 1 && (day <= 28 || day <= daysInMonth(year, month))
}

/**
 * For `YYYY-MM-DD[T ]HH:MM:SS[.f]` at `start` with a valid date and time and 1-6 fraction digits
 * without a trailing zero (the stored form), the index just after it (at most `end`); -1 otherwise.
 * The text holds at least 19 characters from `start` up to `end`.
 */
function timestampEnd(text: string, start: number, end: number): number {
  const separator = text.charCodeAt(start + 10)
  if ((separator !== 84 /* T */ && separator !== 32) || text.charCodeAt(start + 13) !== 58 || text.charCodeAt(start + 16) !== 58) return -1
  if (!isCanonicalDateAt(text, start)) return -1
  const hour = twoDigitsAt(text, start + 11)
  const minute = twoDigitsAt(text, start + 14)
  const second = twoDigitsAt(text, start + 17)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1
  if (start + 19 >= end || text.charCodeAt(start + 19) !== 46 /* . */) return start + 19
  let i = start + 20
  const limit = Math.min(end, start + 26)
  while (i < limit) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) break
    i++
  }
  if (i === start + 20 || text.charCodeAt(i - 1) === 48) return -1
  if (i < end) {
    const next = text.charCodeAt(i)
    if (next >= 48 && next <= 57) return -1
  }
  return i
}
