/**
 * Exact decimal arithmetic on the decimal representation (plain-notation strings, see schema.ts).
 * A decimal is unpacked into a BigInt `units` and a `scale` (digits after the point):
 * `-12.50` is { units: -1250n, scale: 2 }. Results keep SQL's scale rules: + and - take the larger
 * scale, * adds the scales, / is rounded half away from zero to `max(scaleA, 6) + ...` digits.
 */

export interface UnpackedDecimal {
  readonly units: bigint
  readonly scale: number
}

const DECIMAL_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

/** Whether text is a decimal in plain notation (`12`, `-0.5`, `.5`, `3.`). */
export function isDecimalText(text: string): boolean {
  return DECIMAL_PATTERN.test(text)
}

/**
 * Normalizes decimal text to the stored form: no `+`, no leading zeros, a digit before the point,
 * no dangling point. Scale is kept (`1.50` stays `1.50`). Returns undefined if it is not a decimal.
 * Accepts exponent notation (`1.5e3`), which it expands exactly.
 */
export function normalizeDecimal(text: string): string | undefined {
  const trimmed = text.trim()
  if (DECIMAL_PATTERN.test(trimmed)) return pack(unpackText(trimmed))
  const exponent = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))[eE]([+-]?\d+)$/.exec(trimmed)
  if (!exponent) return undefined
  const { units, scale } = unpackText(exponent[1])
  const shift = Number(exponent[2])
  if (!Number.isSafeInteger(shift) || Math.abs(shift) > 1000) return undefined
  const newScale = scale - shift
  return newScale >= 0 ? pack({ units, scale: newScale }) : pack({ units: units * 10n ** BigInt(-newScale), scale: 0 })
}

function unpackText(text: string): UnpackedDecimal {
  let body = text
  let negative = false
  if (body[0] === '-' || body[0] === '+') {
    negative = body[0] === '-'
    body = body.slice(1)
  }
  const point = body.indexOf('.')
  const whole = point < 0 ? body : body.slice(0, point)
  const fraction = point < 0 ? '' : body.slice(point + 1)
  const units = BigInt((whole || '0') + fraction)
  return { units: negative ? -units : units, scale: fraction.length }
}

/** Splits a stored decimal (or any decimal text) into units and scale. */
export function unpack(decimal: string): UnpackedDecimal {
  return unpackText(decimal)
}

export function pack({ units, scale }: UnpackedDecimal): string {
  const negative = units < 0n
  let digits = (negative ? -units : units).toString()
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
  }
  return negative && units !== 0n ? `-${digits}` : digits
}

function rescale(value: UnpackedDecimal, scale: number): bigint {
  return scale === value.scale ? value.units : value.units * 10n ** BigInt(scale - value.scale)
}

export function compareDecimal(a: string, b: string): number {
  const x = unpack(a)
  const y = unpack(b)
  const scale = Math.max(x.scale, y.scale)
  const left = rescale(x, scale)
  const right = rescale(y, scale)
  return left < right ? -1 : left > right ? 1 : 0
}

export function addDecimal(a: string, b: string): string {
  const x = unpack(a)
  const y = unpack(b)
  const scale = Math.max(x.scale, y.scale)
  return pack({ units: rescale(x, scale) + rescale(y, scale), scale })
}

export function subtractDecimal(a: string, b: string): string {
  const x = unpack(a)
  const y = unpack(b)
  const scale = Math.max(x.scale, y.scale)
  return pack({ units: rescale(x, scale) - rescale(y, scale), scale })
}

export function multiplyDecimal(a: string, b: string): string {
  const x = unpack(a)
  const y = unpack(b)
  return pack({ units: x.units * y.units, scale: x.scale + y.scale })
}

/** Division rounded half away from zero to `scale` digits (default: max(6, scale of a, scale of b)).
 * Throws RangeError on division by zero; callers turn it into a record error or NULL. */
export function divideDecimal(a: string, b: string, scale?: number): string {
  const x = unpack(a)
  const y = unpack(b)
  if (y.units === 0n) throw new RangeError('division by zero')
  const target = scale ?? Math.max(6, x.scale, y.scale)
  // a/b = (x.units / 10^xs) / (y.units / 10^ys); scaled by 10^target, with one extra digit for rounding.
  const numerator = x.units * 10n ** BigInt(target + y.scale + 1)
  const denominator = y.units * 10n ** BigInt(x.scale)
  const quotient = numerator / denominator
  return pack({ units: roundLastDigit(quotient), scale: target })
}

/** Rounds half away from zero to `scale` digits after the point (negative scale rounds to tens...). */
export function roundDecimal(decimal: string, scale: number): string {
  const value = unpack(decimal)
  if (value.scale <= scale) return pack({ units: rescale(value, scale), scale })
  const drop = value.scale - scale
  const shifted = value.units / 10n ** BigInt(drop - 1)
  const rounded = roundLastDigit(shifted)
  if (scale >= 0) return pack({ units: rounded, scale })
  return pack({ units: rounded * 10n ** BigInt(-scale), scale: 0 })
}

function roundLastDigit(withExtraDigit: bigint): bigint {
  const last = withExtraDigit % 10n
  const truncated = withExtraDigit / 10n
  if (last >= 5n) return truncated + 1n
  if (last <= -5n) return truncated - 1n
  return truncated
}

/** Number of significant digits before and after the point, for precision checks. */
export function decimalDigits(decimal: string): { integerDigits: number; scale: number } {
  const { units, scale } = unpack(decimal)
  const digits = (units < 0n ? -units : units).toString().length
  return { integerDigits: Math.max(digits - scale, 0), scale }
}

export function decimalToNumber(decimal: string): number {
  return Number(decimal)
}

/** Exact decimal text of a finite number (shortest round-trip form, expanded from exponent form). */
export function numberToDecimal(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined
  return normalizeDecimal(String(value))
}
