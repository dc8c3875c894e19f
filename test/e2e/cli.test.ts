/**
 * The `fustor` command as users meet it: help, usage errors, lint messages with exact positions,
 * exit codes, the plugin catalogue, pipeline tests, and piping through stdin and stdout.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { fustor, workspace } from './cli-harness.js'

const dir = workspace()
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const run = (args: string[], stdin?: string) => fustor(args, { cwd: dir, stdin })

describe('help and usage', () => {
  test('--help lists the commands, examples and exit codes', async () => {
    const result = await run(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('run FILE          run a pipeline in the foreground, with progress')
    expect(result.stdout).toContain('fustor run --resume nightly-copy.yaml')
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 run or test failed, 2 invalid file or usage')
  })

  test('each command has help with examples', async () => {
    for (const command of ['run', 'lint', 'test', 'plugins']) {
      const result = await run([command, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: fustor /)
      expect(result.stdout).toContain('Examples:')
    }
  })

  test('an unknown command suggests the closest one and exits 2', async () => {
    const result = await run(['lnit', 'x.yaml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('error: unknown command "lnit" (did you mean "lint"?)')
  })

  test('a missing argument and an unknown flag are usage errors', async () => {
    expect((await run(['run'])).stderr).toContain('error: missing the pipeline FILE to run')
    const flag = await run(['run', '--fast', 'x.yaml'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain("Unknown option '--fast'")
  })

  test('--version prints the package version', async () => {
    expect((await run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })
})

describe('lint', () => {
  const broken = `input:
  type: csv
  config:
    path: data.csv
    columns:
      - { name: id, type: int }
      - { name: age, type: int }
pipeline:
  processors:
    - type: fitler
    - type: filter
      config:
        condition: "agee > 18 AND"
output:
  type: jsonl
  config:
    pth: out.jsonl
`

  test('reports every error with file:line:col, config path and hint, and exits 2', async () => {
    writeFileSync(join(dir, 'broken.yaml'), broken)
    const result = await run(['lint', 'broken.yaml'])
    expect(result.code).toBe(2)
    expect(result.stdout.split('\n')).toEqual([
      'broken.yaml:10:13: unknown processor type "fitler" (did you mean "filter"?) (at pipeline.processors[0].type)',
      expect.stringMatching(/^ {2}hint: available processors: aggregate, /),
      expect.stringMatching(/^broken\.yaml:13:34: syntax error: .* \(at pipeline\.processors\[1\]\.config\.condition\)$/),
      'broken.yaml:16:3: missing required field "path" (at output.config.path)',
      'broken.yaml:17:5: unknown field "pth" (did you mean "path"?) (at output.config.pth)',
      expect.stringMatching(/^ {2}hint: known fields: path, /),
      '4 errors',
      '',
    ])
  })

  test('--format json gives the same errors as data', async () => {
    writeFileSync(join(dir, 'broken.yaml'), broken)
    const result = await run(['lint', '--format', 'json', 'broken.yaml'])
    expect(result.code).toBe(2)
    const errors = JSON.parse(result.stdout) as { file: string; line: number; col: number; path: string; code: string }[]
    expect(errors.map(({ line, col, path, code }) => ({ line, col, path, code }))).toEqual([
      { line: 10, col: 13, path: 'pipeline.processors[0].type', code: 'component.not_found' },
      { line: 13, col: 34, path: 'pipeline.processors[1].config.condition', code: 'expr.syntax' },
      { line: 16, col: 3, path: 'output.config.path', code: 'config.missing_field' },
      { line: 17, col: 5, path: 'output.config.pth', code: 'config.unknown_field' },
    ])
  })

  test('an unknown column in an expression is found when the columns are declared', async () => {
    writeFileSync(join(dir, 'column.yaml'), broken.replace('    - type: fitler\n', '').replace(' AND"', '"').replace('pth:', 'path:'))
    const result = await run(['lint', 'column.yaml'])
    expect(result.stdout).toBe('column.yaml:12:21: unknown column "agee" in expression (did you mean "age"?) (at pipeline.processors[0].config.condition)\n')
  })

  test('run refuses an invalid file with the same messages and runs nothing', async () => {
    writeFileSync(join(dir, 'broken.yaml'), broken)
    const result = await run(['run', 'broken.yaml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('broken.yaml:10:13: unknown processor type "fitler"')
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false)
    expect(existsSync(join(dir, '.fustor', 'checkpoints'))).toBe(false)
  })

  test('a missing file is reported plainly', async () => {
    const result = await run(['lint', 'nowhere.yaml'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('cannot read pipeline file nowhere.yaml: no such file\n')
  })
})

describe('run', () => {
  test('a user error an input finds when it opens names its place in the file and exits 2', async () => {
    writeFileSync(join(dir, 'missing-input.yaml'), 'input:\n  type: csv\n  config:\n    path: nowhere.csv\noutput:\n  type: drop\n')
    const result = await run(['run', '--progress', 'none', 'missing-input.yaml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('error: missing-input.yaml:4:11: file "nowhere.csv" does not exist (at input.config.path)')
  })
})

describe('plugins', () => {
  test('list groups components by kind', async () => {
    const result = await run(['plugins', 'list'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^inputs:\n {2}csv +Reads CSV files/)
    expect(result.stdout).toMatch(/\nprocessors:\n/)
    expect(result.stdout).toMatch(/\noutputs:\n/)
  })

  test('show prints fields, examples and the JSON Schema', async () => {
    const result = await run(['plugins', 'show', 'filter'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^filter \(processor, stable\): /)
    expect(result.stdout).toMatch(/\n {2}condition +string +required\n/)
    expect(result.stdout).toContain('\nJSON Schema:\n{')
    const json = JSON.parse((await run(['plugins', 'show', 'filter', '--format', 'json'])).stdout) as { config_schema: { required: string[] } }
    expect(json.config_schema.required).toEqual(['condition'])
  })

  test('an unknown type suggests the closest', async () => {
    const result = await run(['plugins', 'show', 'fliter'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('unknown component type "fliter" (did you mean "filter"?)')
  })
})

describe('test', () => {
  const withTests = (expectedAge: number) => `input:
  type: generate
  config: { count: 1 }
pipeline:
  processors:
    - type: filter
      config: { condition: "age >= 18" }
    - type: mapping
      config: { select: [id, age] }
output:
  type: drop
tests:
  - name: minors are removed
    input:
      - { id: 1, age: 30 }
      - { id: 2, age: 12 }
    expected:
      - { id: 1, age: ${expectedAge} }
`

  test('passing cases exit 0', async () => {
    writeFileSync(join(dir, 'tested.yaml'), withTests(30))
    const result = await run(['test', 'tested.yaml'])
    expect(result.stdout).toBe('ok    tested.yaml: minors are removed\n1 passed, 0 failed\n')
    expect(result.code).toBe(0)
  })

  test('a failing case says what differs and exits 1', async () => {
    writeFileSync(join(dir, 'tested.yaml'), withTests(31))
    const result = await run(['test', 'tested.yaml'])
    expect(result.stdout).toBe('FAIL  tested.yaml: minors are removed\n    row 1: column "age": expected 31, got 30\n0 passed, 1 failed\n')
    expect(result.code).toBe(1)
  })
})

describe('stdin and stdout', () => {
  test('a pipeline reads CSV from stdin and writes JSON Lines to stdout, progress on stderr', async () => {
    writeFileSync(
      join(dir, 'pipe.yaml'),
      `input:\n  type: stdin\n  config: { format: csv }\npipeline:\n  processors:\n    - type: filter\n      config: { condition: "n > 1" }\noutput:\n  type: stdout\n`,
    )
    const result = await run(['run', 'pipe.yaml'], 'n,word\n1,one\n2,two\n3,"th,ree"\n')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('{"n":2,"word":"two"}\n{"n":3,"word":"th,ree"}\n')
    expect(result.stderr).toMatch(/^done in .*: read 3 rows/m)
  })
})
