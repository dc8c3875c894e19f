/**
 * Parallel runs (docs/ARCHITECTURE.md "Parallel runs") give exactly what a run on one thread gives:
 * the same output bytes, the same failed records, the same figures.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fustor, workspace } from './cli-harness.js'

const dir = workspace()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

beforeAll(async () => {
  // 300,000 users with a few broken records: a quote left open, a bad age, a line with a field too many.
  writeFileSync(join(dir, 'make.yaml'), 'input:\n  type: generate\n  config: { preset: users, count: 300000, seed: 5 }\noutput:\n  type: csv\n  config: { path: users.csv }\n')
  expect((await fustor(['run', '--quiet', 'make.yaml'], { cwd: dir })).code).toBe(0)
  const lines = readFileSync(join(dir, 'users.csv'), 'utf8').split('\n')
  lines[1000] = lines[1000].replace(/,(\d+),/, ',not-an-age,')
  lines[150000] = `${lines[150000]},extra`
  lines[299990] = lines[299990].replace(',', ',"unterminated ')
  writeFileSync(join(dir, 'users.csv'), lines.join('\n'))
}, 60_000)

function pipeline(threads: number | 'auto', name: string): string {
  return `name: ${name}
input:
  type: csv
  config:
    path: users.csv
    columns:
      - { name: id, type: int }
      - { name: name, type: string }
      - { name: email, type: string }
      - { name: age, type: int }
      - { name: country, type: string }
      - { name: city, type: string }
      - { name: score, type: "decimal(5,2)" }
      - { name: active, type: bool }
      - { name: created_at, type: timestamp }
pipeline:
  threads: ${threads}
  processors:
    - type: filter
      config: { condition: "age >= 30" }
    - type: transform
      config:
        fields:
          - { target: contact, expression: "CONCAT(name, ' <', email, '>')" }
          - { target: ratio, expression: "score / (age - 40)" }
    - type: switch
      config:
        cases:
          - name: europe
            condition: "country IN ('DE', 'FR', 'GB')"
            output: { type: jsonl, config: { path: ${name}-europe.jsonl } }
          - name: rest
output:
  type: csv
  config: { path: ${name}-rest.csv }
settings:
  error_limit: 100000
  dead_letter: { type: jsonl, config: { path: ${name}-failed.jsonl } }
`
}

describe('a parallel run', () => {
  test('writes exactly what a run on one thread writes, failed records included', async () => {
    writeFileSync(join(dir, 'one.yaml'), pipeline(1, 'one'))
    writeFileSync(join(dir, 'two.yaml'), pipeline(2, 'two'))
    const one = await fustor(['run', '--progress', 'none', '--log-level', 'info', 'one.yaml'], { cwd: dir })
    const two = await fustor(['run', '--progress', 'none', '--log-level', 'info', 'two.yaml'], { cwd: dir })
    expect(one.code, one.stderr).toBe(0)
    expect(two.code, two.stderr).toBe(0)
    expect(one.stderr).not.toContain('running on')
    expect(two.stderr).toContain('info: running on 2 threads: this one and 1 worker')
    const figures = (stderr: string) => /read .*; /.exec(stderr)?.[0]
    expect(figures(two.stderr)).toBe(figures(one.stderr))
    expect(readFileSync(join(dir, 'two-rest.csv'), 'utf8')).toBe(readFileSync(join(dir, 'one-rest.csv'), 'utf8'))
    expect(readFileSync(join(dir, 'two-europe.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'one-europe.jsonl'), 'utf8'))
    // Failed records: same records, errors, components and locations (positions are per split or per batch).
    const failures = (name: string) =>
      readFileSync(join(dir, `${name}-failed.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const { component, error_code, error_message, location, record } = JSON.parse(line) as Record<string, unknown>
          return { component, error_code, error_message, location, record }
        })
    // The order differs: a parallel run returns a split's input failures before its processors'.
    const sorted = (records: ReturnType<typeof failures>) => records.map((record) => JSON.stringify(record)).sort()
    const expected = failures('one')
    expect(expected.map((failure) => failure.error_code)).toEqual(expect.arrayContaining(['value.invalid', 'csv.field_count', 'csv.malformed', 'expr.division_by_zero']))
    expect(sorted(failures('two'))).toEqual(sorted(expected))
  }, 120_000)

  test('threads: auto goes parallel for a large input and stays on one thread for a small one', async () => {
    writeFileSync(join(dir, 'auto.yaml'), pipeline('auto', 'auto'))
    const large = await fustor(['run', '--progress', 'none', '--log-level', 'info', 'auto.yaml'], { cwd: dir })
    expect(large.code, large.stderr).toBe(0)
    expect(large.stderr).toMatch(/info: running on \d threads: this one and \d workers?/)
    writeFileSync(join(dir, 'small.csv'), readFileSync(join(dir, 'users.csv'), 'utf8').split('\n').slice(0, 500).join('\n'))
    writeFileSync(join(dir, 'small.yaml'), pipeline('auto', 'small').replace('path: users.csv', 'path: small.csv'))
    const small = await fustor(['run', '--progress', 'none', '--log-level', 'info', 'small.yaml'], { cwd: dir })
    expect(small.code, small.stderr).toBe(0)
    expect(small.stderr).not.toContain('running on')
    expect(readdirSync(dir)).toContain('small-rest.csv')
  }, 60_000)
})
