/**
 * DATE_TRUNC, DATE_PART/EXTRACT, DATE_ADD, DATE_DIFF and `date ± days` on stored temporal strings
 * (core/schema.ts). Values are split into a day number and microseconds within the day so that every
 * year 1-9999 stays exact to the microsecond (one epoch-microsecond double would not).
 * timestamptz values are handled in UTC; a timestamp without zone is taken as it is written.
 */
import { civilFromDays, daysFromCivil, epochMicrosToTime, MICROS_PER_DAY, MICROS_PER_SECOND } from '../core/temporal.js'
import { isoWeek } from '../core/datetime-format.js'
import { throwInvalidArgument, throwOverflow } from './record-errors.js'

export type TemporalType = 'date' | 'time' | 'timestamp' | 'timestamptz'

export const TEMPORAL_UNITS = ['microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const
export type TemporalUnit = (typeof TEMPORAL_UNITS)[number]

export const DATE_PART_FIELDS = [
  'year', 'isoyear', 'quarter', 'month', 'week', 'day', 'dow', 'isodow', 'doy', 'hour', 'minute', 'second',
  'millisecond', 'microsecond', 'epoch',
] as const
export type DatePartField = (typeof DATE_PART_FIELDS)[number]

const UNIT_MICROS: Partial<Record<TemporalUnit, number>> = {
  microsecond: 1,
  millisecond: 1000,
  second: MICROS_PER_SECOND,
  minute: 60 * MICROS_PER_SECOND,
  hour: 3600 * MICROS_PER_SECOND,
  day: MICROS_PER_DAY,
  week: 7 * MICROS_PER_DAY,
}
const UNIT_MONTHS: Partial<Record<TemporalUnit, number>> = { month: 1, quarter: 3, year: 12 }
const TIME_UNITS: ReadonlySet<string> = new Set(['microsecond', 'millisecond', 'second', 'minute', 'hour'])
const TIME_FIELDS: ReadonlySet<string> = new Set(['hour', 'minute', 'second', 'millisecond', 'microsecond', 'epoch'])

const MIN_DAYS = daysFromCivil(1, 1, 1)
const MAX_DAYS = daysFromCivil(9999, 12, 31)

/** A unit as users write it: case-insensitive, singular or plural (`days`). */
export function parseUnit(text: string): TemporalUnit | undefined {
  const lower = text.trim().toLowerCase()
  const singular = lower.endsWith('s') ? lower.slice(0, -1) : lower
  return (TEMPORAL_UNITS as readonly string[]).includes(singular) ? (singular as TemporalUnit) : undefined
}

export function parseDatePartField(text: string): DatePartField | undefined {
  const lower = text.trim().toLowerCase()
  if ((DATE_PART_FIELDS as readonly string[]).includes(lower)) return lower as DatePartField
  const singular = lower.endsWith('s') ? lower.slice(0, -1) : lower
  return (DATE_PART_FIELDS as readonly string[]).includes(singular) ? (singular as DatePartField) : undefined
}

/** Why `unit` cannot be used by `operation` on a value of `type`, or undefined when it can. */
export function unitProblem(operation: 'DATE_TRUNC' | 'DATE_ADD' | 'DATE_DIFF', unit: TemporalUnit, type: TemporalType): string | undefined {
  if (type === 'time' && !TIME_UNITS.has(unit)) return `${operation} on a time cannot use unit "${unit}"`
  if (operation === 'DATE_ADD' && type === 'date' && TIME_UNITS.has(unit)) {
    return `DATE_ADD on a date cannot add ${unit}s (CAST it AS timestamp first)`
  }
  return undefined
}

export function fieldProblem(field: DatePartField, type: TemporalType): string | undefined {
  return type === 'time' && !TIME_FIELDS.has(field) ? `cannot extract ${field} from a time` : undefined
}

// ------------------------------------------------------------------------------ stored form <-> parts

interface Instant {
  /** Days since 1970-01-01. */
  days: number
  /** Microseconds since midnight, 0 <= micros < MICROS_PER_DAY. */
  micros: number
}

function digitsAt(text: string, start: number, length: number): number {
  let n = 0
  for (let i = start; i < start + length; i++) n = n * 10 + text.charCodeAt(i) - 48
  return n
}

/** Microseconds of a stored `HH:MM:SS[.f]` starting at `start`. */
function clockMicros(text: string, start: number): number {
  const seconds = digitsAt(text, start, 2) * 3600 + digitsAt(text, start + 3, 2) * 60 + digitsAt(text, start + 6, 2)
  let micros = 0
  if (text.charCodeAt(start + 8) === 46 /* . */) {
    let end = start + 9
    while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++
    micros = Number(text.slice(start + 9, end).padEnd(6, '0'))
  }
  return seconds * MICROS_PER_SECOND + micros
}

function toInstant(value: string, type: TemporalType): Instant {
  if (type === 'time') return { days: 0, micros: clockMicros(value, 0) }
  const days = daysFromCivil(digitsAt(value, 0, 4), digitsAt(value, 5, 2), digitsAt(value, 8, 2))
  return { days, micros: type === 'date' ? 0 : clockMicros(value, 11) }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function dateText(days: number): string {
  const { year, month, day } = civilFromDays(days)
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`
}

function fromInstant(instant: Instant, type: TemporalType, part: string): string {
  if (type === 'time') return epochMicrosToTime(instant.micros)
  if (instant.days < MIN_DAYS || instant.days > MAX_DAYS) throwOverflow(type, part)
  if (type === 'date') return dateText(instant.days)
  const text = `${dateText(instant.days)}T${epochMicrosToTime(instant.micros)}`
  return type === 'timestamptz' ? `${text}Z` : text
}

/** Adds less than a day of microseconds (either sign), carrying into the day. */
function addMicros(instant: Instant, micros: number): Instant {
  const total = instant.micros + micros
  const carry = Math.floor(total / MICROS_PER_DAY)
  return { days: instant.days + carry, micros: total - carry * MICROS_PER_DAY }
}

// ------------------------------------------------------------------------------------------ functions

export function truncateTemporal(value: string, type: TemporalType, unit: TemporalUnit): string {
  const instant = toInstant(value, type)
  const step = UNIT_MICROS[unit]
  let result: Instant
  if (unit === 'week') {
    // ISO weeks start on Monday; 1970-01-01 was a Thursday.
    const weekday = (((instant.days + 3) % 7) + 7) % 7
    result = { days: instant.days - weekday, micros: 0 }
  } else if (step !== undefined) {
    result = { days: instant.days, micros: step >= MICROS_PER_DAY ? 0 : instant.micros - (instant.micros % step) }
  } else {
    const { year, month } = civilFromDays(instant.days)
    const months = UNIT_MONTHS[unit] ?? 1
    const firstMonth = months === 12 ? 1 : month - ((month - 1) % months)
    result = { days: daysFromCivil(year, firstMonth, 1), micros: 0 }
  }
  return fromInstant(result, type, '')
}

/** DATE_PART: an int, or a decimal (stored text) for `second` and `epoch`, which keep the fraction. */
export function extractField(value: string, type: TemporalType, field: DatePartField): number | string {
  const { days, micros } = toInstant(value, type)
  const seconds = Math.floor(micros / MICROS_PER_SECOND)
  const fraction = micros % MICROS_PER_SECOND
  switch (field) {
    case 'hour':
      return Math.floor(seconds / 3600)
    case 'minute':
      return Math.floor(seconds / 60) % 60
    case 'second':
      return decimalSeconds(seconds % 60, fraction)
    case 'millisecond':
      return (seconds % 60) * 1000 + Math.floor(fraction / 1000)
    case 'microsecond':
      return (seconds % 60) * MICROS_PER_SECOND + fraction
    case 'epoch':
      return decimalSeconds(type === 'time' ? seconds : days * 86_400 + seconds, fraction)
    default:
      break
  }
  const { year, month, day } = civilFromDays(days)
  const weekday = (((days + 4) % 7) + 7) % 7
  switch (field) {
    case 'year':
      return year
    case 'isoyear':
      return isoWeek(year, month, day).year
    case 'quarter':
      return Math.floor((month - 1) / 3) + 1
    case 'month':
      return month
    case 'week':
      return isoWeek(year, month, day).week
    case 'day':
      return day
    case 'dow':
      return weekday
    case 'isodow':
      return weekday === 0 ? 7 : weekday
    case 'doy':
      return days - daysFromCivil(year, 1, 1) + 1
  }
}

function decimalSeconds(seconds: number, micros: number): string {
  if (micros === 0) return String(seconds)
  const sign = seconds < 0 ? '-' : ''
  // A negative epoch with a fraction: -1.5 s is -2 s + 0.5 s.
  const whole = seconds < 0 ? -(seconds + 1) : seconds
  const fractionMicros = seconds < 0 ? MICROS_PER_SECOND - micros : micros
  return `${sign}${whole}.${String(fractionMicros).padStart(6, '0').replace(/0+$/, '')}`
}

export function addToTemporal(value: string, type: TemporalType, unit: TemporalUnit, amount: number, part: string): string {
  const instant = toInstant(value, type)
  const step = UNIT_MICROS[unit]
  if (step !== undefined) {
    if (step >= MICROS_PER_DAY) {
      const days = amount * (step / MICROS_PER_DAY)
      if (Math.abs(days) > MAX_DAYS - MIN_DAYS + 1) throwOverflow(type, part)
      return fromInstant({ days: instant.days + days, micros: instant.micros }, type, part)
    }
    // Whole days and the rest separately, so that the microsecond count never leaves the exact range.
    const perDay = MICROS_PER_DAY / step
    const days = Math.trunc(amount / perDay)
    const rest = (amount - days * perDay) * step
    if (type === 'time') return epochMicrosToTime(instant.micros + rest)
    if (Math.abs(days) > MAX_DAYS - MIN_DAYS + 1) throwOverflow(type, part)
    return fromInstant(addMicros({ days: instant.days + days, micros: instant.micros }, rest), type, part)
  }
  const { year, month, day } = civilFromDays(instant.days)
  const totalMonths = year * 12 + (month - 1) + amount * (UNIT_MONTHS[unit] ?? 1)
  const newYear = Math.floor(totalMonths / 12)
  const newMonth = totalMonths - newYear * 12 + 1
  if (newYear < 1 || newYear > 9999) throwOverflow(type, part)
  // Jan 31 + 1 month is the last day of February, as in PostgreSQL.
  const lastDay = daysFromCivil(newMonth === 12 ? newYear + 1 : newYear, newMonth === 12 ? 1 : newMonth + 1, 1) - daysFromCivil(newYear, newMonth, 1)
  return fromInstant({ days: daysFromCivil(newYear, newMonth, Math.min(day, lastDay)), micros: instant.micros }, type, part)
}

/** Whole units from `start` to `end` (negative when end is earlier), truncated toward zero. */
export function temporalDifference(unit: TemporalUnit, start: string, end: string, type: TemporalType): bigint {
  const a = toInstant(start, type)
  const b = toInstant(end, type)
  const step = UNIT_MICROS[unit]
  if (step !== undefined) {
    const micros = BigInt(b.days - a.days) * BigInt(MICROS_PER_DAY) + BigInt(b.micros - a.micros)
    return micros / BigInt(step)
  }
  const from = civilFromDays(a.days)
  const to = civilFromDays(b.days)
  let months = (to.year - from.year) * 12 + (to.month - from.month)
  // A month is complete once the day and time of day are reached again.
  const isEndEarlierInMonth = to.day < from.day || (to.day === from.day && b.micros < a.micros)
  const isEndLaterInMonth = to.day > from.day || (to.day === from.day && b.micros > a.micros)
  if (months > 0 && isEndEarlierInMonth) months--
  else if (months < 0 && isEndLaterInMonth) months++
  return BigInt(Math.trunc(months / (UNIT_MONTHS[unit] ?? 1)))
}

/** `date + n` (days). */
export function addDays(date: string, days: number, part: string): string {
  if (!Number.isSafeInteger(days)) throwInvalidArgument(`invalid number of days ${days}`, part)
  return fromInstant({ days: toInstant(date, 'date').days + days, micros: 0 }, 'date', part)
}

/** `a - b` for two dates, in days. */
export function daysBetween(a: string, b: string): number {
  return toInstant(a, 'date').days - toInstant(b, 'date').days
}
