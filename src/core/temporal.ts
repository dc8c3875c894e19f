/**
 * Parsing and normalizing dates, times and timestamps to their stored string forms (schema.ts),
 * and converting them to and from epoch numbers. Proleptic Gregorian calendar, years 1-9999,
 * computed without `Date` so that microseconds and early years are exact.
 *
 * Accepted text (case-insensitive `T`, `Z`):
 *   date         2024-01-31 (a timestamp is truncated to its date, as SQL's CAST does)
 *   time         13:45, 13:45:10, 13:45:10.123456
 *   timestamp    2024-01-31, 2024-01-31 13:45, 2024-01-31T13:45:10.5; an offset is accepted and ignored,
 *                as PostgreSQL does for `timestamp without time zone`
 *   timestamptz  as timestamp, plus Z, +02, +02:00, +0200; no offset means UTC; stored in UTC
 * More than 6 fraction digits are rounded to microseconds.
 */

const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i
const TIME_PATTERN = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/

export const MICROS_PER_SECOND = 1_000_000
export const MICROS_PER_DAY = 86_400_000_000

interface TimestampParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  micros: number
  /** Offset east of UTC in minutes, or undefined when the text had none. */
  offsetMinutes: number | undefined
  /** A fraction finer than microseconds was rounded up into the next microsecond. */
  carry: boolean
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function parseFraction(fraction: string | undefined): { micros: number; carry: boolean } {
  if (!fraction) return { micros: 0, carry: false }
  if (fraction.length <= 6) return { micros: Number(fraction.padEnd(6, '0')), carry: false }
  const micros = Number(fraction.slice(0, 6))
  const roundUp = fraction.charCodeAt(6) >= 53 /* '5' */
  if (!roundUp) return { micros, carry: false }
  return micros === 999_999 ? { micros: 0, carry: true } : { micros: micros + 1, carry: false }
}

function parseTimestampParts(text: string): TimestampParts | undefined {
  const match = TIMESTAMP_PATTERN.exec(text.trim())
  if (!match) return undefined
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  const hour = match[4] === undefined ? 0 : Number(match[4])
  const minute = match[5] === undefined ? 0 : Number(match[5])
  const second = match[6] === undefined ? 0 : Number(match[6])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const { micros, carry } = parseFraction(match[7])
  let offsetMinutes: number | undefined
  const zone = match[8]
  if (zone !== undefined) {
    if (zone === 'Z' || zone === 'z') offsetMinutes = 0
    else {
      const digits = zone.slice(1).replace(':', '')
      const hours = Number(digits.slice(0, 2))
      const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0
      if (hours > 15 || minutes > 59) return undefined
      offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes)
    }
  }
  return { year, month, day, hour, minute, second, micros, offsetMinutes, carry }
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146097 + dayOfEra - 719468
}

/** Civil date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const dayOfEra = z - era * 146097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function pad4(n: number): string {
  return String(n).padStart(4, '0')
}

function fractionText(micros: number): string {
  if (micros === 0) return ''
  return `.${String(micros).padStart(6, '0').replace(/0+$/, '')}`
}

function partsToEpochMicros(parts: TimestampParts): number {
  const days = daysFromCivil(parts.year, parts.month, parts.day)
  const seconds = parts.hour * 3600 + parts.minute * 60 + parts.second
  return days * MICROS_PER_DAY + seconds * MICROS_PER_SECOND + parts.micros + (parts.carry ? MICROS_PER_SECOND : 0)
}

function inRange(epochMicros: number): boolean {
  return epochMicros >= MIN_EPOCH_MICROS && epochMicros <= MAX_EPOCH_MICROS
}

const MIN_EPOCH_MICROS = daysFromCivil(1, 1, 1) * MICROS_PER_DAY
const MAX_EPOCH_MICROS = (daysFromCivil(9999, 12, 31) + 1) * MICROS_PER_DAY - 1

/** `YYYY-MM-DD` of a date or timestamp text, or undefined when it is not a valid date. */
export function parseDate(text: string): string | undefined {
  const parts = parseTimestampParts(text)
  if (!parts) return undefined
  return `${pad4(parts.year)}-${pad2(parts.month)}-${pad2(parts.day)}`
}

/** Normalized time of a time text (`13:45` -> `13:45:00`), or undefined. */
export function parseTime(text: string): string | undefined {
  const trimmed = text.trim()
  const match = TIME_PATTERN.exec(trimmed)
  if (!match) {
    // A timestamp casts to its time of day.
    const parts = parseTimestampParts(trimmed)
    if (!parts || parts.carry || !/[T ]/i.test(trimmed)) return undefined
    return `${pad2(parts.hour)}:${pad2(parts.minute)}:${pad2(parts.second)}${fractionText(parts.micros)}`
  }
  const hour = Number(match[1])
  const minute = Number(match[2])
  const second = match[3] === undefined ? 0 : Number(match[3])
  if (hour > 24 || minute > 59 || second > 59) return undefined
  const { micros, carry } = parseFraction(match[4])
  if (hour === 24 && (minute > 0 || second > 0 || micros > 0)) return undefined
  if (carry) return epochMicrosToTime(((hour * 60 + minute) * 60 + second + 1) * MICROS_PER_SECOND)
  return `${pad2(hour)}:${pad2(minute)}:${pad2(second)}${fractionText(micros)}`
}

/** Normalized timestamp without zone, or undefined. An offset in the text is ignored (PostgreSQL's rule). */
export function parseTimestamp(text: string): string | undefined {
  const parts = parseTimestampParts(text)
  if (!parts) return undefined
  if (!parts.carry) return formatParts(parts)
  const epoch = partsToEpochMicros(parts)
  return inRange(epoch) ? epochMicrosToTimestamp(epoch) : undefined
}

/** Normalized UTC timestamp with `Z`, or undefined. Text without an offset is taken as UTC. */
export function parseTimestamptz(text: string): string | undefined {
  const parts = parseTimestampParts(text)
  if (!parts) return undefined
  if (!parts.carry && (parts.offsetMinutes === undefined || parts.offsetMinutes === 0)) return `${formatParts(parts)}Z`
  const epoch = partsToEpochMicros(parts) - (parts.offsetMinutes ?? 0) * 60 * MICROS_PER_SECOND
  return inRange(epoch) ? epochMicrosToTimestamptz(epoch) : undefined
}

function formatParts(parts: TimestampParts): string {
  return `${pad4(parts.year)}-${pad2(parts.month)}-${pad2(parts.day)}T${pad2(parts.hour)}:${pad2(parts.minute)}:${pad2(parts.second)}${fractionText(parts.micros)}`
}

/** Microseconds since the epoch of a stored timestamp, timestamptz or date (offsets applied).
 * A double: exact to the microsecond for years 1685-2255, to a few microseconds beyond. */
export function toEpochMicros(text: string): number | undefined {
  const parts = parseTimestampParts(text)
  if (!parts) return undefined
  return partsToEpochMicros(parts) - (parts.offsetMinutes ?? 0) * 60 * MICROS_PER_SECOND
}

export function epochMicrosToTimestamp(epochMicros: number): string {
  const days = Math.floor(epochMicros / MICROS_PER_DAY)
  const inDay = epochMicros - days * MICROS_PER_DAY
  const { year, month, day } = civilFromDays(days)
  const seconds = Math.floor(inDay / MICROS_PER_SECOND)
  const micros = inDay - seconds * MICROS_PER_SECOND
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}T${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}${fractionText(micros)}`
}

export function epochMicrosToTimestamptz(epochMicros: number): string {
  return `${epochMicrosToTimestamp(epochMicros)}Z`
}

export function epochMicrosToDate(epochMicros: number): string {
  const { year, month, day } = civilFromDays(Math.floor(epochMicros / MICROS_PER_DAY))
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}`
}

/** Time of day of a microsecond count (taken modulo one day). */
export function epochMicrosToTime(micros: number): string {
  const inDay = ((micros % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY
  const seconds = Math.floor(inDay / MICROS_PER_SECOND)
  return `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}${fractionText(inDay - seconds * MICROS_PER_SECOND)}`
}

/** Microseconds since midnight of a stored time. */
export function timeToMicros(time: string): number | undefined {
  const match = TIME_PATTERN.exec(time)
  if (!match) return undefined
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + (match[3] === undefined ? 0 : Number(match[3]))
  return seconds * MICROS_PER_SECOND + parseFraction(match[4]).micros
}

/** Whether text looks like a date, a zone-less timestamp or a timestamp with an offset (for type inference). */
export function temporalKind(text: string): 'date' | 'timestamp' | 'timestamptz' | undefined {
  const parts = parseTimestampParts(text)
  if (!parts) return undefined
  if (parts.offsetMinutes !== undefined) return 'timestamptz'
  return text.trim().length === 10 ? 'date' : 'timestamp'
}
