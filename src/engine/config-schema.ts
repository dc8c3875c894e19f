/**
 * Structural validation of component configs against their TypeBox/JSON Schemas: fills defaults,
 * rejects unknown fields (with "did you mean"), and turns every schema violation into a ConfigError
 * whose path is relative to the validated value. The loader prefixes the component's own path and
 * resolves file positions.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { TSchema } from 'typebox'
import { ConfigError } from '../core/errors.js'
import { didYouMean } from '../core/suggest.js'

type JsonSchema = Record<string, unknown>

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true })
const compiled = new WeakMap<object, { validate: ValidateFunction; strict: JsonSchema }>()

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A copy of the schema where every object schema that does not say otherwise refuses unknown
 * properties: a misspelt key is an error, not silently ignored.
 */
function strictSchema(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isObject(value)) {
      copy.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isObject(sub) ? strictSchema(sub) : sub]))
    } else if ((key === 'items' || key === 'not' || key === 'additionalProperties') && isObject(value)) {
      copy[key] = strictSchema(value)
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      copy[key] = value.map((sub) => (isObject(sub) ? strictSchema(sub) : sub))
    } else {
      copy[key] = value
    }
  }
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined && copy.patternProperties === undefined) {
    copy.additionalProperties = false
  }
  return copy
}

function compile(schema: TSchema): { validate: ValidateFunction; strict: JsonSchema } {
  let entry = compiled.get(schema)
  if (!entry) {
    const strict = strictSchema(withoutDefaultedRequired(schema as unknown as JsonSchema))
    entry = { validate: ajv.compile(strict), strict }
    compiled.set(schema, entry)
  }
  return entry
}

/**
 * The schema as users and tools see it (`fustor plugins show`, the API, the designer): a field that
 * has a default is not required, since the loader fills it.
 */
export function publishedSchema(schema: TSchema): JsonSchema {
  return strictSchema(withoutDefaultedRequired(schema as unknown as JsonSchema))
}

function withoutDefaultedRequired(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...schema }
  if (isObject(schema.properties)) {
    const properties = schema.properties as Record<string, JsonSchema>
    copy.properties = Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, isObject(sub) ? withoutDefaultedRequired(sub) : sub]))
    if (Array.isArray(schema.required)) {
      const required = (schema.required as string[]).filter((name) => !hasDefault(properties[name]))
      if (required.length > 0) copy.required = required
      else delete copy.required
    }
  }
  if (isObject(schema.items)) copy.items = withoutDefaultedRequired(schema.items)
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) copy[key] = (schema[key] as unknown[]).map((sub) => (isObject(sub) ? withoutDefaultedRequired(sub) : sub))
  }
  return copy
}

function hasDefault(schema: unknown): boolean {
  if (!isObject(schema)) return false
  if (schema.default !== undefined) return true
  // An object whose own fields all have defaults (or are optional) can be left out entirely.
  return schema.type === 'object' && isObject(schema.properties) && allFieldsOptional(schema)
}

function allFieldsOptional(schema: JsonSchema): boolean {
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
  const properties = schema.properties as Record<string, unknown>
  return required.every((name) => hasDefault(properties[name]))
}

/**
 * A deep copy in which no two places share an object. (Not structuredClone: it keeps the sharing
 * of YAML aliases, and the defaults filled into one place would then show up in the other.)
 */
function unshared(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unshared)
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unshared(item)]))
  return value
}

/** Fills defaults into `value` (mutating it) wherever a field is absent and the schema has one. */
export function applyDefaults(schema: JsonSchema, value: unknown): unknown {
  if (value === undefined) {
    if (schema.default !== undefined) return structuredClone(schema.default)
    if (schema.type === 'object' && isObject(schema.properties) && allFieldsOptional(schema)) value = {}
    else return value
  }
  if (isObject(value) && isObject(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
      const filled = applyDefaults(sub, value[name])
      if (filled !== undefined) value[name] = filled
    }
  } else if (Array.isArray(value) && isObject(schema.items)) {
    for (let i = 0; i < value.length; i++) value[i] = applyDefaults(schema.items, value[i])
  } else if (isObject(value) && Array.isArray(schema.anyOf)) {
    // A union of object shapes: fill defaults from the branch whose required keys are present and
    // which knows every key given (a branch without required keys would otherwise take any value).
    const keys = Object.keys(value)
    const candidates = (schema.anyOf as JsonSchema[]).filter(
      (sub) => isObject(sub.properties) && (Array.isArray(sub.required) ? (sub.required as string[]) : []).every((key) => key in (value as object)),
    )
    const branch = candidates.find((sub) => keys.every((key) => key in (sub.properties as object))) ?? candidates[0]
    if (branch) applyDefaults(branch, value)
  }
  return value
}

/** `/a/0/b` -> `a[0].b` */
export function pointerToPath(pointer: string): string {
  if (!pointer) return ''
  let path = ''
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (/^\d+$/.test(part)) path += `[${part}]`
    else path += path ? `.${part}` : part
  }
  return path
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

/** Stands for the value of a field marked secret() in messages (invariant 6). */
const SECRET_VALUE = Symbol('secret value')

function describe(value: unknown): string {
  if (value === SECRET_VALUE) return 'a secret value (not shown)'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`
  return `${typeof value} ${String(value)}`
}

function valueAtPointer(root: unknown, pointer: string): unknown {
  let current = root
  for (const raw of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  return current
}

function schemaAt(schema: JsonSchema, schemaPath: string): JsonSchema | undefined {
  let current: unknown = schema
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    if (!isObject(current) && !Array.isArray(current)) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return isObject(current) ? current : undefined
}

function toConfigErrors(errors: ErrorObject[], root: unknown, schema: JsonSchema): ConfigError[] {
  const result: ConfigError[] = []
  const seen = new Set<string>()
  // anyOf/oneOf failures report every branch's complaint; keep one clear message per location.
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath))
  for (const error of errors) {
    const path = pointerToPath(error.instancePath)
    // The value is shown in the message, unless the field is a secret (a password that is not a string...).
    const isSecret = schemaAt(schema, error.schemaPath)?.['x-secret'] === true
    const valueAt = (data: unknown, pointer: string): unknown => (isSecret ? SECRET_VALUE : valueAtPointer(data, pointer))
    let converted: ConfigError | undefined
    if (error.keyword !== 'anyOf' && error.keyword !== 'oneOf' && isInsideUnion(error.instancePath, unionPaths)) continue
    switch (error.keyword) {
      case 'required': {
        const field = (error.params as { missingProperty: string }).missingProperty
        converted = new ConfigError('config.missing_field', `missing required field "${field}"`, { path: join(path, field) })
        break
      }
      case 'additionalProperties': {
        const field = (error.params as { additionalProperty: string }).additionalProperty
        const parent = schemaAt(schema, error.schemaPath)
        const known = isObject(parent?.properties) ? Object.keys(parent.properties) : []
        const hint = known.length > 0 ? `known fields: ${known.join(', ')}` : undefined
        converted = new ConfigError('config.unknown_field', `unknown field "${field}"${didYouMean(field, known)}`, { path: join(path, field), hint })
        break
      }
      case 'type':
        converted = new ConfigError('config.type', `must be ${(error.params as { type: string }).type}, got ${describe(valueAt(root, error.instancePath))}`, { path })
        break
      case 'enum': {
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues
        const value = valueAt(root, error.instancePath)
        const suggestion = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : ''
        converted = new ConfigError('config.invalid_value', `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}${suggestion}`, { path })
        break
      }
      case 'anyOf':
      case 'oneOf': {
        const branches = schemaAt(schema, error.schemaPath)?.[error.keyword] as JsonSchema[] | undefined
        const value = valueAt(root, error.instancePath)
        const constants = branches?.every((branch) => branch.const !== undefined) ? branches.map((branch) => branch.const) : undefined
        if (constants) {
          const suggestion = typeof value === 'string' ? didYouMean(value, constants.map(String)) : ''
          converted = new ConfigError('config.invalid_value', `must be one of ${constants.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}${suggestion}`, { path })
        } else {
          converted = new ConfigError('config.invalid_value', `${describe(value)} matches none of the allowed forms${branchSummary(branches)}`, { path })
        }
        break
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
      case 'pattern':
      case 'const':
      case 'format':
        converted = new ConfigError('config.invalid_value', `${error.message ?? 'invalid value'}, got ${describe(valueAt(root, error.instancePath))}`, { path })
        break
      default:
        converted = new ConfigError('config.invalid_value', error.message ?? 'invalid value', { path })
    }
    const key = `${converted.path}|${converted.message}`
    if (!seen.has(key)) {
      seen.add(key)
      result.push(converted)
    }
  }
  return result
}

function isInsideUnion(instancePath: string, unionPaths: Set<string>): boolean {
  for (const unionPath of unionPaths) {
    if (instancePath === unionPath || instancePath.startsWith(`${unionPath}/`)) return true
  }
  return false
}

function branchSummary(branches: JsonSchema[] | undefined): string {
  if (!branches) return ''
  const shapes = branches.map((branch) => {
    if (branch.type === 'object' && isObject(branch.properties)) return `a mapping with ${Object.keys(branch.properties).join(', ')}`
    if (branch.const !== undefined) return JSON.stringify(branch.const)
    return String(branch.type ?? 'value')
  })
  return ` (expected ${shapes.join(' or ')})`
}

/**
 * Fills defaults into a copy of `value` and validates it. Returns the filled config and every
 * error found (paths relative to `value`), so that lint can report them all at once.
 */
export function checkConfig<T = unknown>(schema: TSchema, value: unknown): { config: T; errors: ConfigError[] } {
  const { validate, strict } = compile(schema)
  const config = applyDefaults(strict, value === undefined || value === null ? undefined : unshared(value)) ?? {}
  if (validate(config)) return { config: config as T, errors: [] }
  return { config: config as T, errors: toConfigErrors(validate.errors ?? [], config, strict) }
}

/** checkConfig that throws the first error. */
export function parseConfig<T = unknown>(schema: TSchema, value: unknown): T {
  const { config, errors } = checkConfig<T>(schema, value)
  if (errors.length > 0) throw errors[0]
  return config
}

/** Config paths of every field marked secret in the schema (`connection.password`); arrays as `[]`. */
export function secretPaths(schema: TSchema): string[] {
  const paths: string[] = []
  const walk = (node: unknown, path: string): void => {
    if (!isObject(node)) return
    if (node['x-secret'] === true) paths.push(path)
    if (isObject(node.properties)) for (const [name, sub] of Object.entries(node.properties)) walk(sub, join(path, name))
    if (isObject(node.items)) walk(node.items, `${path}[]`)
    for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(node[key])) for (const sub of node[key] as unknown[]) walk(sub, path)
  }
  walk(schema, '')
  return [...new Set(paths)]
}
