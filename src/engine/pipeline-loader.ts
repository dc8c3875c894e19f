/**
 * Pipeline file -> validated plan, in the seed's validation levels (seed 002 §3.3):
 *   1. syntax     YAML parses; `${VAR}` substitutions resolve
 *   2. structure  the file's shape; each component's config against its schema (defaults filled)
 *   3. semantics  known component types ("did you mean"), routers last in their chain, expressions
 *                 parse, and where the input's schema is known statically, every column named in a
 *                 processor exists (each processor's `prepare`, run along the chain)
 * Every error carries its config path and file:line:col (invariant 4). All errors are collected, so
 * that `fustor lint` reports them at once; a plan is returned only when there are none.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type {
  ComponentDefinition,
  ComponentSpec,
  InputDefinition,
  OutputDefinition,
  ProcessorDefinition,
  RouterDefinition,
} from '../core/component.js'
import { silentLogger } from '../core/component.js'
import { ConfigError, joinConfigPath } from '../core/errors.js'
import type { Schema } from '../core/schema.js'
import { checkSyntax } from '../expr/index.js'
import { checkConfig, secretPaths } from './config-schema.js'
import { PipelineSource, type Environment } from './pipeline-source.js'
import { PipelineFile, runSettings, type PipelineFileValue, type PipelineTestCaseValue, type RunSettings } from './pipeline-schema.js'
import type { Registry } from './registry.js'

export interface ComponentPlan<D extends ComponentDefinition> {
  /** Config path of the `{type, config}` node, e.g. `pipeline.processors[1]`. */
  readonly path: string
  readonly definition: D
  /** Validated config with defaults filled. */
  readonly config: any
  readonly label: string | undefined
}

export interface ProcessorPlan extends ComponentPlan<ProcessorDefinition> {
  readonly kind: 'processor'
}

export interface RouterPlan extends ComponentPlan<RouterDefinition> {
  readonly kind: 'router'
  readonly branches: readonly BranchPlan[]
}

export type StagePlan = ProcessorPlan | RouterPlan

export interface BranchPlan {
  readonly name: string
  readonly path: string
  readonly processors: readonly StagePlan[]
  /** The branch's own output; undefined: rows continue to the pipeline's output. */
  readonly output: ComponentPlan<OutputDefinition> | undefined
}

export interface PipelinePlan {
  readonly file: string
  readonly name: string
  readonly input: ComponentPlan<InputDefinition>
  readonly processors: readonly StagePlan[]
  readonly output: ComponentPlan<OutputDefinition> | undefined
  readonly deadLetter: ComponentPlan<OutputDefinition> | undefined
  readonly settings: RunSettings
  /** `pipeline.threads`: 'auto' or a count. */
  readonly threads: number | 'auto'
  readonly tests: readonly PipelineTestCaseValue[]
  /** Schema of the input's rows when known from its config. */
  readonly inputSchema: Schema | undefined
  /** Secret values found in configs; redacted from every message (invariant 6). */
  readonly secrets: readonly string[]
  /** Hash of the file's text, to tell a resumed run that the file changed. */
  readonly configHash: string
}

export interface LoadResult {
  readonly plan: PipelinePlan | undefined
  readonly errors: readonly ConfigError[]
  readonly source: PipelineSource
}

export interface LoadOptions {
  readonly env?: Environment
  /** How messages name the file (as the user wrote it); default: the path read. */
  readonly displayName?: string
}

const LINT_SIGNAL = new AbortController().signal

export async function loadPipelineFile(file: string, registry: Registry, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message
    const shown = options.displayName ?? file
    const failure = new ConfigError('file.unreadable', `cannot read pipeline file ${shown}: ${reason}`, { cause: error })
    return { plan: undefined, errors: [failure], source: new PipelineSource(shown, '', {}) }
  }
  const result = loadPipeline(options.displayName ?? file, text, registry, options)
  return result.plan ? { ...result, plan: { ...result.plan, file } } : result
}

export function loadPipeline(file: string, text: string, registry: Registry, options: LoadOptions = {}): LoadResult {
  const source = new PipelineSource(file, text, options.env ?? process.env)
  const loader = new Loader(source, registry)
  const plan = loader.load()
  const errors = sortErrors(loader.errors.map((error) => source.place(error)))
  return { plan: errors.length === 0 ? plan : undefined, errors, source }
}

function sortErrors(errors: ConfigError[]): ConfigError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => (a.error.location?.line ?? 0) - (b.error.location?.line ?? 0) || (a.error.location?.col ?? 0) - (b.error.location?.col ?? 0) || a.index - b.index)
    .map(({ error }) => error)
}

class Loader {
  readonly errors: ConfigError[] = []
  /** For each chain of stages built, how many stages come before its first invalid processor. */
  private readonly validPrefix = new WeakMap<readonly StagePlan[], number>()
  private readonly secrets = new Set<string>()

  constructor(
    private readonly source: PipelineSource,
    private readonly registry: Registry,
  ) {}

  load(): PipelinePlan | undefined {
    this.errors.push(...this.source.errors)
    if (this.source.errors.some((error) => error.code === 'yaml.syntax')) return undefined
    if (this.source.value === null || typeof this.source.value !== 'object' || Array.isArray(this.source.value)) {
      this.errors.push(new ConfigError('config.type', 'a pipeline file must be a mapping with input, pipeline and output', { hint: 'see docs/pipelines.md' }))
      return undefined
    }
    const { config: file, errors } = checkConfig<PipelineFileValue>(PipelineFile, withoutEmptySections(this.source.value as Record<string, unknown>))
    this.errors.push(...errors)
    // Component checks run even when the top level has errors, so that lint reports everything.
    const input = file.input?.type ? this.component('input', file.input, 'input', (type) => this.registry.input(type)) : undefined
    const output = file.output?.type ? this.component('output', file.output, 'output', (type) => this.registry.output(type)) : undefined
    const deadLetter = file.settings?.dead_letter?.type
      ? this.component('settings.dead_letter', file.settings.dead_letter, 'output', (type) => this.registry.output(type))
      : undefined
    const processors = this.chain(Array.isArray(file.pipeline?.processors) ? file.pipeline.processors : [], 'pipeline.processors')
    if (processors.usesMainOutput && file.output === undefined && this.errors.length === 0) {
      this.errors.push(
        new ConfigError('config.missing_field', 'missing required field "output"', {
          path: 'output',
          hint: 'every branch of a switch without its own output sends rows to the pipeline\'s output',
        }),
      )
    }
    let inputSchema: Schema | undefined
    if (input) {
      try {
        inputSchema = input.definition.staticSchema?.(input.config)
      } catch (error) {
        this.fail(error, `${input.path}.config`)
      }
    }
    // Columns are checked even when other parts of the file have errors, so that lint reports them
    // all at once; along each chain only up to its first invalid processor, past which the schema of
    // the rows is unknown.
    this.checkColumns(processors.stages, inputSchema)
    if (this.errors.length === 0 && typeof file.pipeline.threads === 'number' && file.pipeline.threads > 1) this.checkThreads(processors.stages)
    let settings: RunSettings | undefined
    try {
      settings = file.settings ? runSettings(file.settings) : undefined
    } catch (error) {
      this.fail(error, '')
    }
    if (this.errors.length > 0 || !input || !settings) return undefined
    return {
      file: this.source.file,
      name: file.name ?? this.source.file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''),
      input,
      processors: processors.stages,
      output,
      deadLetter,
      settings,
      threads: file.pipeline.threads,
      tests: file.tests ?? [],
      inputSchema,
      secrets: [...this.secrets],
      // The text and the values substituted into it: a resume with other ${VAR}s is warned about too.
      configHash: createHash('sha256').update(this.source.text).update(JSON.stringify(this.source.value)).digest('hex').slice(0, 16),
    }
  }

  private fail(error: unknown, path: string): void {
    if (error instanceof ConfigError) this.errors.push(path ? error.under(path) : error)
    else throw error
  }

  private component<D extends ComponentDefinition>(
    path: string,
    node: ComponentSpec & { label?: string },
    kind: string,
    lookup: (type: string) => D,
  ): ComponentPlan<D> | undefined {
    let definition: D
    try {
      definition = lookup(node.type)
    } catch (error) {
      this.fail(error, path)
      return undefined
    }
    const { config, errors } = checkConfig(definition.config, node.config ?? {})
    const configPath = `${path}.config`
    this.errors.push(...errors.map((error) => error.under(configPath)))
    if (errors.length > 0) return undefined
    this.collectSecrets(definition, config)
    this.checkExpressions(definition.config as unknown as Record<string, unknown>, config, configPath)
    void kind
    return { path, definition, config, label: node.label }
  }

  private chain(nodes: readonly ComponentSpec[], path: string): { stages: StagePlan[]; usesMainOutput: boolean } {
    const stages: StagePlan[] = []
    let usesMainOutput = true
    let prefix: number | undefined
    const broken = (): void => {
      prefix ??= stages.length
    }
    nodes.forEach((node, index) => {
      const nodePath = `${path}[${index}]`
      if (!node || typeof node.type !== 'string') return broken() // reported by the structure check
      const plan = this.component(nodePath, node, 'processor', (type) => this.registry.processor(type))
      if (!plan) return broken()
      if (plan.definition.kind === 'router') {
        if (index !== nodes.length - 1) {
          this.errors.push(
            new ConfigError('router.not_last', `"${node.type}" must be the last processor of its chain`, {
              path: `${nodePath}.type`,
              hint: 'put the processors that follow it inside each of its branches',
            }),
          )
          return broken()
        }
        const router = plan as ComponentPlan<RouterDefinition>
        const branches = router.definition.branches(router.config).map((branch) => this.branch(branch, `${nodePath}.config`))
        usesMainOutput = branches.some((branch) => branch.usesMainOutput)
        stages.push({ ...router, kind: 'router', branches: branches.map((branch) => branch.plan) })
      } else {
        stages.push({ ...(plan as ComponentPlan<ProcessorDefinition>), kind: 'processor' })
      }
    })
    this.validPrefix.set(stages, prefix ?? stages.length)
    return { stages, usesMainOutput }
  }

  private branch(branch: ReturnType<RouterDefinition['branches']>[number], routerConfigPath: string): { plan: BranchPlan; usesMainOutput: boolean } {
    const path = joinConfigPath(routerConfigPath, branch.path)
    const chain = this.chain(branch.processors, `${path}.processors`)
    const output = branch.output ? this.component(`${path}.output`, branch.output, 'output', (type) => this.registry.output(type)) : undefined
    return {
      plan: { name: branch.name, path, processors: chain.stages, output },
      usesMainOutput: branch.output === undefined && chain.usesMainOutput,
    }
  }

  private collectSecrets(definition: ComponentDefinition, config: unknown): void {
    for (const path of secretPaths(definition.config)) {
      for (const value of valuesAt(config, path)) if (typeof value === 'string' && value.length > 0) this.secrets.add(value)
    }
  }

  /** Syntax of every field marked as an expression; columns are checked by `prepare` when the schema is known. */
  private checkExpressions(schema: Record<string, unknown>, value: unknown, path: string): void {
    if (schema['x-expression'] === true && typeof value === 'string') {
      try {
        checkSyntax(value)
      } catch (error) {
        this.fail(error, path)
      }
      return
    }
    if (value && typeof value === 'object') {
      if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
        value.forEach((item, i) => this.checkExpressions(schema.items as Record<string, unknown>, item, `${path}[${i}]`))
      } else if (!Array.isArray(value)) {
        const branches = [schema, ...((schema.anyOf as Record<string, unknown>[] | undefined) ?? [])]
        for (const branch of branches) {
          const properties = branch.properties as Record<string, Record<string, unknown>> | undefined
          if (!properties) continue
          for (const [key, sub] of Object.entries(value as Record<string, unknown>)) {
            if (properties[key]) this.checkExpressions(properties[key], sub, joinConfigPath(path, key))
          }
        }
      }
    }
  }

  /** Runs `prepare` along each chain from the input's static schema, reporting unknown columns. */
  private checkColumns(stages: readonly StagePlan[], schema: Schema | undefined): void {
    let current = schema
    for (const stage of stages.slice(0, this.validPrefix.get(stages) ?? stages.length)) {
      try {
        const context = { path: stage.path, logger: silentLogger, signal: LINT_SIGNAL, home: '', resumeState: undefined }
        if (stage.kind === 'router') {
          const router = stage.definition.create(stage.config, context)
          if (current) router.prepare(current)
          for (const branch of stage.branches) this.checkColumns(branch.processors, current)
          return
        }
        const processor = stage.definition.create(stage.config, context)
        current = current ? processor.prepare(current) : undefined
      } catch (error) {
        this.fail(error, `${stage.path}.config`)
        return
      }
    }
  }

  private checkThreads(stages: readonly StagePlan[]): void {
    for (const stage of stages) {
      if (stage.kind === 'processor' && !stage.definition.stateless) {
        this.errors.push(
          new ConfigError('pipeline.threads_stateful', `processor "${stage.definition.type}" keeps state and cannot run on several threads`, {
            path: 'pipeline.threads',
            hint: `set pipeline.threads to 1, or remove ${stage.path}`,
          }),
        )
      }
      if (stage.kind === 'router') for (const branch of stage.branches) this.checkThreads(branch.processors)
    }
  }
}

/**
 * An empty section (`settings:` or `config:` with nothing under it) is YAML null; users mean an
 * empty mapping, which is what it becomes, so that the defaults apply.
 */
function withoutEmptySections(file: Record<string, unknown>): Record<string, unknown> {
  const emptied = (node: unknown, keys: readonly string[]): unknown => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return node
    const copy = { ...(node as Record<string, unknown>) }
    for (const key of keys) if (copy[key] === null) delete copy[key]
    return copy
  }
  const copy = emptied(file, ['pipeline', 'settings']) as Record<string, unknown>
  for (const key of ['input', 'output']) copy[key] = emptied(copy[key], ['config'])
  const pipeline = copy.pipeline as Record<string, unknown> | undefined
  if (pipeline && typeof pipeline === 'object') {
    const cleaned = emptied(pipeline, ['processors']) as Record<string, unknown>
    if (Array.isArray(cleaned.processors)) cleaned.processors = cleaned.processors.map((node) => emptied(node, ['config']))
    copy.pipeline = cleaned
  }
  if (copy.settings && typeof copy.settings === 'object') copy.settings = emptied(emptied(copy.settings, ['retry']), [])
  const settings = copy.settings as Record<string, unknown> | undefined
  if (settings?.dead_letter && typeof settings.dead_letter === 'object') settings.dead_letter = emptied(settings.dead_letter, ['config'])
  return copy
}

/** Values at a path where `[]` means every element of a list: `connection.password`, `brokers[].password`. */
function valuesAt(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root]
  for (const part of path.split('.')) {
    const isList = part.endsWith('[]')
    const key = isList ? part.slice(0, -2) : part
    current = current.flatMap((value) => {
      if (!value || typeof value !== 'object') return []
      const next = (value as Record<string, unknown>)[key]
      if (isList) return Array.isArray(next) ? next : []
      return next === undefined ? [] : [next]
    })
  }
  return current
}
