/**
 * The `regex_extract` processor: pulls parts of a text column out with a regular expression, one
 * column per named group (or one target column).
 */
import Type, { type Static } from 'typebox'
import type { Batch } from '../core/batch.js'
import { defineProcessor, type ProcessContext, type Processor } from '../core/component.js'
import { ConfigError, RecordError } from '../core/errors.js'
import type { Column, Row, Schema, Value } from '../core/schema.js'
import { formatValue } from '../core/values.js'
import { requireColumn } from './require-column.js'
import { allColumns, rowBuilder } from './row-builder.js'

const config = Type.Object({
  source_field: Type.String({ description: 'Column to match; values of other types are matched in their text form.', minLength: 1, examples: ['message'] }),
  pattern: Type.String({
    description: 'JavaScript regular expression. Each named group `(?<name>...)` becomes a string column of that name (replaced if it exists).',
    minLength: 1,
    examples: ['^(?<user>[^@]+)@(?<domain>.+)$', '(?<year>\\d{4})-(?<month>\\d{2})'],
  }),
  target_field: Type.Optional(
    Type.String({
      description: 'Instead of named groups: the column that receives the first capturing group, or the whole match if the pattern has none.',
      minLength: 1,
      examples: ['domain'],
    }),
  ),
  case_insensitive: Type.Boolean({ description: 'Letters match regardless of case.', default: false }),
  on_no_match: Type.Enum(['null', 'reject'], {
    description: '`null`: a row that does not match gets NULL in the new columns. `reject`: it goes to the dead-letter output.',
    default: 'null',
  }),
})

type RegexExtractConfig = Static<typeof config>

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)
}

class RegexExtractProcessor implements Processor {
  private readonly regex: RegExp
  /** Named groups, or undefined when a single target column takes group 1 (or the whole match). */
  private readonly groups: readonly string[] | undefined
  private readonly matchIndex: number
  private sourceIndex = -1
  private targets = new Int32Array(0)
  private output: Schema = { columns: [] }
  /** Set when the groups add columns: builds the row at its final width. */
  private widen: ((row: Row) => Row) | undefined

  constructor(private readonly config: RegexExtractConfig) {
    const flags = config.case_insensitive ? 'iu' : 'u'
    try {
      this.regex = new RegExp(config.pattern, flags)
    } catch (error) {
      throw new ConfigError('regex_extract.invalid_pattern', `invalid pattern in regex_extract: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`, {
        path: 'pattern',
        cause: error,
      })
    }
    // An empty alternative matches the empty string, which reveals the group names and count.
    const probe = new RegExp(`${config.pattern}|`, flags).exec('')!
    const names = Object.keys(probe.groups ?? {})
    this.matchIndex = probe.length > 1 ? 1 : 0
    if (config.target_field !== undefined) this.groups = undefined
    else if (names.length > 0) this.groups = names
    else {
      throw new ConfigError('regex_extract.no_target', 'pattern in regex_extract has no named group, so target_field must say where the match goes', {
        path: 'target_field',
        hint: 'name groups like (?<year>\\d{4}), or set target_field',
      })
    }
  }

  prepare(schema: Schema): Schema {
    this.sourceIndex = requireColumn(schema, this.config.source_field, 'source_field', 'regex_extract')
    const columns: Column[] = [...schema.columns]
    const names = this.groups ?? [this.config.target_field!]
    this.targets = Int32Array.from(
      names.map((name) => {
        const existing = columns.findIndex((column) => column.name === name)
        if (existing >= 0) {
          columns[existing] = { name, type: 'string' }
          return existing
        }
        columns.push({ name, type: 'string' })
        return columns.length - 1
      }),
    )
    const added = columns.length - schema.columns.length
    this.widen = added > 0 ? rowBuilder(allColumns(schema.columns.length), added) : undefined
    this.output = schema.primaryKey && !schema.primaryKey.some((name) => names.includes(name)) ? { columns, primaryKey: schema.primaryKey } : { columns }
    return this.output
  }

  process(batch: Batch, ctx: ProcessContext): Batch {
    const rows = batch.rows
    const { regex, groups, targets, sourceIndex, widen } = this
    const isRejecting = this.config.on_no_match === 'reject'
    let kept = 0
    for (let r = 0; r < rows.length; r++) {
      const input = rows[r]
      const value = input[sourceIndex]
      const match = value === null ? null : regex.exec(typeof value === 'string' ? value : formatValue(value))
      if (match === null && isRejecting && value !== null) {
        ctx.reject(input, this.noMatch(value))
        continue
      }
      const row = widen === undefined ? input : widen(input)
      if (groups === undefined) row[targets[0]] = match === null ? null : (match[this.matchIndex] ?? null)
      else setGroups(row, targets, groups, match)
      rows[kept++] = row
    }
    rows.length = kept
    return { schema: this.output, rows }
  }

  private noMatch(value: Exclude<Value, null>): RecordError {
    const text = typeof value === 'string' ? value : formatValue(value)
    return new RecordError('regex_extract.no_match', `${preview(text)} in column "${this.config.source_field}" does not match the regex_extract pattern`, {
      column: this.config.source_field,
    })
  }
}

function setGroups(row: Row, targets: Int32Array, groups: readonly string[], match: RegExpExecArray | null): void {
  const found = match?.groups
  for (let i = 0; i < groups.length; i++) row[targets[i]] = found?.[groups[i]] ?? null
}

export const regexExtractProcessor = defineProcessor({
  type: 'regex_extract',
  status: 'stable',
  summary: 'Extracts parts of a text column into new columns with a regular expression',
  description: [
    'Matches `pattern` (JavaScript syntax, Unicode mode) against `source_field`. Each named group becomes a',
    'string column; with `target_field`, the first capturing group (or the whole match) goes to that column.',
    'A group that did not take part in the match gives NULL, and so does a NULL source. A row that does not',
    'match gets NULLs, or goes to the dead-letter output with `on_no_match: reject`. Cast the new columns',
    'with the `transform` processor when they should not be strings.',
  ].join('\n'),
  categories: ['parsing', 'text'],
  stateless: true,
  config,
  examples: [
    {
      title: 'Split e-mail addresses',
      yaml: `input:
  type: generate
  config:
    count: 1000
pipeline:
  processors:
    - type: regex_extract
      config:
        source_field: email
        pattern: '^(?<mailbox>[^@]+)@(?<domain>.+)$'
        on_no_match: reject
    - type: mapping
      config:
        select: [id, email, mailbox, domain]
output:
  type: jsonl
  config:
    path: out/domains.jsonl
`,
    },
  ],
  create: (cfg) => new RegexExtractProcessor(cfg),
})
