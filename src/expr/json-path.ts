/**
 * The JSON paths of JSON_EXTRACT and JSON_EXTRACT_TEXT: `$` is the document, `.name` or `["name"]`
 * (also `['name']`) a member, `[0]` an array element (0-based). The leading `$` may be left out
 * (`a.b` is `$.a.b`). No wildcards or filters: one path names at most one value.
 */
import type { JsonValue } from '../core/schema.js'

export type JsonPath = readonly (string | number)[]

const MEMBER_NAME = /^[^.[\]\s]+/

/** Parses a path. Throws RangeError with a user-facing message when it is not one. */
export function parseJsonPath(path: string): JsonPath {
  const steps: (string | number)[] = []
  let i = 0
  const text = path.trim()
  const invalid = (why: string): RangeError => new RangeError(`invalid JSON path ${JSON.stringify(path)}: ${why}`)
  if (text[0] === '$') i = 1
  else if (text !== '' && text[0] !== '[' && text[0] !== '.') {
    const name = MEMBER_NAME.exec(text)
    if (!name) throw invalid(`unexpected ${JSON.stringify(text[0])}`)
    steps.push(name[0])
    i = name[0].length
  }
  while (i < text.length) {
    const char = text[i]
    if (char === '.') {
      const name = MEMBER_NAME.exec(text.slice(i + 1))
      if (!name) throw invalid(`expected a member name after "." at position ${i + 1}`)
      steps.push(name[0])
      i += 1 + name[0].length
    } else if (char === '[') {
      const close = findClosingBracket(text, i)
      if (close < 0) throw invalid(`missing "]" for "[" at position ${i + 1}`)
      const inner = text.slice(i + 1, close).trim()
      if (/^\d+$/.test(inner)) steps.push(Number(inner))
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) steps.push(JSON.parse(inner) as string)
      else if (/^'(?:[^'\\]|\\.)*'$/.test(inner)) steps.push(inner.slice(1, -1).replace(/\\(.)/g, '$1'))
      else throw invalid(`expected an index or a quoted name inside [] at position ${i + 1}`)
      i = close + 1
    } else {
      throw invalid(`unexpected ${JSON.stringify(char)} at position ${i + 1}`)
    }
  }
  return steps
}

function findClosingBracket(text: string, open: number): number {
  let quote = ''
  for (let i = open + 1; i < text.length; i++) {
    const char = text[i]
    if (quote) {
      if (char === '\\') i++
      else if (char === quote) quote = ''
    } else if (char === '"' || char === "'") {
      quote = char
    } else if (char === ']') {
      return i
    }
  }
  return -1
}

/** The value at `path`, or undefined when a step is missing (or indexes into the wrong kind of value). */
export function extractJsonPath(document: JsonValue, path: JsonPath): JsonValue | undefined {
  let current: JsonValue | undefined = document
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined
      current = current[step]
    } else {
      if (Array.isArray(current) || !Object.hasOwn(current, step)) return undefined
      current = current[step]
    }
  }
  return current
}
