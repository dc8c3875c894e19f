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

  /**
   * Source offset of character `offset` of a scalar's value. Walks the source as YAML reads it, so
   * that escapes (`\\t`, `\\u00e9`, `''`), folded lines (plain and quoted scalars over several lines,
   * `>` blocks) and block indentation are counted as they are in the value.
   */
  private offsetInScalar(node: Scalar, offset: number): number {
    const text = this.text
    const [start, end] = node.range!
    const type = node.type
    const isQuoted = type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE
    const isBlock = type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED
    const stop = Math.min(isQuoted ? end - 1 : end, text.length)
    let i = isQuoted ? start + 1 : start
    let indent = 0
    if (isBlock) {
      // Content starts on the line after the header (`|`, `>-`, `|2`...).
      const header = text.indexOf('\n', start)
      if (header < 0 || header >= stop) return start
      i = header + 1
      indent = blockIndent(text, start, header, i, stop)
    }
    const isSpace = (k: number): boolean => text[k] === ' ' || text[k] === '\t'
    const lineBreak = (k: number): number => (text[k] === '\n' ? 1 : text[k] === '\r' && text[k + 1] === '\n' ? 2 : 0)
    const skipIndent = (): void => {
      // A block keeps spaces beyond its indentation; flow scalars drop a line's leading spaces.
      for (let n = 0; i < stop && isSpace(i) && (!isBlock || n < indent); n++) i++
    }
    if (isBlock) skipIndent()
    let produced = 0
    while (i < stop && produced < offset) {
      const atBreak = lineBreak(i)
      if (atBreak > 0) {
        i += atBreak
        let emptyLines = 0
        for (;;) {
          let k = i
          while (k < stop && isSpace(k)) k++
          const next = lineBreak(k)
          if (next === 0 || k >= stop) break
          emptyLines++
          i = k + next
        }
        skipIndent()
        // A literal block keeps every line break; elsewhere one break folds to a space and each
        // empty line gives a line break.
        produced += type === Scalar.BLOCK_LITERAL ? 1 + emptyLines : Math.max(emptyLines, 1)
        continue
      }
      if (!isBlock && isSpace(i)) {
        // Spaces at the end of a line are folded away with the break.
        let k = i
        while (k < stop && isSpace(k)) k++
        if (lineBreak(k) > 0) {
          i = k
          continue
        }
      }
      if (type === Scalar.QUOTE_DOUBLE && text[i] === '\\') {
        const escaped = lineBreak(i + 1)
        if (escaped > 0) {
          // An escaped line break joins the lines without a space.
          i += 1 + escaped
          while (i < stop && isSpace(i)) i++
          continue
        }
        const kind = text[i + 1]
        const digits = kind === 'x' ? 2 : kind === 'u' ? 4 : kind === 'U' ? 8 : 0
        produced += digits === 8 && Number.parseInt(text.slice(i + 2, i + 10), 16) > 0xffff ? 2 : 1
        i += 2 + digits
        continue
      }
      if (type === Scalar.QUOTE_SINGLE && text[i] === "'" && text[i + 1] === "'") {
        i += 2
        produced++
        continue
      }
      i++
      produced++
    }
    return Math.min(i, end)
  }
}

/** Indentation of a block scalar's content: from its indentation indicator, else its first non-empty line. */
function blockIndent(text: string, headerStart: number, headerEnd: number, contentStart: number, contentEnd: number): number {
  const indicator = /^[|>][+-]?([1-9])?/.exec(text.slice(headerStart, headerEnd))?.[1]
  if (indicator !== undefined) {
    const lineStart = text.lastIndexOf('\n', headerStart - 1) + 1
    const parentIndent = /^ */.exec(text.slice(lineStart, headerStart))![0].length
    return parentIndent + Number(indicator)
  }
  for (const line of text.slice(contentStart, contentEnd).split('\n')) {
    if (line.trim()) return line.length - line.trimStart().length
  }
  return 0
}

function typedScalar(text: string): unknown {
  if (text === '') return ''
  try {
    // Only the type comes from YAML (a number, true/false, null): a value with YAML syntax in it
    // stays the text it is, so that `# x` is no comment and quotes are kept (a password with `#`).
    const value = parseYaml(text) as unknown
    return (value === null || typeof value === 'number' || typeof value === 'boolean') && !text.includes('#') ? value : text
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
