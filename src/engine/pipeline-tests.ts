/**
 * Pipeline tests (`tests:` in a pipeline file, run by `fustor test`): each case feeds rows to the
 * pipeline's processors and compares what reaches each output with the expected rows. The input
 * and outputs are not touched: the case checks the logic, not the connections.
 */
import type { Batch } from '../core/batch.js'
import { silentLogger } from '../core/component.js'
import { compareDecimal } from '../core/decimal.js'
import { ConfigError, errorMessage } from '../core/errors.js'
import type { Column, LogicalType, Row, Schema, Value } from '../core/schema.js'
import { castValue, parseValue, toJsonValue, typeOfValue } from '../core/values.js'
import type { PipelinePlan } from './pipeline-loader.js'
import type { PipelineTestCaseValue } from './pipeline-schema.js'
import { ProcessorChain } from './processor-chain.js'

export interface TestCaseResult {
  readonly name: string
  readonly isPassed: boolean
  /** What differs, one message per difference, for people. */
  readonly failures: readonly string[]
}

export async function runPipelineTests(plan: PipelinePlan): Promise<TestCaseResult[]> {
  const results: TestCaseResult[] = []
  for (const [index, testCase] of plan.tests.entries()) results.push(await runCase(plan, testCase, `tests[${index}]`))
  return results
}

async function runCase(plan: PipelinePlan, testCase: PipelineTestCaseValue, path: string): Promise<TestCaseResult> {
  const failures: string[] = []
  const schema = plan.inputSchema ?? inferSchema(testCase.input)
  const rows = testCase.input.map((object, index) => toRow(schema, object, `${path}.input[${index}]`, plan.inputSchema !== undefined))
  const received = new Map<string, Batch[]>()
  const rejected: string[] = []
  const chain = new ProcessorChain(
    plan.processors,
    plan.output,
    { logger: silentLogger, signal: new AbortController().signal, home: '' },
    {
      deliver: async (outputPath, batch) => {
        received.set(outputPath, [...(received.get(outputPath) ?? []), batch])
      },
      reject: (failure) => rejected.push(`${failure.component}: ${errorMessage(failure.error)}`),
    },
  )
  try {
    if (rows.length > 0) await chain.process({ schema, rows }, undefined)
    await chain.flush(undefined)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    return { name: testCase.name, isPassed: false, failures: [`the pipeline failed: ${errorMessage(error)}`] }
  } finally {
    await chain.close(() => undefined)
  }
  const outputNames = new Map(chain.outputs().map((output) => [output.name, output.plan.path]))
  const expectations: [string, Record<string, unknown>[]][] = []
  if (testCase.expected) expectations.push(['output', testCase.expected])
  for (const [name, expectedRows] of Object.entries(testCase.expected_outputs ?? {})) expectations.push([name, expectedRows])
  if (expectations.length === 0 && testCase.expected_rejected === undefined) {
    throw new ConfigError('test.no_expectation', `test case "${testCase.name}" expects nothing`, {
      path,
      hint: 'add expected (rows), expected_outputs (rows per switch case) or expected_rejected (a count)',
    })
  }
  for (const [name, expectedRows] of expectations) {
    const outputPath = outputNames.get(name)
    if (outputPath === undefined) {
      throw new ConfigError('test.unknown_output', `test case "${testCase.name}" expects rows at "${name}", which is not an output of this pipeline`, {
        path: name === 'output' ? `${path}.expected` : `${path}.expected_outputs.${name}`,
        hint: `outputs: ${[...outputNames.keys()].join(', ')}`,
      })
    }
    compareRows(name, received.get(outputPath) ?? [], expectedRows, failures)
  }
  if (testCase.expected_rejected !== undefined && rejected.length !== testCase.expected_rejected) {
    failures.push(`expected ${testCase.expected_rejected} rejected rows, got ${rejected.length}${rejected.length ? `:\n      ${rejected.join('\n      ')}` : ''}`)
  } else if (testCase.expected_rejected === undefined && rejected.length > 0) {
    failures.push(`${rejected.length} rows were rejected:\n      ${rejected.join('\n      ')}`)
  }
  return { name: testCase.name, isPassed: failures.length === 0, failures }
}

function inferSchema(rows: readonly Record<string, unknown>[]): Schema {
  const types = new Map<string, LogicalType | undefined>()
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      const type = typeOfValue(value as Value)
      const known = types.get(name)
      if (!types.has(name) || known === undefined) types.set(name, type)
      else if (type !== undefined && type !== known) types.set(name, (known === 'int' && type === 'float') || (known === 'float' && type === 'int') ? 'float' : 'string')
    }
  }
  return { columns: [...types].map(([name, type]) => ({ name, type: type ?? 'string' })) }
}

function toRow(schema: Schema, object: Record<string, unknown>, path: string, isDeclared: boolean): Row {
  const names = new Set(schema.columns.map((column) => column.name))
  for (const key of Object.keys(object)) {
    if (!names.has(key)) {
      throw new ConfigError('test.unknown_column', `unknown column "${key}" in test input: the input has ${[...names].join(', ')}`, { path: `${path}.${key}` })
    }
  }
  return schema.columns.map((column) => {
    const value = object[column.name] as Value | undefined
    if (value === undefined || value === null) return null
    try {
      if (!isDeclared && column.type === 'string' && typeof value !== 'string') return JSON.stringify(value)
      return typeof value === 'string' ? parseValue(value, column) : castValue(value, column)
    } catch (error) {
      throw new ConfigError('test.invalid_value', errorMessage(error), { path: `${path}.${column.name}` })
    }
  })
}

function compareRows(name: string, batches: Batch[], expected: readonly Record<string, unknown>[], failures: string[]): void {
  const actual: { row: Row; schema: Schema }[] = batches.flatMap((batch) => batch.rows.map((row) => ({ row, schema: batch.schema })))
  const where = name === 'output' ? '' : ` at "${name}"`
  if (actual.length !== expected.length) {
    failures.push(`expected ${expected.length} rows${where}, got ${actual.length}:\n      ${actual.map(({ row, schema }) => show(schema, row)).join('\n      ') || '(none)'}`)
    return
  }
  actual.forEach(({ row, schema }, index) => {
    const expectedRow = expected[index]
    const columns = schema.columns.map((column) => column.name)
    const extra = columns.filter((column) => !(column in expectedRow))
    const missing = Object.keys(expectedRow).filter((column) => !columns.includes(column))
    if (extra.length > 0 || missing.length > 0) {
      const parts = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : ''].filter(Boolean)
      failures.push(`row ${index + 1}${where}: columns differ (${parts.join('; ')}): got ${show(schema, row)}`)
      return
    }
    schema.columns.forEach((column, i) => {
      const value = row[i] ?? null
      if (!valuesEqual(value, expectedRow[column.name] as Value, column)) {
        failures.push(`row ${index + 1}${where}: column "${column.name}": expected ${JSON.stringify(expectedRow[column.name])}, got ${JSON.stringify(toJsonValue(value))}`)
      }
    })
  })
}

function show(schema: Schema, row: Row): string {
  const object: Record<string, unknown> = {}
  schema.columns.forEach((column, i) => (object[column.name] = toJsonValue(row[i] ?? null)))
  return JSON.stringify(object)
}

const NUMERIC: ReadonlySet<LogicalType> = new Set(['int', 'bigint', 'decimal', 'float'])

/** Equality of an actual value with an expected one written in YAML, by the column's type. */
export function valuesEqual(actual: Value, expected: Value | undefined, column: Column): boolean {
  if (expected === undefined || expected === null || actual === null) return (expected ?? null) === actual
  try {
    if (NUMERIC.has(column.type)) {
      if (column.type === 'float') return Number(actual) === Number(expected)
      return compareDecimal(String(castValue(actual, 'decimal', column.type)), String(castValue(expected, 'decimal'))) === 0
    }
    switch (column.type) {
      case 'json':
        return JSON.stringify(canonical(toJsonValue(actual))) === JSON.stringify(canonical(toJsonValue(expected)))
      case 'bytes':
        return Buffer.from(actual as Uint8Array).equals(typeof expected === 'string' ? Buffer.from(expected, 'utf8') : Buffer.from(expected as Uint8Array))
      case 'string':
        return typeof expected === 'string' && actual === expected
      case 'bool':
        return actual === expected
      default:
        return castValue(expected, column) === actual
    }
  } catch {
    // The expected value does not even convert to the column's type: not equal.
    return false
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
  }
  return value
}
