/**
 * The `postgresql` input and output: the shared relational components (src/sql) over the
 * PostgreSQL driver (COPY in and out, postgresql-driver.ts).
 */
import { serverConnectionSchema } from '../../sql/connection-config.js'
import { inputDescription, outputDescription } from '../../sql/descriptions.js'
import { relationalInput, relationalOutput, type RelationalConnector } from '../../sql/relational-components.js'
import { lazyDriver } from '../../sql/lazy-driver.js'
import { postgresqlDialect } from './postgresql-dialect.js'

const connection = `    connection:
      host: 127.0.0.1
      database: shop
      username: postgres
      password: \${PGPASSWORD:-}`

const connector: RelationalConnector = {
  // The client library loads on the first connection (src/sql/lazy-driver.ts).
  driver: lazyDriver(postgresqlDialect, 5432, async () => (await import('./postgresql-driver.js')).postgresqlDriver),
  label: 'PostgreSQL',
  writesTextRows: true,
  connectionSchema: serverConnectionSchema(5432, 'shop', 'postgres'),
  inputDescription: inputDescription(
    'PostgreSQL',
    'Rows come through `COPY (SELECT ...) TO STDOUT`, the fastest way out of PostgreSQL. Types: docs/types/postgresql.md.',
  ),
  outputDescription: outputDescription(
    'PostgreSQL',
    '`insert` uses `COPY ... FROM STDIN`; upsert, replace and merge COPY into a temporary staging table, then run `INSERT ... ON CONFLICT DO UPDATE`, `DELETE` + `INSERT` or `MERGE` from it. Types: docs/types/postgresql.md.',
  ),
  inputExamples: [
    {
      title: 'A table to JSON Lines',
      summary: 'Active users, a few columns, read in order of the primary key.',
      yaml: `# fustor-docs: database
input:
  type: postgresql
  config:
${connection}
    query:
      table: public.users
      columns: [id, name, email, country]
      filter: active
output:
  type: jsonl
  config:
    path: out/active-users.jsonl
`,
    },
    {
      title: 'Parallel ranges, incrementally',
      summary: 'Four connections read four ranges of `id`; the next run reads only rows with a larger `id`.',
      yaml: `# fustor-docs: database
input:
  type: postgresql
  config:
${connection}
    query: { table: users, split_key: id }
    parallelism: 4
    incremental: { column: id }
output:
  type: csv
  config:
    path: out/new-users.csv
`,
    },
  ],
  outputExamples: [
    {
      title: 'MariaDB table into PostgreSQL',
      summary: 'The table is created from the source columns; the copy is COPY-fast and resumable.',
      yaml: `# fustor-docs: database
input:
  type: mysql
  config:
    connection: { host: 127.0.0.1, database: shop, username: root }
    query: { table: users }
pipeline:
  processors:
    - type: mapping
      config: { mappings: { name: full_name } }
output:
  type: postgresql
  config:
${connection}
    write: { table: users_copy, mode: upsert }
    conflict: { key: [id] }
    create_table: true
`,
    },
    {
      title: 'ELT: load raw rows, transform them in the database',
      summary: 'CSV rows land in a staging table; post_sql builds the clean table from it with SQL.',
      yaml: `# fustor-docs: database
input:
  type: csv
  config:
    path: data/users.csv
output:
  type: postgresql
  config:
${connection}
    write: { table: staging_users, mode: insert }
    create_table: true
    pre_sql: DROP TABLE IF EXISTS staging_users
    post_sql:
      - CREATE TABLE IF NOT EXISTS user_countries (country text PRIMARY KEY, users bigint, average_score numeric(6,2))
      - >-
        INSERT INTO user_countries
        SELECT country, count(*), round(avg(score), 2) FROM staging_users GROUP BY country
        ON CONFLICT (country) DO UPDATE SET users = EXCLUDED.users, average_score = EXCLUDED.average_score
`,
    },
  ],
}

export const postgresqlInput = relationalInput(connector)
export const postgresqlOutput = relationalOutput(connector)
export const postgresqlInputs = [postgresqlInput]
export const postgresqlOutputs = [postgresqlOutput]
