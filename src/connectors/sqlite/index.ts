/**
 * The `sqlite` input and output: the shared relational components (src/sql) over the SQLite driver
 * (better-sqlite3 in the pipeline's own process, sqlite-driver.ts).
 */
import { sqliteConnectionSchema } from '../../sql/connection-config.js'
import { inputDescription, outputDescription } from '../../sql/descriptions.js'
import { relationalInput, relationalOutput, type RelationalConnector } from '../../sql/relational-components.js'
import { lazyDriver } from '../../sql/lazy-driver.js'
import { sqliteDialect } from './sqlite-dialect.js'

const connector: RelationalConnector = {
  // The client library loads on the first connection (src/sql/lazy-driver.ts).
  driver: lazyDriver(sqliteDialect, 0, async () => (await import('./sqlite-driver.js')).sqliteDriver),
  label: 'SQLite',
  connectionSchema: sqliteConnectionSchema,
  inputDescription: inputDescription(
    'SQLite',
    'The database file is opened read-only and must exist. SQLite columns have declared types, not types: each is ' +
      'read as the logical type its declared type names (`INT`, `DECIMAL(10,2)`, `TIMESTAMP`...), and a row holding a ' +
      "value that does not fit (text in an INT column) goes to the dead-letter output. Types: docs/types/sqlite.md.",
  ),
  outputDescription: outputDescription(
    'SQLite',
    'The file is created when missing (its directory must exist), in WAL mode with `synchronous=FULL` unless ' +
      '`connection.options` set those PRAGMAs. `insert` uses prepared multi-row `INSERT`s; `upsert` and `merge` ' +
      '`INSERT ... ON CONFLICT (key) DO UPDATE`, `replace` `INSERT OR REPLACE`; those three need a primary key or a ' +
      'unique index on exactly the key columns. Types: docs/types/sqlite.md.',
  ),
  inputExamples: [
    {
      title: 'A table to JSON Lines',
      summary: 'Active users, a few columns, read in order of the primary key.',
      yaml: `# fustor-docs: database
input:
  type: sqlite
  config:
    connection: { path: data/shop.db }
    query:
      table: users
      columns: [id, name, email, country]
      filter: active
output:
  type: jsonl
  config:
    path: out/active-users.jsonl
`,
    },
    {
      title: 'A query to CSV',
      summary: 'Any SELECT; its computed columns are typed from their values.',
      yaml: `# fustor-docs: database
input:
  type: sqlite
  config:
    connection: { path: data/shop.db }
    query:
      sql: SELECT country, count(*) AS users, round(avg(score), 2) AS average_score FROM users GROUP BY country
output:
  type: csv
  config:
    path: out/users-per-country.csv
`,
    },
  ],
  outputExamples: [
    {
      title: 'CSV into a SQLite table',
      summary: 'Upserted by id into a table created from the CSV columns; running it again changes nothing.',
      yaml: `# fustor-docs: database
input:
  type: csv
  config:
    path: data/users.csv
output:
  type: sqlite
  config:
    connection: { path: data/shop.db, options: { busy_timeout: "10000" } }
    write: { table: users_copy, mode: upsert }
    conflict: { key: id }
    create_table: true
`,
    },
  ],
}

export const sqliteInput = relationalInput(connector)
export const sqliteOutput = relationalOutput(connector)
export const sqliteInputs = [sqliteInput]
export const sqliteOutputs = [sqliteOutput]
