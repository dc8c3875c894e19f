/**
 * Config of the relational inputs and outputs (seed 002 §4.1 reader template, §4.3 writer
 * template), shared by postgresql, mysql and sqlite. Keys are snake_case (STYLE.md).
 */
import Type, { type Static } from 'typebox'
import { ConfigError } from '../core/errors.js'
import type { TableRef } from './driver.js'

const columnList = Type.Union([Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.String({ minLength: 1 })], {
  description: 'Columns to read, as a list or comma-separated; default: every column.',
  examples: [['id', 'name', 'created_at'], 'id,name,created_at'],
})

export const readQueryConfig = Type.Object(
  {
    table: Type.Optional(Type.String({ description: 'Table (or view) to read, optionally schema-qualified. A dot separates the schema; quote a name holding a dot with double quotes.', examples: ['users', 'public.user_orders'] })),
    columns: Type.Optional(columnList),
    filter: Type.Optional(
      Type.String({
        description: 'SQL condition (a WHERE clause without `WHERE`) run by the database, in its dialect.',
        examples: ["created_at > '2024-01-01'"],
      }),
    ),
    split_key: Type.Optional(
      Type.String({
        description:
          'Column the table is read in order of, and split on for `parallelism` (an integer column for ranges). Default: the primary key. A resumed run continues after the last key written.',
        examples: ['id'],
      }),
    ),
    sql: Type.Optional(
      Type.String({
        description:
          'A whole SELECT instead of `table`: read as it is, in one stream. A resumed run starts it over (use an upsert output to converge), unless `split_key` names a column of its result to order and resume by.',
        examples: ['SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id'],
      }),
    ),
  },
  { description: 'What to read: `table` (with `columns`, `filter`, `split_key`), or `sql`.' },
)

export const fetchConfig = Type.Object(
  {
    size: Type.Optional(Type.Integer({ minimum: 1, description: 'Rows per fetch and per batch. Default: `settings.batch_size`.', examples: [5000] })),
  },
  { description: 'How rows are fetched.', default: {} },
)

export const incrementalConfig = Type.Object(
  {
    column: Type.String({ description: 'A column that grows with every new or changed row: an auto-increment id, an `updated_at` timestamp.', examples: ['updated_at'] }),
    start: Type.Optional(
      Type.Union([Type.String(), Type.Number()], {
        description: 'The first run reads rows with `column >= start`; default: every row. Later runs read rows above the high-water mark the last finished run reached.',
        examples: ['2024-01-01T00:00:00', 0],
      }),
    ),
  },
  {
    description:
      'Incremental extraction: each run reads only rows whose `column` is above the high-water mark of the last finished run (saved under FUSTOR_HOME), up to the maximum at the start of the run. `fustor run --full-refresh` reads everything again.',
  },
)

export const readerFields = {
  query: readQueryConfig,
  fetch: fetchConfig,
  parallelism: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 1,
    description: 'Ranges of `split_key` read at once, each on its own connection. Needs an integer split key.',
  }),
  incremental: Type.Optional(incrementalConfig),
}

export const writeConfig = Type.Object(
  {
    table: Type.String({ description: 'Target table, optionally schema-qualified.', examples: ['users', 'analytics.user_dim'] }),
    mode: Type.Enum(['insert', 'upsert', 'replace', 'merge'], {
      description:
        '`insert` appends; `upsert` inserts or updates the written columns of the row with the same `conflict.key`; `replace` deletes that row and inserts the new one whole; `merge` (PostgreSQL MERGE, elsewhere as upsert). upsert, replace and merge are idempotent: a retried or resumed batch leaves the same table.',
      default: 'insert',
    }),
    batch_size: Type.Integer({
      minimum: 1,
      default: 3000,
      description:
        'Rows per transaction: rows are gathered until there are this many, or a checkpoint is due. Larger is faster (fewer commits) and holds more rows in memory.',
    }),
  },
  { description: 'Where and how to write.' },
)

export const conflictConfig = Type.Object(
  {
    key: Type.Union([Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.String({ minLength: 1 })], {
      description: 'Columns identifying a row (a primary key or unique constraint of the target). Default: the target\'s primary key.',
      examples: [['id'], 'id, email'],
    }),
  },
  { description: 'How rows of upsert, replace and merge are matched.' },
)

export const writerFields = {
  write: writeConfig,
  conflict: Type.Optional(conflictConfig),
  pre_sql: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String())], {
      description: 'Statements run once before the first row, in order (not again when a run resumes).',
      examples: [['TRUNCATE TABLE staging_users']],
    }),
  ),
  post_sql: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String())], {
      description:
        'Statements run once after the last row is written, in order (ELT: transform the loaded rows inside the database). A failure fails the run; `--resume` runs them again.',
      examples: [['INSERT INTO user_dim SELECT id, lower(email) FROM staging_users ON CONFLICT (id) DO NOTHING']],
    }),
  ),
  create_table: Type.Boolean({
    default: false,
    description: 'Create the target table from the schema of the first batch when it does not exist (types as in docs/relational.md); the key of `conflict.key` becomes its primary key.',
  }),
}
/** `a,b` or `[a, b]` as a list of trimmed names. */
export function nameList(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const names = typeof value === 'string' ? value.split(',') : [...value]
  return names.map((name) => name.trim()).filter((name) => name.length > 0)
}

/** One statement or a list of them. */
export function statementList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return []
  return (typeof value === 'string' ? [value] : [...value]).filter((sql) => sql.trim().length > 0)
}

/**
 * `schema.table`, `table`, or with double-quoted parts holding dots or quotes (`"my.schema"."t"`).
 * Throws ConfigError at `path` for an empty or malformed name.
 */
export function parseTableName(text: string, path: string): TableRef {
  const parts: string[] = []
  let i = 0
  while (i <= text.length) {
    let part = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) throw new ConfigError('sql.table_name', `unterminated quote in table name ${JSON.stringify(text)}`, { path })
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"'
            i += 2
            continue
          }
          i++
          break
        }
        part += text[i++]
      }
    } else {
      const dot = text.indexOf('.', i)
      const end = dot < 0 ? text.length : dot
      part = text.slice(i, end).trim()
      i = end
    }
    if (part.length === 0) throw new ConfigError('sql.table_name', `empty part in table name ${JSON.stringify(text)}`, { path, hint: 'write `table` or `schema.table`' })
    parts.push(part)
    if (i >= text.length) break
    if (text[i] !== '.') throw new ConfigError('sql.table_name', `unexpected ${JSON.stringify(text[i])} in table name ${JSON.stringify(text)}`, { path })
    i++
  }
  if (parts.length > 2) throw new ConfigError('sql.table_name', `table name ${JSON.stringify(text)} has ${parts.length} parts; write \`table\` or \`schema.table\``, { path })
  return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { name: parts[0] }
}

export type ReadQueryConfig = Static<typeof readQueryConfig>
export type IncrementalConfig = Static<typeof incrementalConfig>
export type WriteConfig = Static<typeof writeConfig>
