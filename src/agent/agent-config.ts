/**
 * `FUSTOR_HOME/agent-config.yaml` (seed 001): the realtime agent's `sources`, `senders` and `pipes`.
 *
 *   sources:   { id, type, config }            an input (mysql_cdc, postgresql_cdc, fs...)
 *   senders:   { id, type, config }            an output (http, postgresql, jsonl...)
 *   pipes:     { id, source_id, sender_id, processors?, fields?, settings?, enabled? }
 *
 * Each pipe is a pipeline: `input` is its share of the source (the `agent_source` input, reading
 * the source's event bus), then its processors, then a `mapping` keeping `fields` when given, then
 * the sender as `output`. The pipeline text is made here and checked by the engine's loader like
 * any pipeline file; its errors are placed back in agent-config.yaml (line:col and the path there),
 * so a user fixes the file they wrote (invariant 4).
 */
import { stringify } from 'yaml'
import { ConfigError } from '../core/errors.js'
import { closestMatch } from '../core/suggest.js'
import { checkConfig } from '../engine/config-schema.js'
import { loadPipeline, type PipelinePlan } from '../engine/pipeline-loader.js'
import { PipelineSource, type Environment } from '../engine/pipeline-source.js'
import type { Registry } from '../engine/registry.js'

/** The input type a pipe's pipeline reads its source through (agent-source-input.ts). */
export const AGENT_SOURCE_TYPE = 'agent_source'

export interface AgentComponent {
  readonly id: string
  readonly type: string
  readonly config: Record<string, unknown>
  /** Index in its list, for error paths. */
  readonly index: number
}

export interface AgentPipe {
  readonly id: string
  readonly sourceId: string
  readonly senderId: string
  readonly enabled: boolean
  readonly index: number
  /** The pipeline the pipe runs (`input` is its share of the source). */
  readonly plan: PipelinePlan
  /** Its text: the agent loads it again with a registry whose `agent_source` reads the pipe's subscription. */
  readonly pipelineText: string
}

export interface AgentConfig {
  readonly file: string
  readonly sources: readonly AgentComponent[]
  readonly senders: readonly AgentComponent[]
  readonly pipes: readonly AgentPipe[]
}

export interface AgentConfigResult {
  readonly config: AgentConfig | undefined
  readonly errors: readonly ConfigError[]
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/**
 * Parses and checks an agent config. `registry` must hold the `agent_source` input: the agent's
 * registry (agent.ts `agentRegistry`). Every error is a ConfigError placed in `file`.
 */
export function parseAgentConfig(file: string, text: string, registry: Registry, env: Environment = process.env): AgentConfigResult {
  // YAML with positions and ${VAR} substituted, as pipeline files are read.
  const source = new PipelineSource(file, text, env)
  const errors: ConfigError[] = [...source.errors]
  const place = (path: (string | number)[], error: ConfigError): ConfigError => {
    const joined = path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('')
    // An unknown field is shown at its key, as pipeline files show it.
    const location = source.locate(joined, { key: error.code === 'config.unknown_field' || error.code === 'agent.unknown_key' })
    return error.with({ path: joined, offset: undefined, location })
  }
  if (errors.length > 0) return { config: undefined, errors }
  const root = (source.value ?? {}) as Record<string, unknown>
  if (typeof root !== 'object' || Array.isArray(root)) {
    return { config: undefined, errors: [place([], new ConfigError('agent.not_a_mapping', 'agent-config.yaml must be a mapping with sources, senders and pipes'))] }
  }
  for (const key of Object.keys(root)) {
    if (!['sources', 'senders', 'pipes'].includes(key)) {
      const suggestion = closestMatch(key, ['sources', 'senders', 'pipes'])
      errors.push(place([key], new ConfigError('agent.unknown_key', `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, { hint: 'the agent config has sources, senders and pipes' })))
    }
  }
  const components = (list: 'sources' | 'senders'): AgentComponent[] => {
    const items = listAt(root, list, place, errors)
    const seen = new Set<string>()
    return items.flatMap((item, index) => {
      const id = idOf(item, [list, index], place, errors)
      if (id !== undefined && seen.has(id)) errors.push(place([list, index, 'id'], new ConfigError('agent.duplicate_id', `${list} has two entries with id "${id}"`)))
      if (id !== undefined) seen.add(id)
      const type = item.type
      if (typeof type !== 'string') {
        errors.push(place([list, index], new ConfigError('agent.missing_field', `missing required field "type" in ${list}[${index}]`)))
        return []
      }
      const config = item.config ?? {}
      if (typeof config !== 'object' || config === null || Array.isArray(config)) {
        errors.push(place([list, index, 'config'], new ConfigError('agent.invalid_field', `config of ${list}[${index}] must be a mapping`)))
        return []
      }
      if (list === 'sources') checkSource(type, config, index)
      return id === undefined ? [] : [{ id, type, config: config as Record<string, unknown>, index }]
    })
  }
  /** A source's type and config, checked once here (pipes read it through `agent_source`). */
  const checkSource = (type: string, config: unknown, index: number): void => {
    try {
      const definition = registry.input(type)
      if (type === AGENT_SOURCE_TYPE) throw new ConfigError('agent.invalid_field', `${AGENT_SOURCE_TYPE} is what pipes read sources through, not a source type`)
      for (const error of checkConfig(definition.config, config).errors) errors.push(place(['sources', index, 'config', ...splitPath(error.path ?? '')], error))
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      errors.push(place(['sources', index, 'type'], error))
    }
  }
  const sources = components('sources')
  const senders = components('senders')
  const pipes: AgentPipe[] = []
  const seenPipes = new Set<string>()
  listAt(root, 'pipes', place, errors).forEach((item, index) => {
    const id = idOf(item, ['pipes', index], place, errors)
    if (id === undefined) return
    if (seenPipes.has(id)) errors.push(place(['pipes', index, 'id'], new ConfigError('agent.duplicate_id', `pipes has two entries with id "${id}"`)))
    seenPipes.add(id)
    const source = reference(item, 'source_id', sources, ['pipes', index], place, errors)
    const sender = reference(item, 'sender_id', senders, ['pipes', index], place, errors)
    for (const key of Object.keys(item)) {
      if (!PIPE_KEYS.includes(key)) {
        const suggestion = closestMatch(key, PIPE_KEYS)
        errors.push(place(['pipes', index, key], new ConfigError('agent.unknown_key', `unknown key "${key}" in pipe "${id}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, { hint: `a pipe has ${PIPE_KEYS.join(', ')}` })))
      }
    }
    if (source === undefined || sender === undefined) return
    const fields = item.fields
    if (fields !== undefined && (!Array.isArray(fields) || fields.some((field) => typeof field !== 'string'))) {
      errors.push(place(['pipes', index, 'fields'], new ConfigError('agent.invalid_field', `fields of pipe "${id}" must be a list of column names`)))
      return
    }
    const processors = [...((item.processors as unknown[] | undefined) ?? []), ...(fields === undefined ? [] : [{ type: 'mapping', config: { select: fields } }])]
    const pipeline = {
      input: { type: AGENT_SOURCE_TYPE, config: { source: source.id } },
      ...(processors.length > 0 ? { pipeline: { processors } } : {}),
      output: { type: sender.type, config: sender.config },
      ...(item.settings === undefined ? {} : { settings: item.settings }),
    }
    // Values are already substituted: a `${` left in one is the user's own text, kept as it is.
    const pipelineText = stringify(escapeVariables(pipeline))
    // One pseudo file per pipe: it names the pipe's checkpoint (FUSTOR_HOME/checkpoints).
    const loaded = loadPipeline(`${file}.pipes/${id}.yaml`, pipelineText, registry, { env: {} })
    // Placed where the user wrote the value: a sender's or source's config, or the pipe's own fields.
    for (const error of loaded.errors) errors.push(place(agentPath(error.path, source, sender, index), error))
    if (loaded.plan !== undefined) {
      pipes.push({ id, sourceId: source.id, senderId: sender.id, enabled: item.enabled !== false, index, plan: loaded.plan, pipelineText })
    }
  })
  return errors.length > 0 ? { config: undefined, errors: dedupe(errors) } : { config: { file, sources, senders, pipes }, errors: [] }
}

const PIPE_KEYS = ['id', 'source_id', 'sender_id', 'processors', 'fields', 'settings', 'enabled']

/** A path of a pipe's pipeline (`input.config.x`, `output.config.y`, `pipeline.processors[2]`) in agent-config.yaml. */
function agentPath(path: string | undefined, source: AgentComponent, sender: AgentComponent, pipe: number): (string | number)[] {
  const parts = splitPath(path ?? '')
  if (parts[0] === 'input') return parts[1] === 'config' ? ['sources', source.index, ...parts.slice(1)] : ['sources', source.index]
  if (parts[0] === 'output') return ['senders', sender.index, ...parts.slice(1)]
  if (parts[0] === 'pipeline' && parts[1] === 'processors') return ['pipes', pipe, 'processors', ...parts.slice(2)]
  if (parts[0] === 'settings') return ['pipes', pipe, ...parts]
  return ['pipes', pipe]
}

function splitPath(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((match) => (match[2] !== undefined ? Number(match[2]) : match[1]))
}

function escapeVariables(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('${', '$${')
  if (Array.isArray(value)) return value.map(escapeVariables)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapeVariables(item)]))
  return value
}

type Place = (path: (string | number)[], error: ConfigError) => ConfigError

function listAt(root: Record<string, unknown>, key: string, place: Place, errors: ConfigError[]): Record<string, unknown>[] {
  const value = root[key]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    errors.push(place([key], new ConfigError('agent.invalid_field', `${key} must be a list`)))
    return []
  }
  return value.flatMap((item, index) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) return [item as Record<string, unknown>]
    errors.push(place([key, index], new ConfigError('agent.invalid_field', `${key}[${index}] must be a mapping`)))
    return []
  })
}

function idOf(item: Record<string, unknown>, path: (string | number)[], place: Place, errors: ConfigError[]): string | undefined {
  const id = item.id
  if (id === undefined) {
    errors.push(place(path, new ConfigError('agent.missing_field', `missing required field "id" in ${path[0]}[${path[1]}]`)))
    return undefined
  }
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    errors.push(
      place([...path, 'id'], new ConfigError('agent.invalid_id', `id ${JSON.stringify(id)} is not a name`, {
        hint: 'ids are letters, digits, `_`, `.` and `-`, starting with a letter or digit: `orders-to-partner`',
      })),
    )
    return undefined
  }
  return id
}

function reference(item: Record<string, unknown>, key: 'source_id' | 'sender_id', known: readonly AgentComponent[], path: (string | number)[], place: Place, errors: ConfigError[]): AgentComponent | undefined {
  const id = item[key]
  const list = key === 'source_id' ? 'sources' : 'senders'
  if (typeof id !== 'string') {
    errors.push(place(path, new ConfigError('agent.missing_field', `missing required field "${key}" in pipe "${String(item.id)}"`)))
    return undefined
  }
  const found = known.find((component) => component.id === id)
  if (found === undefined) {
    const suggestion = closestMatch(id, known.map((component) => component.id))
    errors.push(
      place([...path, key], new ConfigError('agent.unknown_reference', `${key} "${id}" is not among the ${list}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, {
        hint: known.length === 0 ? `add it to ${list}` : `${list}: ${known.map((component) => component.id).join(', ')}`,
      })),
    )
  }
  return found
}

/** The same source or sender error found through several pipes is reported once. */
function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>()
  return errors.filter((error) => {
    const key = `${error.location?.line}:${error.location?.col}:${error.code}:${error.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
