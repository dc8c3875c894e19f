/**
 * The `mysql` input and output (MySQL 8 and MariaDB 10.11): the shared relational components
 * (src/sql) over the MySQL driver (a streaming query out, LOAD DATA LOCAL INFILE in, mysql-driver.ts).
 */
import Type from 'typebox'
import { serverConnectionSchema } from '../../sql/connection-config.js'
import { inputDescription, outputDescription } from '../../sql/descriptions.js'
import type { ReadOptions } from '../../sql/driver.js'
import { relationalInput, relationalOutput, type RelationalConnector } from '../../sql/relational-components.js'
import { lazyDriver } from '../../sql/lazy-driver.js'
import { mysqlDialect } from './mysql-dialect.js'

const connection = `    connection:
      host: 127.0.0.1
      database: shop
      username: root
      password: \${MYSQL_PASSWORD:-}`

const connector: RelationalConnector = {
  // The client library loads on the first connection (src/sql/lazy-driver.ts).
  driver: lazyDriver(mysqlDialect, 3306, async () => (await import('./mysql-driver.js')).mysqlDriver),
  label: 'MySQL',
  connectionSchema: serverConnectionSchema(3306, 'shop', 'root'),
  inputFields: {
    zero_dates: Type.Enum(['null', 'error'], {
      description:
        "What a zero or invalid date (`0000-00-00`, `2024-00-10`, `0000-00-00 00:00:00`), which MySQL stores and no other system has, becomes: NULL, or an error that sends the row to the dead-letter output.",
      default: 'null',
    }),
  },
  readOptions: (config): ReadOptions => ({ zeroDates: config.zero_dates === 'error' ? 'error' : 'null' }),
  inputDescription: inputDescription(
    'MySQL or MariaDB',
    'Rows stream from one query per range, the connection paused while the pipeline is behind. TIMESTAMP columns are read in UTC, ' +
      'DECIMAL and BIGINT exactly, BIGINT UNSIGNED as decimal(20,0). `connection.options` sets session variables ' +
      '(`max_execution_time: "0"`), `charset` the connection collation. Types: docs/types/mysql.md.',
  ),
  outputDescription: outputDescription(
    'MySQL or MariaDB',
    '`insert` and `replace` use `LOAD DATA LOCAL INFILE` (the server needs `local_infile=ON`, otherwise multi-row INSERTs are ' +
      'used, slower); `upsert` and `merge` (MySQL has no MERGE: the same as upsert) load a temporary staging table, then run ' +
      '`INSERT ... SELECT ... ON DUPLICATE KEY UPDATE`, which acts on any unique key of the table. Strict SQL mode is on, so ' +
      'a value MySQL would silently adjust is an error. Types: docs/types/mysql.md.',
  ),
  inputExamples: [
    {
      title: 'A table to JSON Lines',
      summary: 'Active users, a few columns, read in order of the primary key.',
      yaml: `# fustor-docs: database
input:
  type: mysql
  config:
${connection}
    query:
      table: users
      columns: [id, name, email, country]
      filter: active = 1
output:
  type: jsonl
  config:
    path: out/active-users.jsonl
`,
    },
    {
      title: 'Parallel ranges, zero dates refused',
      summary: 'Four connections read four ranges of `id`; a row with a `0000-00-00` date would go to the dead-letter output.',
      yaml: `# fustor-docs: database
input:
  type: mysql
  config:
${connection}
    query: { table: users, split_key: id }
    parallelism: 4
    zero_dates: error
output:
  type: csv
  config:
    path: out/users.csv
`,
    },
  ],
  outputExamples: [
    {
      title: 'CSV into a MySQL table',
      summary: 'Upserted by id into a table created from the CSV columns; running it again changes nothing.',
      yaml: `# fustor-docs: database
input:
  type: csv
  config:
    path: data/users.csv
output:
  type: mysql
  config:
${connection}
    write: { table: users_copy, mode: upsert }
    conflict: { key: id }
    create_table: true
`,
    },
  ],
}

export const mysqlInput = relationalInput(connector)
export const mysqlOutput = relationalOutput(connector)
export const mysqlInputs = [mysqlInput]
export const mysqlOutputs = [mysqlOutput]
