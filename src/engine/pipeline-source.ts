/**
 * A pipeline file as text: YAML parsed with positions, `${VAR}` / `${VAR:-default}` substituted in
 * scalar values (never in keys; `$${` writes a literal `${`), and a way back from a config path to
 * the file's line and column, so that every error names its place (invariant 4).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, parse as parseYaml, Scalar, type Document, type Node } from 'yaml'
import { ConfigError, type SourceLocation } from '../core/errors.js'

export type Environment = Readonly<Record<string, string | undefined>>

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export class PipelineSource {
  readonly file: string
  readonly text: string
  /** The parsed value with variables substituted; undefined when the YAML did not parse. */
  readonly value: unknown
  /** YAML syntax errors and unset variables, with locations. */
  readonly errors: ConfigError[] = []
  private readonly document: Document.Parsed | undefined
  private readonly lineCounter = new LineCounter()

  constructor(file: string, text: string, env: Environment = process.env) {
    this.file = file
    this.text = text
    const document = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true })
    for (const error of document.errors) {
      const at = this.lineCounter.linePos(error.pos[0])
      const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
      this.errors.push(
        new ConfigError('yaml.syntax', `yaml syntax error: ${lowerFirst(message)}`, {
          location: { file, line: at.line, col: at.col },
        }),
      )
    }
    if (this.errors.length > 0) return
    this.document = document
    this.substitute(document.contents, env)
    this.value = document.toJS({ maxAliasCount: 1000 }) as unknown
  }

  private substitute(node: unknown, env: Environment): void {
    if (isMap(node)) {
      for (const pair of node.items) this.substitute(pair.value, env)
    } else if (isSeq(node)) {
      for (const item of node.items) this.substitute(item, env)
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const original = node.value
      const substituted = original.replace(VARIABLE, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${'
        const value = env[name!]
        if (value !== undefined && value !== '') return value
        if (fallback !== undefined) return fallback
        this.errors.push(
          new ConfigError('config.variable_unset', `environment variable ${name} is not set`, {
            location: this.locationOfNode(node, original.indexOf(match)),
            hint: `set it, or give a default: \${${name}:-value}`,
          }),
        )
        return ''
      })
      // A plain scalar is typed after substitution, as if the value had been written there:
      // `port: ${PGPORT}` gives a number. Quoted scalars stay strings.
      node.value = node.type === Scalar.PLAIN ? typedScalar(substituted) : substituted
    }
  }

  /** Location of the value at a config path, or of the nearest ancestor that exists. With `key`,
   * the location of the key instead of its value (for unknown fields). */
  locate(path: string | undefined, options: { key?: boolean; offset?: number } = {}): SourceLocation {
    const fallback = { file: this.file, line: 1, col: 1 }
    if (!this.document) return fallback
    let node: unknown = this.document.contents
    let keyNode: unknown
    for (const part of splitPath(path ?? '')) {
      let next: unknown
      let nextKey: unknown
      if (isMap(node)) {
        const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === part)
        if (pair) {
          next = pair.value ?? pair.key
          nextKey = pair.key
        }
      } else if (isSeq(node) && typeof part === 'number') {
        next = node.items[part]
        nextKey = next
      }
      if (next === undefined) {
        // Missing: point at the key of the closest existing parent.
        return this.locationOfNode(keyNode ?? node) ?? fallback
      }
      node = next
      keyNode = nextKey
    }
    const target = options.key && keyNode !== undefined ? keyNode : node
    return this.locationOfNode(target, options.key ? undefined : options.offset) ?? fallback
  }

  /** The error with file:line:col filled in from its path (and offset inside an expression). */
  place(error: ConfigError): ConfigError {
    if (error.location) return error
    const isKeyError = error.code === 'config.unknown_field'
    return error.with({ location: this.locate(error.path, { key: isKeyError, offset: error.offset }) })
  }

  private locationOfNode(node: unknown, offset?: number): SourceLocation | undefined {
    const range = (node as Node | undefined)?.range
    if (!range) return undefined
    let start = range[0]
    if (offset !== undefined && isScalar(node)) start = this.offsetInScalar(node, offset)
    const at = this.lineCounter.linePos(start)
    return { file: this.file, line: at.line, col: at.col }
  }

  /** Source offset of character `offset` of a scalar's value. */
  private offsetInScalar(node: Scalar, offset: number): number {
    const [start, end] = node.range!
    switch (node.type) {
      case Scalar.QUOTE_DOUBLE:
      case Scalar.QUOTE_SINGLE:
        return Math.min(start + 1 + offset, end)
      case Scalar.BLOCK_LITERAL:
      case Scalar.BLOCK_FOLDED: {
        const value = String(node.source ?? node.value)
        const before = value.slice(0, offset)
        const lineIndex = before.split('\n').length - 1
        const col = offset - (before.lastIndexOf('\n') + 1)
        const sourceLines = this.text.slice(start, end).split('\n')
        const contentLines = sourceLines.slice(1)
        const indent = Math.min(...contentLines.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length))
        let position = start + sourceLines[0].length + 1
        for (let i = 0; i < lineIndex && i < contentLines.length; i++) position += contentLines[i].length + 1
        return position + (Number.isFinite(indent) ? indent : 0) + col
      }
      default:
        return Math.min(start + offset, end)
    }
  }
}

function typedScalar(text: string): unknown {
  if (text === '') return ''
  try {
    const value = parseYaml(text) as unknown
    return value === null || typeof value !== 'object' ? value : text
  } catch {
    // Not valid as a YAML scalar (e.g. contains ': '): it is a plain string.
    return text
  }
}

function lowerFirst(text: string): string {
  return text ? text[0].toLowerCase() + text.slice(1) : text
}

/** `pipeline.processors[1].config` -> ['pipeline', 'processors', 1, 'config'] */
export function splitPath(path: string): (string | number)[] {
  const parts: (string | number)[] = []
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1])
  }
  return parts
}
