import Type from 'typebox'
import { describe, expect, test } from 'vitest'
import { defineOutput, secret } from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import { memoryComponents } from '../../test/memory-components.js'
import { loadPipeline } from './pipeline-loader.js'
import { PipelineSource } from './pipeline-source.js'
import { Registry } from './registry.js'

const secretOutput = defineOutput({
  type: 'test_secret',
  status: 'experimental',
  summary: 'Has a password (tests)',
  config: Type.Object({ host: Type.String({ default: 'localhost' }), password: Type.String(secret({ description: 'password' })) }),
  examples: [],
  create: () => {
    throw new Error('not run in these tests')
  },
})

const registry = new Registry([...memoryComponents, secretOutput])

function lint(yaml: string, env: Record<string, string> = {}): string[] {
  return loadPipeline('p.yaml', yaml, registry, { env }).errors.map((error) => error.format())
}

describe('syntax', () => {
  test('a YAML error names its line and column', () => {
    expect(lint('input:\n  type: test_counter\n  config: { count: 3\noutput: x\n')).toEqual([
      expect.stringMatching(/^p\.yaml:4:1: yaml syntax error: /),
    ])
  })

  test('duplicate keys are errors', () => {
    expect(lint('input: { type: test_counter }\ninput: { type: test_counter }\n')[0]).toMatch(/^p\.yaml:2:1: yaml syntax error: map keys must be unique/)
  })

  test('a file that is not a mapping', () => {
    expect(lint('- a\n- b\n')).toEqual(['p.yaml:1:1: a pipeline file must be a mapping with input, pipeline and output\n  hint: see docs/pipelines.md'])
  })
})

describe('variables', () => {
  const yaml = 'input:\n  type: test_counter\n  config:\n    count: ${COUNT}\noutput:\n  type: test_memory\n  config:\n    name: "${NAME:-fallback}"\n'

  test('a plain scalar is typed after substitution; defaults apply', () => {
    const { plan } = loadPipeline('p.yaml', yaml, registry, { env: { COUNT: '42' } })
    expect(plan?.input.config.count).toBe(42)
    expect(plan?.output?.config.name).toBe('fallback')
  })

  test('an unset variable without default is an error at its place', () => {
    expect(lint(yaml)).toEqual([
      'p.yaml:4:12: environment variable COUNT is not set\n  hint: set it, or give a default: ${COUNT:-value}',
      'p.yaml:4:12: must be integer, got string "" (at input.config.count)',
    ])
  })

  test('an unquoted variable takes only its type from YAML, never its syntax: a # in it is no comment', () => {
    const secret = loadPipeline('p.yaml', 'input: { type: test_counter }\noutput:\n  type: test_secret\n  config:\n    password: ${PW}\n', registry, {
      env: { PW: 'pa #ss' },
    })
    expect(secret.plan?.output?.config.password).toBe('pa #ss')
    expect(secret.plan?.secrets).toEqual(['pa #ss'])
    const hash = loadPipeline('p.yaml', 'input: { type: test_counter }\noutput:\n  type: test_secret\n  config:\n    password: ${PW}\n', registry, {
      env: { PW: '#s3cret' },
    })
    expect(hash.errors.map((error) => error.message)).toEqual([])
    expect(hash.plan?.output?.config.password).toBe('#s3cret')
  })

  test('$${ writes a literal ${', () => {
    const { plan } = loadPipeline('p.yaml', 'input: { type: test_counter }\noutput: { type: test_memory, config: { name: "a$${B}" } }\n', registry, { env: {} })
    expect(plan?.output?.config.name).toBe('a${B}')
  })
})

describe('structure', () => {
  test('unknown component types suggest the closest', () => {
    expect(lint('input:\n  type: test_countr\noutput:\n  type: test_memory\n  config: { name: x }\n')).toEqual([
      'p.yaml:2:9: unknown input type "test_countr" (did you mean "test_counter"?) (at input.type)\n  hint: available inputs: test_counter (see `fustor plugins list`)',
    ])
  })

  test('an unknown field points at its key and suggests the closest', () => {
    expect(lint('input:\n  type: test_counter\n  config:\n    cuont: 3\noutput: { type: test_memory, config: { name: x } }\n')).toEqual([
      'p.yaml:4:5: unknown field "cuont" (did you mean "count"?) (at input.config.cuont)\n  hint: known fields: count, unreadable, transient_failures, delay_ms, text',
    ])
  })

  test('a missing required field points at the component that lacks it', () => {
    expect(lint('input: { type: test_counter }\noutput:\n  type: test_memory\n')).toEqual(['p.yaml:2:1: missing required field "name" (at output.config.name)'])
  })

  test('wrong types, bad settings and an unknown top-level key are all reported, in file order', () => {
    expect(
      lint(
        'input:\n  type: test_counter\n  config: { count: many }\noutput: { type: test_memory, config: { name: x } }\nsettings:\n  batch_size: 0\n  error_limit: lots\nextra: 1\n',
      ),
    ).toEqual([
      'p.yaml:3:20: must be integer, got string "many" (at input.config.count)',
      'p.yaml:6:15: must be >= 1, got number 0 (at settings.batch_size)',
      'p.yaml:7:16: string "lots" matches none of the allowed forms (expected integer or string) (at settings.error_limit)',
      'p.yaml:8:1: unknown field "extra" (at extra)\n  hint: known fields: name, description, input, pipeline, output, settings, tests',
    ])
  })

  test('a missing input is reported', () => {
    expect(lint('output: { type: test_memory, config: { name: x } }\n')).toEqual(['p.yaml:1:1: missing required field "input" (at input)'])
  })
})

describe('semantics', () => {
  test('pipeline.threads > 1 refuses stateful processors', () => {
    expect(
      lint('input: { type: test_counter }\npipeline:\n  threads: 4\n  processors:\n    - type: test_sum\noutput: { type: test_memory, config: { name: x } }\n'),
    ).toEqual(['p.yaml:3:12: processor "test_sum" keeps state and cannot run on several threads (at pipeline.threads)\n  hint: set pipeline.threads to 1, or remove pipeline.processors[0]'])
  })

  test('defaults are filled and settings converted to engine units', () => {
    const { plan } = loadPipeline('p.yaml', 'input: { type: test_counter }\noutput: { type: test_memory, config: { name: x } }\nsettings: { linger: 20ms, error_limit: "2.5%" }\n', registry, { env: {} })
    expect(plan?.input.config).toEqual({ count: 10, unreadable: [], transient_failures: 0, delay_ms: 0 })
    expect(plan?.settings).toMatchObject({
      batchSize: 1000,
      lingerMs: 20,
      checkpointIntervalMs: 1000,
      errorLimit: { percent: 2.5 },
      retry: { maxRetries: 3, initialDelayMs: 1000, maxDelayMs: 30000, multiplier: 2 },
    })
    expect(plan?.inputSchema?.columns.map((column) => column.name)).toEqual(['id', 'name'])
  })

  test('a secret that fails validation is not shown in the message (invariant 6)', () => {
    // `${PW}` unquoted is typed after substitution: a numeric password becomes a number.
    const errors = lint('input: { type: test_counter }\noutput:\n  type: test_secret\n  config:\n    password: ${PW}\n', { PW: '90210417' })
    expect(errors).toEqual(['p.yaml:5:15: must be string, got a secret value (not shown) (at output.config.password)'])
  })

  test('secret values are collected for redaction (invariant 6)', () => {
    const { plan } = loadPipeline('p.yaml', 'input: { type: test_counter }\noutput: { type: test_secret, config: { password: "${PW}" } }\n', registry, { env: { PW: 's3cr3t!' } })
    expect(plan?.secrets).toEqual(['s3cr3t!'])
  })
})

describe('positions inside a value (invariant 4)', () => {
  // Each value holds MARK once; the error at its offset in the value must point at MARK in the file.
  const shapes: Record<string, string> = {
    plain: 'x: age > 1 AND MARK\n',
    'plain over lines': 'x: age > 18\n  AND MARK < 3\n',
    'double quotes with escapes': 'x: "name = \'\\u00e9\\t\' AND MARK"\n',
    'double quotes over lines': 'x: "age > 18   \n\n   AND MARK"\n',
    'double quotes, escaped line break': 'x: "age > 18 \\\n   AND MARK"\n',
    "single quotes with ''": "x: 'name = ''x'' AND MARK'\n",
    'literal block': 'x: |\n  age > 18\n  AND MARK < 3\n',
    'literal block, more indented line': 'x: |\n  age > 18\n     AND MARK < 3\n',
    'literal block with an indentation indicator': 'x: |1\n   age > 18\n   AND MARK < 3\n',
    'folded block': 'x: >-\n  age > 18\n  AND MARK < 3\n',
    'folded block with an empty line': 'x: >\n  age > 18\n\n  AND MARK < 3\n',
    'block in a list, with a comment': 'x:\n  - | # a comment\n    age > 18\n    AND MARK\n',
    'CRLF line ends': 'x: >-\r\n  age > 18\r\n  AND MARK < 3\r\n',
    'flow mapping': '{y: 1, x: "a AND MARK"}\n',
  }

  test.each(Object.entries(shapes))('%s', (_name, text) => {
    const source = new PipelineSource('p.yaml', text, {})
    const value = (source.value as { x: string | string[] }).x
    const path = Array.isArray(value) ? 'x[0]' : 'x'
    const offset = (Array.isArray(value) ? value[0] : value).indexOf('MARK')
    expect(offset).toBeGreaterThan(0)
    const before = text.slice(0, text.indexOf('MARK')).split(/\r?\n/)
    expect(source.locate(path, { offset })).toEqual({ file: 'p.yaml', line: before.length, col: before.at(-1)!.length + 1 })
  })
})

describe('shapes users write', () => {
  test('empty sections mean empty mappings', () => {
    const { plan, errors } = loadPipeline('p.yaml', 'input:\n  type: test_counter\n  config:\npipeline:\n  processors:\noutput: { type: test_memory, config: { name: x } }\nsettings:\n', registry, { env: {} })
    expect(errors.map((error) => error.format())).toEqual([])
    expect(plan?.input.config.count).toBe(10)
    expect(plan?.settings.batchSize).toBe(1000)
  })

  test('a YAML alias does not carry the defaults of one place to another', () => {
    const { plan, errors } = loadPipeline(
      'p.yaml',
      'input:\n  type: test_counter\n  config: &shared {}\noutput:\n  type: test_memory\n  config: { name: x }\nsettings:\n  retry: *shared\n',
      registry,
      { env: {} },
    )
    expect(errors.map((error) => error.format())).toEqual([])
    expect(plan?.input.config).toEqual({ count: 10, unreadable: [], transient_failures: 0, delay_ms: 0 })
    expect(plan?.settings.retry.maxRetries).toBe(3)
  })

  test('the config hash changes with the values substituted, not only with the text', () => {
    const text = 'input:\n  type: test_counter\n  config:\n    count: ${N}\noutput: { type: test_memory, config: { name: x } }\n'
    const a = loadPipeline('p.yaml', text, registry, { env: { N: '5' } }).plan!
    const b = loadPipeline('p.yaml', text, registry, { env: { N: '6' } }).plan!
    expect(a.configHash).not.toBe(b.configHash)
  })
})

describe('every error at once', () => {
  const typed = defineOutput({
    type: 'test_typed_sink',
    status: 'experimental',
    summary: 'Needs a name (tests)',
    config: Type.Object({ name: Type.String() }),
    examples: [],
    create: () => {
      throw new Error('not run')
    },
  })
  const picky = {
    ...memoryComponents[3],
    type: 'test_columns',
    config: Type.Object({ column: Type.String() }),
    create: (config: { column: string }) => ({
      prepare: (schema: { columns: readonly { name: string }[] }) => {
        if (!schema.columns.some((column) => column.name === config.column)) {
          throw new ConfigError('processor.unknown_column', `unknown column "${config.column}"`, { path: 'column' })
        }
        return schema
      },
      process: () => null,
    }),
  }
  const full = new Registry([...memoryComponents, typed, picky as unknown as (typeof memoryComponents)[number]])

  test('an unknown column is reported beside an error elsewhere in the file', () => {
    const { errors } = loadPipeline(
      'p.yaml',
      'input: { type: test_counter }\npipeline:\n  processors:\n    - { type: test_columns, config: { column: agee } }\noutput: { type: test_typed_sink, config: { nme: x } }\n',
      full,
      { env: {} },
    )
    expect(errors.map((error) => error.message)).toEqual(['unknown column "agee"', 'missing required field "name"', 'unknown field "nme" (did you mean "name"?)'])
  })

  test('columns after an invalid processor are not checked against a schema that is unknown', () => {
    const { errors } = loadPipeline(
      'p.yaml',
      'input: { type: test_counter }\npipeline:\n  processors:\n    - { type: test_columns, config: {} }\n    - { type: test_columns, config: { column: name } }\noutput: { type: test_memory, config: { name: x } }\n',
      full,
      { env: {} },
    )
    expect(errors.map((error) => error.message)).toEqual(['missing required field "column"'])
  })
})
