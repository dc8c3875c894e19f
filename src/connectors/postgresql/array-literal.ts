/**
 * PostgreSQL array literals (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`) to and from JSON
 * arrays: Fustor reads an array column as json and writes a json array back into one.
 *
 * Arrays are rare in bulk copies, so this favours plainness over speed (one closure per element).
 * Multi-dimensional arrays become nested JSON arrays; explicit bounds (`[0:1]={...}`) are dropped;
 * only the `,` delimiter is understood (every built-in type but `box` uses it).
 */
import type { JsonValue } from '../../core/schema.js'

/** Converts an element's text (unquoted, unescaped) into its JSON value. */
export type ElementConverter = (text: string) => JsonValue

/** The JSON array of an array literal. Throws an Error naming the offset when the literal is malformed. */
export function parseArrayLiteral(literal: string, convert: ElementConverter): JsonValue[] {
  let at = 0
  // Explicit bounds: `[1:3]={...}` or `[1:2][1:2]={{...}}`.
  if (literal.charCodeAt(0) === 91 /* [ */) {
    const equals = literal.indexOf('=')
    if (equals < 0) throw malformed(literal, 0)
    at = equals + 1
  }
  if (literal.charCodeAt(at) !== 123 /* { */) throw malformed(literal, at)
  const [value, end] = parseBraces(literal, at, convert)
  if (end !== literal.length) throw malformed(literal, end)
  return value
}

/** Parses `{...}` at `start`; returns the array and the index after its `}`. */
function parseBraces(literal: string, start: number, convert: ElementConverter): [JsonValue[], number] {
  const items: JsonValue[] = []
  let at = start + 1
  if (literal.charCodeAt(at) === 125 /* } */) return [items, at + 1]
  while (at < literal.length) {
    const c = literal.charCodeAt(at)
    if (c === 123 /* { */) {
      const [nested, end] = parseBraces(literal, at, convert)
      items.push(nested)
      at = end
    } else if (c === 34 /* " */) {
      let text = ''
      let from = at + 1
      let i = from
      for (; i < literal.length; i++) {
        const d = literal.charCodeAt(i)
        if (d === 92 /* \ */) {
          text += literal.slice(from, i)
          from = ++i
        } else if (d === 34) break
      }
      if (i >= literal.length) throw malformed(literal, at)
      text += literal.slice(from, i)
      items.push(convert(text))
      at = i + 1
    } else {
      let i = at
      let hasEscape = false
      for (; i < literal.length; i++) {
        const d = literal.charCodeAt(i)
        if (d === 92) {
          hasEscape = true
          i++
        } else if (d === 44 /* , */ || d === 125 /* } */) break
      }
      const raw = literal.slice(at, i).trim()
      if (!hasEscape && raw.length === 4 && raw.toUpperCase() === 'NULL') items.push(null)
      else items.push(convert(hasEscape ? raw.replace(/\\(.)/g, '$1') : raw))
      at = i
    }
    const next = literal.charCodeAt(at)
    if (next === 44) at++
    else if (next === 125) return [items, at + 1]
    else throw malformed(literal, at)
  }
  throw malformed(literal, at)
}

function malformed(literal: string, offset: number): Error {
  const preview = literal.length > 60 ? `${literal.slice(0, 57)}...` : literal
  return new Error(`malformed array literal at offset ${offset}: ${preview}`)
}

/**
 * The array literal of a JSON array: strings and objects quoted (objects as JSON text, for json[]
 * columns), numbers and booleans as they print, null as NULL, nested arrays as nested braces.
 */
export function formatArrayLiteral(value: readonly JsonValue[]): string {
  let text = '{'
  for (let i = 0; i < value.length; i++) {
    if (i > 0) text += ','
    text += formatElement(value[i])
  }
  return `${text}}`
}

function formatElement(value: JsonValue): string {
  if (value === null) return 'NULL'
  if (Array.isArray(value)) return formatArrayLiteral(value)
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return String(value)
    case 'string':
      return quote(value)
    default:
      return quote(JSON.stringify(value))
  }
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`
}
