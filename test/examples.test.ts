/**
 * Every example users are shown must work: each component's examples and every pipeline in docs/
 * is linted, and run with the built CLI when it needs no external service. Reference docs must be
 * what the definitions generate.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createRegistry } from '../src/cli/component-registry.js'
import { referenceDocs } from '../src/cli/reference-docs.js'
import { loadPipeline } from '../src/engine/pipeline-loader.js'
import { preparePostgresShop, prepareMariadbShop, prepareSqliteShop } from './database-fixtures.js'
import { fustor, ROOT } from './e2e/cli-harness.js'
import { service } from './services.js'

const registry = createRegistry()
const workdir = mkdtempSync(join(tmpdir(), 'fustor-examples-'))
cpSync(join(ROOT, 'examples'), workdir, { recursive: true, filter: (source) => !source.includes(`${join(ROOT, 'examples', 'out')}`) })
afterAll(() => rmSync(workdir, { recursive: true, force: true }))

/** A pipeline whose first line is `# fustor-docs: lint-only` needs a service; it is only linted. */
const LINT_ONLY = /^# fustor-docs: lint-only/
/**
 * `# fustor-docs: database`: it reads or writes the `shop` database (test/database-fixtures.ts),
 * prepared in PostgreSQL, MariaDB and examples' data/shop.db before the examples run. Without the
 * servers these examples are only linted (the services module says why; under CI they must run).
 */
const DATABASE = /^# fustor-docs: database/
const postgres = await service('postgresql')
const mariadb = await service('mariadb')
const hasDatabases = postgres.available && mariadb.available

beforeAll(async () => {
  prepareSqliteShop(ROOT, join(workdir, 'data', 'shop.db'))
  if (!hasDatabases) return
  await preparePostgresShop(ROOT)
  await prepareMariadbShop(ROOT)
})

interface Example {
  readonly name: string
  readonly yaml: string
}

function componentExamples(): Example[] {
  return registry.all().flatMap((definition) =>
    definition.examples.map((example) => ({ name: `${definition.kind} ${definition.type}: ${example.title}`, yaml: example.yaml })),
  )
}

/** ```yaml blocks of docs/*.md that are whole pipelines (they have a top-level `input:`). */
function docsExamples(): Example[] {
  const docs = join(ROOT, 'docs')
  const files = ['README.md', ...readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
  return files.flatMap((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .filter((match) => /^input:/m.test(match[1]))
      .map((match) => ({ name: `${file} line ${text.slice(0, match.index).split('\n').length}`, yaml: match[1] }))
  })
}

const examples = [...componentExamples(), ...docsExamples()]

describe('examples', () => {
  test('there are examples for every component', () => {
    for (const definition of registry.all()) expect(definition.examples.length, `${definition.type} has no example`).toBeGreaterThan(0)
  })

  test.each(examples.map((example) => [example.name, example] as const))('%s lints and runs', async (_name, example) => {
    const { errors } = loadPipeline('example.yaml', example.yaml, registry, { env: {} })
    expect(errors.map((error) => error.format())).toEqual([])
    if (LINT_ONLY.test(example.yaml)) return
    if (DATABASE.test(example.yaml) && !hasDatabases) return
    const file = join(workdir, `example-${Math.random().toString(36).slice(2)}.yaml`)
    writeFileSync(file, example.yaml)
    const env = { FUSTOR_HOME: join(workdir, '.fustor') }
    const result = await fustor(['run', '--progress', 'none', file], { cwd: workdir, env })
    expect(result.stderr).toMatch(/^done in /m)
    expect(result.code).toBe(0)
    if (/^tests:/m.test(example.yaml)) {
      const tested = await fustor(['test', file], { cwd: workdir, env })
      expect(tested.stdout).toMatch(/ 0 failed$/m)
      expect(tested.code).toBe(0)
    }
  })

  test('the example files in examples/ lint, run and pass their tests', async () => {
    for (const name of readdirSync(join(ROOT, 'examples')).filter((file) => file.endsWith('.yaml'))) {
      const env = { FUSTOR_HOME: join(workdir, '.fustor') }
      const linted = await fustor(['lint', name], { cwd: workdir, env })
      expect(linted.stdout, name).toBe(`${name}: ok\n`)
      const result = await fustor(['run', '--progress', 'none', name], { cwd: workdir, env })
      expect(result.code, `${name}: ${result.stderr}`).toBe(0)
      const tested = await fustor(['test', name], { cwd: workdir, env })
      expect(tested.code, `${name}: ${tested.stdout}`).toBe(0)
    }
  }, 60_000)
})

describe('docs/reference', () => {
  test('is what the component definitions generate (run `npm run docs`)', () => {
    for (const [file, content] of referenceDocs(registry)) {
      const path = join(ROOT, 'docs', 'reference', file)
      expect(existsSync(path), `${path} is missing: run npm run docs`).toBe(true)
      expect(readFileSync(path, 'utf8'), `${path} is stale: run npm run docs`).toBe(content)
    }
  })
})
