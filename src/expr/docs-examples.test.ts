/**
 * Runs every example of docs/expressions.md. Examples are the lines of ```expr blocks:
 *
 *   expression   -- column = literal, column = literal   => expected literal
 *   expression   => error error.code
 *
 * Column values and expected results are written in the expression language itself, so their type is
 * part of what is checked (`3` is an int, `3::bigint` a bigint). The clock is fixed for NOW().
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { FustorError } from '../core/errors.js'
import { schemaOf, type Column, type Value } from '../core/schema.js'
import { compileExpression } from './index.js'

const DOC = fileURLToPath(new URL('../../docs/expressions.md', import.meta.url))
const CLOCK = new Date('2024-05-06T07:08:09.123Z')

interface Example {
  readonly line: number
  readonly text: string
  readonly expression: string
  readonly row: readonly { readonly name: string; readonly value: string }[]
  readonly expected: string
}

/** Splits at `separator` outside quotes and parentheses. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quote = ''
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quote) {
      if (char === quote) quote = ''
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char
    } else if (char === '(') {
      depth++
    } else if (char === ')') {
      depth--
    } else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i))
      start = i + separator.length
      i += separator.length - 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

function parseExamples(markdown: string): Example[] {
  const examples: Example[] = []
  let isInBlock = false
  markdown.split('\n').forEach((text, index) => {
    if (text.startsWith('```')) {
      isInBlock = !isInBlock && text.trim() === '```expr'
      return
    }
    if (!isInBlock || text.trim() === '') return
    const arrow = text.lastIndexOf(' => ')
    if (arrow < 0) throw new Error(`docs/expressions.md:${index + 1}: an example needs " => expected"`)
    const [expression, rowText] = splitTopLevel(text.slice(0, arrow), ' -- ')
    const row = (rowText ?? '').trim()
    const assignments = row === '' ? [] : splitTopLevel(row, ', ')
    examples.push({
      line: index + 1,
      text: text.trim(),
      expression: expression.trim(),
      row: assignments.map((assignment) => {
        const match = /^\s*("(?:[^"]|"")*"|`[^`]*`|[A-Za-z_]\w*)\s*=\s*(.+)$/.exec(assignment)
        if (!match) throw new Error(`docs/expressions.md:${index + 1}: cannot read column value ${JSON.stringify(assignment)}`)
        const name = /^["`]/.test(match[1]) ? match[1].slice(1, -1).replace(/""/g, '"') : match[1]
        return { name, value: match[2].trim() }
      }),
      expected: text.slice(arrow + 4).trim(),
    })
  })
  return examples
}

const EMPTY = schemaOf([])

/** A literal written in the language: its value and static type. */
function literal(text: string): { value: Value; type: string } {
  const compiled = compileExpression(text, EMPTY)
  return { value: compiled.evaluate([]), type: compiled.type }
}

const examples = parseExamples(readFileSync(DOC, 'utf8'))

describe('docs/expressions.md examples', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(CLOCK)
  })
  afterAll(() => {
    vi.useRealTimers()
  })

  test('there are examples for every function', async () => {
    const { FUNCTION_NAMES } = await import('./index.js')
    const used = examples.map((example) => example.expression.toUpperCase()).join('\n')
    const missing = FUNCTION_NAMES.filter((name) => !new RegExp(`\\b${name}\\b`).test(used))
    // Aliases are documented next to their function; each has its own name in the text.
    const aliases = ['SUBSTR', 'CHAR_LENGTH', 'CEILING', 'POW', 'EXTRACT', 'DATE_PART']
    expect(missing.filter((name) => !aliases.includes(name))).toEqual([])
    expect(examples.length).toBeGreaterThan(150)
  })

  test.each(examples.map((example) => [`line ${example.line}: ${example.text}`, example] as const))('%s', (_, example) => {
    const columns: Column[] = []
    const row: Value[] = []
    for (const { name, value } of example.row) {
      const { value: cell, type } = literal(value)
      columns.push({ name, type: type === 'null' ? 'string' : (type as Column['type']) })
      row.push(cell)
    }
    const schema = schemaOf(columns)
    const errorCode = /^error\s+(\S+)$/.exec(example.expected)?.[1]
    if (errorCode !== undefined) {
      let caught: unknown
      try {
        compileExpression(example.expression, schema).evaluate(row)
      } catch (error) {
        caught = error
      }
      expect(caught, 'expected an error').toBeInstanceOf(FustorError)
      expect((caught as FustorError).code).toBe(errorCode)
      return
    }
    const compiled = compileExpression(example.expression, schema)
    const expected = literal(example.expected)
    expect(compiled.evaluate(row)).toEqual(expected.value)
    if (expected.type !== 'null') expect(compiled.type).toBe(expected.type)
  })
})
