/**
 * Number operations the generated code calls rather than inlines: exact decimal division, modulo and
 * rounding (on the stored decimal strings, through core/decimal.ts), and ROUND/CEIL/FLOOR/POWER/SQRT
 * for every number type. Rounding is half away from zero for every type, as PostgreSQL does for numeric.
 */
import { divideDecimal, numberToDecimal, pack, roundDecimal, unpack } from '../core/decimal.js'
import { BIGINT_MAX, BIGINT_MIN, INT_MAX, INT_MIN } from '../core/values.js'
import { throwDivisionByZero, throwInvalidArgument, throwOverflow } from './record-errors.js'

function isZeroDecimal(decimal: string): boolean {
  return unpack(decimal).units === 0n
}

export function negateDecimal(decimal: string): string {
  if (decimal.charCodeAt(0) === 45) return decimal.slice(1)
  return isZeroDecimal(decimal) ? decimal : `-${decimal}`
}

export function absDecimal(decimal: string): string {
  return decimal.charCodeAt(0) === 45 ? decimal.slice(1) : decimal
}

/** `a / b` on decimals: rounded to max(6, scale of a, scale of b) digits (core/decimal.ts). */
export function divideDecimals(a: string, b: string, part: string): string {
  if (isZeroDecimal(b)) throwDivisionByZero(part)
  return divideDecimal(a, b)
}

/** `a % b` on decimals: the sign of `a`, as SQL and JavaScript do. */
export function moduloDecimals(a: string, b: string, part: string): string {
  const x = unpack(a)
  const y = unpack(b)
  if (y.units === 0n) throwDivisionByZero(part)
  const scale = Math.max(x.scale, y.scale)
  const left = x.units * 10n ** BigInt(scale - x.scale)
  const right = y.units * 10n ** BigInt(scale - y.scale)
  return pack({ units: left % right, scale })
}

/** DIV(a, b) on decimals: the quotient truncated toward zero, scale 0. */
export function integerDivideDecimals(a: string, b: string, part: string): string {
  const x = unpack(a)
  const y = unpack(b)
  if (y.units === 0n) throwDivisionByZero(part)
  const scale = Math.max(x.scale, y.scale)
  return pack({ units: (x.units * 10n ** BigInt(scale - x.scale)) / (y.units * 10n ** BigInt(scale - y.scale)), scale: 0 })
}

// Beyond this many digits a rounding is either a no-op or zero; the limit keeps the padding bounded.
const MAX_ROUND_DIGITS = 1000

/** ROUND(x, digits) for a value of `type`; negative digits round to tens, hundreds... */
export function roundNumber(value: number | bigint | string, digits: number, type: string, part: string): number | bigint | string {
  if (!Number.isInteger(digits) || Math.abs(digits) > MAX_ROUND_DIGITS) throwInvalidArgument(`invalid number of digits ${digits}`, part)
  switch (type) {
    case 'decimal':
      return roundDecimal(value as string, digits)
    case 'float': {
      const number = value as number
      if (!Number.isFinite(number)) return number
      // Through the shortest decimal text, so that ROUND(1.005, 2) is 1.01 as written, not 1.00.
      return Number(roundDecimal(numberToDecimal(number) ?? '0', digits))
    }
    case 'int': {
      if (digits >= 0) return value
      const rounded = Number(roundDecimal(String(value), digits))
      if (rounded < INT_MIN || rounded > INT_MAX) throwOverflow('int', part)
      return rounded
    }
    default: {
      if (digits >= 0) return value
      const rounded = BigInt(roundDecimal(String(value), digits))
      if (rounded < BIGINT_MIN || rounded > BIGINT_MAX) throwOverflow('bigint', part)
      return rounded
    }
  }
}

/** CEIL and FLOOR of a decimal: an integral decimal (scale 0). */
export function ceilDecimal(decimal: string): string {
  return integralDecimal(decimal, true)
}

export function floorDecimal(decimal: string): string {
  return integralDecimal(decimal, false)
}

function integralDecimal(decimal: string, isCeiling: boolean): string {
  const { units, scale } = unpack(decimal)
  if (scale === 0) return decimal
  const divisor = 10n ** BigInt(scale)
  let whole = units / divisor
  const hasFraction = units % divisor !== 0n
  if (hasFraction && isCeiling && units > 0n) whole += 1n
  if (hasFraction && !isCeiling && units < 0n) whole -= 1n
  return pack({ units: whole, scale: 0 })
}

export function power(base: number, exponent: number, part: string): number {
  if (base === 0 && exponent < 0) throwInvalidArgument('zero raised to a negative power is undefined', part)
  if (base < 0 && !Number.isInteger(exponent)) throwInvalidArgument('a negative number raised to a fractional power is not a real number', part)
  return base ** exponent
}

export function squareRoot(value: number, part: string): number {
  if (value < 0) throwInvalidArgument('cannot take the square root of a negative number', part)
  return Math.sqrt(value)
}
