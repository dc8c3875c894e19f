/**
 * strftime-style formatting and parsing of dates, times and timestamps in their stored string forms
 * (schema.ts). Patterns follow C strftime / Python (`%Y-%m-%d %H:%M:%S`, `%f` microseconds), not
 * MySQL's DATE_FORMAT (where `%i` is minutes): `%i`, `%s` and `%h` are refused with a hint because they
 * mean different things in the two dialects. Used by the expression language (DATE_FORMAT, DATE_PARSE)
 * and the date_format processor. Names are English (C locale); timestamptz values are shown in UTC.
 *
 * Directives (a `-` after `%` drops the zero padding of a number, as in `%-d`):
 *   %Y year (4 digits)  %y year % 100  %C century  %G ISO year  %g ISO year % 100
 *   %m month  %B January  %b January -> Jan  %d day  %e day, space-padded  %j day of year
 *   %H hour 00-23  %I hour 01-12  %p AM/PM  %M minute  %S second  %f microsecond (6 digits)
 *   %a Mon  %A Monday  %u ISO weekday 1-7 (Monday 1)  %w weekday 0-6 (Sunday 0)
 *   %U week (Sunday first) 00-53  %W week (Monday first) 00-53  %V ISO week 01-53
 *   %z +0000  %:z +00:00  %Z UTC (both empty for values without a zone)
 *   %F %Y-%m-%d  %T %H:%M:%S  %R %H:%M  %D %m/%d/%y  %r %I:%M:%S %p  %c %a %b %e %H:%M:%S %Y
 *   %x %m/%d/%y  %X %H:%M:%S  %n newline  %t tab  %% percent sign
 * A time value has the date 1900-01-01 (Python's rule); a date has the time 00:00:00.
 */
import { ConfigError, RecordError } from './errors.js'
import type { LogicalType } from './schema.js'
import { civilFromDays, daysFromCivil, parseDate, parseTime, parseTimestamp, parseTimestamptz, temporalKind } from './temporal.js'

/** The temporal types these functions read and write; `string` input is read as whichever it looks like. */
export type TemporalType = 'date' | 'time' | 'timestamp' | 'timestamptz'

const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December',
]
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/** Directives shared by other dialects with another meaning: refused, with what to write instead. */
const REFUSED_DIRECTIVES: Readonly<Record<string, string>> = {
  i: 'minutes are %M (%i is MySQL syntax)',
  s: 'seconds are %S (%s means seconds in MySQL but the epoch in some C libraries, so it is not accepted)',
  h: 'the 12-hour clock hour is %I and the month abbreviation is %b',
  k: 'the hour without padding is %-H',
  l: 'the 12-hour clock hour without padding is %-I',
  P: 'use %p for AM/PM',
}

const COMPOSITE_DIRECTIVES: Readonly<Record<string, string>> = {
  F: '%Y-%m-%d',
  T: '%H:%M:%S',
  R: '%H:%M',
  D: '%m/%d/%y',
  r: '%I:%M:%S %p',
  c: '%a %b %e %H:%M:%S %Y',
  x: '%m/%d/%y',
  X: '%H:%M:%S',
}

const SIMPLE_DIRECTIVES = new Set('YyCGgmBbdejHIpMSfaAuwUWVzZ'.split(''))
const UNPADDABLE = new Set('yCgmdejHIMSUWVGY'.split(''))

/** One piece of a pattern: literal text, or a directive letter (`:z` for `%:z`) with its no-padding flag. */
type PatternPart = { readonly literal: string } | { readonly directive: string; readonly isUnpadded: boolean; readonly offset: number }

/** Splits a pattern into literal text and directives. Throws ConfigError `datetime.invalid_pattern`. */
function splitPattern(pattern: string, parts: PatternPart[] = [], baseOffset?: number): PatternPart[] {
  let literal = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (char !== '%') {
      literal += char
      continue
    }
    const start = i
    let letter = pattern[++i]
    let isUnpadded = false
    if (letter === '-') {
      isUnpadded = true
      letter = pattern[++i]
    } else if (letter === ':' && pattern[i + 1] === 'z') {
      letter = ':z'
      i++
    }
    const offset = baseOffset ?? start
    if (letter === undefined) {
      throw new ConfigError('datetime.invalid_pattern', `date pattern ${JSON.stringify(pattern)} ends with a lone "%"`, {
        offset,
        hint: 'write %% for a percent sign',
      })
    }
    if (letter === '%' || letter === 'n' || letter === 't') {
      literal += letter === '%' ? '%' : letter === 'n' ? '\n' : '\t'
      continue
    }
    const composite = COMPOSITE_DIRECTIVES[letter]
    if ((composite === undefined && !SIMPLE_DIRECTIVES.has(letter) && letter !== ':z') || (isUnpadded && !UNPADDABLE.has(letter))) {
      const shown = pattern.slice(start, i + 1)
      throw new ConfigError('datetime.invalid_pattern', `unknown directive "${shown}" in date pattern ${JSON.stringify(pattern)}`, {
        offset,
        hint: REFUSED_DIRECTIVES[letter] ?? 'see the list of directives in docs/expressions.md (strftime syntax)',
      })
    }
    if (literal) parts.push({ literal })
    literal = ''
    if (composite !== undefined) splitPattern(composite, parts, offset)
    else parts.push({ directive: letter, isUnpadded, offset })
  }
  if (literal) parts.push({ literal })
  return parts
}

/** Checks a pattern without formatting anything (for config validation). Throws ConfigError
 * `datetime.invalid_pattern` whose `offset` is the directive's position in the pattern. */
export function checkTemporalPattern(pattern: string): void {
  splitPattern(pattern)
}

// ---------------------------------------------------------------------------------------------- format

interface Fields {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly micros: number
  readonly hasZone: boolean
}

type Formatter = (fields: Fields) => string

const formatters = new Map<string, Formatter>()
const MAX_CACHED_PATTERNS = 256

function pad(n: number, width: number, isUnpadded: boolean, fill = '0'): string {
  const text = String(n)
  return isUnpadded || text.length >= width ? text : fill.repeat(width - text.length) + text
}

/** 0 = Sunday. 1970-01-01 was a Thursday. */
function weekday(fields: Fields): number {
  return (((daysFromCivil(fields.year, fields.month, fields.day) + 4) % 7) + 7) % 7
}

/** 1-based day of the year. */
function dayOfYear(fields: Fields): number {
  return daysFromCivil(fields.year, fields.month, fields.day) - daysFromCivil(fields.year, 1, 1) + 1
}

function isoWeeksInYear(year: number): number {
  const p = (y: number): number => (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) % 7
  return p(year) === 4 || p(year - 1) === 3 ? 53 : 52
}

/** ISO 8601 week-numbering year and week of a date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const isoWeekday = ((((daysFromCivil(year, month, day) + 4) % 7) + 7) % 7 || 7)
  const ordinal = daysFromCivil(year, month, day) - daysFromCivil(year, 1, 1) + 1
  const week = Math.floor((ordinal - isoWeekday + 10) / 7)
  if (week < 1) return { year: year - 1, week: isoWeeksInYear(year - 1) }
  if (week > isoWeeksInYear(year)) return { year: year + 1, week: 1 }
  return { year, week }
}

function directiveFormatter(directive: string, isUnpadded: boolean): Formatter {
  switch (directive) {
    case 'Y':
      return (f) => pad(f.year, 4, isUnpadded)
    case 'y':
      return (f) => pad(f.year % 100, 2, isUnpadded)
    case 'C':
      return (f) => pad(Math.floor(f.year / 100), 2, isUnpadded)
    case 'G':
      return (f) => pad(isoWeek(f.year, f.month, f.day).year, 4, isUnpadded)
    case 'g':
      return (f) => pad(isoWeek(f.year, f.month, f.day).year % 100, 2, isUnpadded)
    case 'm':
      return (f) => pad(f.month, 2, isUnpadded)
    case 'B':
      return (f) => MONTH_NAMES[f.month - 1]
    case 'b':
      return (f) => MONTH_NAMES[f.month - 1].slice(0, 3)
    case 'd':
      return (f) => pad(f.day, 2, isUnpadded)
    case 'e':
      return (f) => pad(f.day, 2, isUnpadded, ' ')
    case 'j':
      return (f) => pad(dayOfYear(f), 3, isUnpadded)
    case 'H':
      return (f) => pad(f.hour, 2, isUnpadded)
    case 'I':
      return (f) => pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2, isUnpadded)
    case 'p':
      return (f) => (f.hour < 12 ? 'AM' : 'PM')
    case 'M':
      return (f) => pad(f.minute, 2, isUnpadded)
    case 'S':
      return (f) => pad(f.second, 2, isUnpadded)
    case 'f':
      return (f) => pad(f.micros, 6, false)
    case 'a':
      return (f) => DAY_NAMES[weekday(f)].slice(0, 3)
    case 'A':
      return (f) => DAY_NAMES[weekday(f)]
    case 'u':
      return (f) => String(weekday(f) || 7)
    case 'w':
      return (f) => String(weekday(f))
    case 'U':
      return (f) => pad(Math.floor((dayOfYear(f) - 1 + 7 - weekday(f)) / 7), 2, isUnpadded)
    case 'W':
      return (f) => pad(Math.floor((dayOfYear(f) - 1 + 7 - ((weekday(f) + 6) % 7)) / 7), 2, isUnpadded)
    case 'V':
      return (f) => pad(isoWeek(f.year, f.month, f.day).week, 2, isUnpadded)
    case 'z':
      return (f) => (f.hasZone ? '+0000' : '')
    case ':z':
      return (f) => (f.hasZone ? '+00:00' : '')
    case 'Z':
      return (f) => (f.hasZone ? 'UTC' : '')
    default:
      throw new Error(`unhandled date directive ${directive}`)
  }
}

function compileFormatter(pattern: string): Formatter {
  let formatter = formatters.get(pattern)
  if (formatter) return formatter
  const pieces = splitPattern(pattern).map((part): Formatter => {
    if ('literal' in part) {
      const text = part.literal
      return () => text
    }
    return directiveFormatter(part.directive, part.isUnpadded)
  })
  formatter = (fields) => {
    let out = ''
    for (const piece of pieces) out += piece(fields)
    return out
  }
  if (formatters.size >= MAX_CACHED_PATTERNS) formatters.clear()
  formatters.set(pattern, formatter)
  return formatter
}

const STORED_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z)?)?$/
const STORED_TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/

function normalizeFor(value: string, type: LogicalType): { text: string; type: TemporalType } | undefined {
  switch (type) {
    case 'date': {
      const text = parseDate(value)
      return text === undefined ? undefined : { text, type }
    }
    case 'time': {
      const text = parseTime(value)
      return text === undefined ? undefined : { text, type }
    }
    case 'timestamp': {
      const text = parseTimestamp(value)
      return text === undefined ? undefined : { text, type }
    }
    case 'timestamptz': {
      const text = parseTimestamptz(value)
      return text === undefined ? undefined : { text, type }
    }
    case 'string': {
      const time = /^\s*\d{2}:/.test(value) ? parseTime(value) : undefined
      if (time !== undefined) return { text: time, type: 'time' }
      const kind = temporalKind(value)
      return kind === undefined ? undefined : normalizeFor(value, kind)
    }
    default:
      throw new ConfigError('datetime.invalid_type', `cannot format a ${type} value as a date or time`)
  }
}

function fieldsOf(value: string, type: LogicalType): Fields {
  if (type === 'time') {
    const match = STORED_TIME.exec(value)
    if (match) return timeFields(match)
  } else if (type === 'date' || type === 'timestamp' || type === 'timestamptz') {
    const match = STORED_TIMESTAMP.exec(value)
    // The stored form is the fast path; anything else is normalized (or refused) first.
    if (match && (type === 'date') === (match[4] === undefined) && (type === 'timestamptz') === (match[8] !== undefined)) {
      const fields = timestampFields(match, type === 'timestamptz')
      if (isValidDate(fields)) return fields
    }
  }
  const normalized = normalizeFor(value, type)
  if (normalized === undefined) {
    const what = type === 'string' ? 'date or time' : type
    throw new RecordError('value.invalid', `invalid ${what} ${JSON.stringify(value)}`)
  }
  return fieldsOf(normalized.text, normalized.type)
}

function isValidDate(fields: Fields): boolean {
  const { year, month, day } = fields
  if (year < 1 || month < 1 || month > 12 || day < 1 || fields.hour > 23 || fields.minute > 59 || fields.second > 59) return false
  return day <= daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1)
}

function timeFields(match: RegExpExecArray): Fields {
  return {
    year: 1900,
    month: 1,
    day: 1,
    hour: Number(match[1]),
    minute: Number(match[2]),
    second: Number(match[3]),
    micros: match[4] === undefined ? 0 : Number(match[4].padEnd(6, '0')),
    hasZone: false,
  }
}

function timestampFields(match: RegExpExecArray, hasZone: boolean): Fields {
  return {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: match[4] === undefined ? 0 : Number(match[4]),
    minute: match[5] === undefined ? 0 : Number(match[5]),
    second: match[6] === undefined ? 0 : Number(match[6]),
    micros: match[7] === undefined ? 0 : Number(match[7].padEnd(6, '0')),
    hasZone,
  }
}

/**
 * Formats a date, time, timestamp or timestamptz (stored form, or any text its type accepts; for
 * `string`, whichever of them the text is) with a strftime pattern.
 * Throws ConfigError `datetime.invalid_pattern` for a bad pattern (check it up front with
 * checkTemporalPattern) and RecordError `value.invalid` for a value that is not of the type.
 */
export function formatTemporal(value: string, type: LogicalType, pattern: string): string {
  const formatter = compileFormatter(pattern)
  return formatter(fieldsOf(value, type))
}

// ----------------------------------------------------------------------------------------------- parse

interface ParsedFields {
  year?: number
  month?: number
  day?: number
  dayOfYear?: number
  hour?: number
  hour12?: number
  isPm?: boolean
  minute?: number
  second?: number
  micros?: number
  offsetMinutes?: number
}

type FieldSetter = (fields: ParsedFields, text: string) => boolean

interface Parser {
  readonly regex: RegExp
  readonly setters: readonly FieldSetter[]
}

const parsers = new Map<string, Parser>()

const MONTH_ALTERNATIVES = MONTH_NAMES.flatMap((name) => [name, name.slice(0, 3)]).sort((a, b) => b.length - a.length).join('|')
const DAY_ALTERNATIVES = DAY_NAMES.flatMap((name) => [name, name.slice(0, 3)]).sort((a, b) => b.length - a.length).join('|')

function numberSetter(key: keyof ParsedFields): FieldSetter {
  return (fields, text) => {
    ;(fields[key] as number) = Number(text)
    return true
  }
}

function directiveParser(directive: string): { pattern: string; setter?: FieldSetter } | undefined {
  switch (directive) {
    case 'Y':
      return { pattern: '(\\d{4})', setter: numberSetter('year') }
    case 'y':
      return {
        pattern: '(\\d{2})',
        setter: (fields, text) => {
          const n = Number(text)
          fields.year = n < 69 ? 2000 + n : 1900 + n
          return true
        },
      }
    case 'm':
      return { pattern: '(\\d{1,2})', setter: numberSetter('month') }
    case 'B':
    case 'b':
      return {
        pattern: `(${MONTH_ALTERNATIVES})`,
        setter: (fields, text) => {
          const lower = text.toLowerCase()
          fields.month = MONTH_NAMES.findIndex((name) => name.toLowerCase().startsWith(lower.slice(0, 3))) + 1
          return true
        },
      }
    case 'd':
      return { pattern: '(\\d{1,2})', setter: numberSetter('day') }
    case 'e':
      return { pattern: ' ?(\\d{1,2})', setter: numberSetter('day') }
    case 'j':
      return { pattern: '(\\d{1,3})', setter: numberSetter('dayOfYear') }
    case 'H':
      return { pattern: '(\\d{1,2})', setter: numberSetter('hour') }
    case 'I':
      return { pattern: '(\\d{1,2})', setter: numberSetter('hour12') }
    case 'p':
      return {
        pattern: '(am|pm)',
        setter: (fields, text) => {
          fields.isPm = text.toLowerCase() === 'pm'
          return true
        },
      }
    case 'M':
      return { pattern: '(\\d{1,2})', setter: numberSetter('minute') }
    case 'S':
      return { pattern: '(\\d{1,2})', setter: numberSetter('second') }
    case 'f':
      return {
        pattern: '(\\d{1,6})',
        setter: (fields, text) => {
          fields.micros = Number(text.padEnd(6, '0'))
          return true
        },
      }
    // Weekday names and numbers are read and not checked against the date (Python does the same).
    case 'a':
    case 'A':
      return { pattern: `(?:${DAY_ALTERNATIVES})` }
    case 'u':
    case 'w':
      return { pattern: '\\d' }
    case 'z':
    case ':z':
      return {
        pattern: '(Z|[+-]\\d{2}(?::?\\d{2})?)',
        setter: (fields, text) => {
          if (text === 'Z' || text === 'z') {
            fields.offsetMinutes = 0
            return true
          }
          const digits = text.slice(1).replace(':', '')
          const hours = Number(digits.slice(0, 2))
          const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0
          if (hours > 15 || minutes > 59) return false
          fields.offsetMinutes = (text[0] === '-' ? -1 : 1) * (hours * 60 + minutes)
          return true
        },
      }
    case 'Z':
      return {
        pattern: '(UTC|GMT|Z)',
        setter: (fields) => {
          fields.offsetMinutes = 0
          return true
        },
      }
    default:
      // %C %G %g %U %W %V: week-based and century fields do not determine a date on their own.
      return undefined
  }
}

function compileParser(pattern: string): Parser {
  let parser = parsers.get(pattern)
  if (parser) return parser
  let source = '^\\s*'
  const setters: FieldSetter[] = []
  for (const part of splitPattern(pattern)) {
    if ('literal' in part) {
      source += part.literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/\s+/g, '\\s+')
      continue
    }
    const directive = directiveParser(part.directive)
    if (directive === undefined) {
      throw new ConfigError('datetime.invalid_pattern', `directive "%${part.directive}" cannot be used to parse a date (pattern ${JSON.stringify(pattern)})`, {
        offset: part.offset,
        hint: 'parse with %Y, %m, %d (or %j) and format week numbers afterwards',
      })
    }
    source += directive.pattern
    if (directive.setter) setters.push(directive.setter)
  }
  parser = { regex: new RegExp(`${source}\\s*$`, 'i'), setters }
  if (parsers.size >= MAX_CACHED_PATTERNS) parsers.clear()
  parsers.set(pattern, parser)
  return parser
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/**
 * Parses text with a strftime pattern (as Python's strptime: numbers may omit their leading zero,
 * names are case-insensitive, whitespace matches any run of whitespace) and returns the stored form
 * of `type`, or undefined when the text does not match or is not a valid date.
 * Missing fields default to 1900-01-01 00:00:00. A parsed offset (%z) converts a timestamptz to UTC
 * and is ignored for the other types (PostgreSQL's rule for timestamp without time zone).
 * Throws ConfigError `datetime.invalid_pattern` for a bad pattern or one that cannot be parsed with.
 */
export function parseTemporal(text: string, pattern: string, type: LogicalType): string | undefined {
  if (type !== 'date' && type !== 'time' && type !== 'timestamp' && type !== 'timestamptz') {
    throw new ConfigError('datetime.invalid_type', `cannot parse text into a ${type} value: use date, time, timestamp or timestamptz`)
  }
  const parser = compileParser(pattern)
  const match = parser.regex.exec(text)
  if (!match) return undefined
  const fields: ParsedFields = {}
  for (let i = 0; i < parser.setters.length; i++) {
    if (!parser.setters[i](fields, match[i + 1])) return undefined
  }
  let hour = fields.hour ?? 0
  if (fields.hour12 !== undefined) {
    if (fields.hour12 < 1 || fields.hour12 > 12) return undefined
    hour = (fields.hour12 % 12) + (fields.isPm ? 12 : 0)
  }
  const year = fields.year ?? 1900
  let month = fields.month ?? 1
  let day = fields.day ?? 1
  if (fields.dayOfYear !== undefined && fields.month === undefined && fields.day === undefined) {
    const ordinal = fields.dayOfYear
    const days = daysFromCivil(year, 1, 1) + ordinal - 1
    if (ordinal < 1 || days >= daysFromCivil(year + 1, 1, 1)) return undefined
    ;({ month, day } = civilFromDays(days))
  }
  const minute = fields.minute ?? 0
  const second = fields.second ?? 0
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const fraction = fields.micros ? `.${String(fields.micros).padStart(6, '0')}` : ''
  const clock = `${pad2(hour)}:${pad2(minute)}:${pad2(second)}${fraction}`
  const stamp = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${clock}`
  // Validation (days in month, year range) and normalization are the core parsers' job.
  const date = parseDate(stamp)
  if (date === undefined) return undefined
  switch (type) {
    case 'date':
      return date
    case 'time':
      return parseTime(clock)
    case 'timestamp':
      return parseTimestamp(stamp)
    case 'timestamptz': {
      const offset = fields.offsetMinutes ?? 0
      const sign = offset < 0 ? '-' : '+'
      const abs = Math.abs(offset)
      return parseTimestamptz(`${stamp}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`)
    }
  }
}
