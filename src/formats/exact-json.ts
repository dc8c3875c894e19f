/**
 * JSON parsing that keeps numbers exact where a row needs them. `JSON.parse` turns every number into
 * a double, so `9007199254740993` and `12345678901234567.89` lose digits. `parseJson` parses with the
 * native parser and looks at the numbers a row can take a column value from (the document itself,
 * or a direct member of a top-level object or array): when one may have lost digits (an integer
 * beyond 2^53, or a double whose shortest text is longer than 16 characters), it parses the text
 * again with a small parser of its own that returns, for those numbers:
 * - integers beyond 2^53 as `bigint` when they fit in 64 bits, else as ExactNumber;
 * - other numbers with more than 15 significant digits as ExactNumber (their text).
 * Numbers nested deeper (inside a json column's value) are doubles, as JSON.parse gives them.
 *
 * Not detected: a number written with more than 15 significant digits that rounds to a double with
 * a short text (`0.10000000000000001` reads as `0.1`). Scanning every text for long digit runs
 * would catch it, but measured here it cost more than JSON.parse itself.
 */

/** A JSON number kept as its text because a double would change it. */
export class ExactNumber {
  constructor(readonly text: string) {}

  get isInteger(): boolean {
    return !/[.eE]/.test(this.text)
  }
}

/** JSON.parse, with exact numbers as described above. Throws SyntaxError for invalid JSON. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text)
  return mayHaveLostDigits(value) ? new ExactJsonParser(text).parseDocument() : value
}

function mayHaveLostDigits(value: unknown): boolean {
  if (typeof value === 'number') return isInexact(value)
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === 'number' && isInexact(item)) return true
    }
    return false
  }
  const object = value as Record<string, unknown>
  for (const key in object) {
    const member = object[key]
    if (typeof member === 'number' && isInexact(member)) return true
  }
  return false
}

function isInexact(n: number): boolean {
  if (Number.isInteger(n)) return !Number.isSafeInteger(n)
  // At most 9 integer and 6 fraction digits: 15 significant digits, which a double holds exactly
  // (n is the double nearest to round(n * 1e6) / 1e6). Checked without formatting n, which is slower.
  if (n > -1e9 && n < 1e9 && Math.round(n * 1e6) / 1e6 === n) return false
  // Any 15 significant digits survive a double; a shortest text this long may have lost some.
  return String(n).length > 16
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y
const WHITESPACE = /[ \t\n\r]*/y
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

class ExactJsonParser {
  private i = 0

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    const value = this.value(0)
    this.skipWhitespace()
    if (this.i < this.text.length) this.fail()
    return value
  }

  private value(depth: number): unknown {
    this.skipWhitespace()
    const c = this.text.charCodeAt(this.i)
    switch (c) {
      case 123 /* { */:
        return this.object(depth)
      case 91 /* [ */:
        return this.array(depth)
      case 34 /* " */:
        return this.string()
      case 116 /* t */:
        return this.literal('true', true)
      case 102 /* f */:
        return this.literal('false', false)
      case 110 /* n */:
        return this.literal('null', null)
      default:
        return this.number(depth)
    }
  }

  private object(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {}
    this.i++
    this.skipWhitespace()
    if (this.text.charCodeAt(this.i) === 125 /* } */) {
      this.i++
      return object
    }
    for (;;) {
      this.skipWhitespace()
      if (this.text.charCodeAt(this.i) !== 34) this.fail()
      const key = this.string()
      this.skipWhitespace()
      if (this.text.charCodeAt(this.i) !== 58 /* : */) this.fail()
      this.i++
      const value = this.value(depth + 1)
      // An own "__proto__" key, as JSON.parse makes it, not a prototype change.
      if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
      else object[key] = value
      this.skipWhitespace()
      const c = this.text.charCodeAt(this.i++)
      if (c === 125) return object
      if (c !== 44 /* , */) this.fail(this.i - 1)
    }
  }

  private array(depth: number): unknown[] {
    const array: unknown[] = []
    this.i++
    this.skipWhitespace()
    if (this.text.charCodeAt(this.i) === 93 /* ] */) {
      this.i++
      return array
    }
    for (;;) {
      array.push(this.value(depth + 1))
      this.skipWhitespace()
      const c = this.text.charCodeAt(this.i++)
      if (c === 93) return array
      if (c !== 44) this.fail(this.i - 1)
    }
  }

  private string(): string {
    const start = this.i
    let i = start + 1
    const text = this.text
    for (;;) {
      const c = text.charCodeAt(i)
      if (c === 34) break
      if (c === 92 /* \ */) i++
      if (i >= text.length) this.fail(i)
      i++
    }
    this.i = i + 1
    // The native parser decodes escapes and refuses control characters exactly as JSON.parse does.
    return JSON.parse(text.slice(start, i + 1)) as string
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail()
    this.i += word.length
    return value
  }

  private number(depth: number): number | bigint | ExactNumber {
    NUMBER.lastIndex = this.i
    const match = NUMBER.exec(this.text)
    if (!match) this.fail()
    const text = match[0]
    this.i += text.length
    if (depth > 1) return Number(text)
    if (match[1] === undefined && match[2] === undefined) {
      if (text.length <= 15) return Number(text)
      const n = BigInt(text)
      if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n)
      return n >= INT64_MIN && n <= INT64_MAX ? n : new ExactNumber(text)
    }
    return significantDigits(text) <= 15 ? Number(text) : new ExactNumber(text)
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.i
    WHITESPACE.exec(this.text)
    this.i = WHITESPACE.lastIndex
  }

  private fail(at = this.i): never {
    const found = at < this.text.length ? `token ${JSON.stringify(this.text[at])}` : 'end'
    throw new SyntaxError(`Unexpected ${found} in JSON at position ${at}`)
  }
}

/** Digits of the mantissa without leading zeros (and without trailing zeros of an integer part). */
function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').replace(/[eE].*$/, '')
  const digits = mantissa.replace('.', '').replace(/^0+/, '')
  return digits.length
}
