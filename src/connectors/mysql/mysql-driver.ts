/**
 * The MySQL / MariaDB driver of the relational connectors (src/sql/driver.ts), on mysql2. Works
 * with MySQL 8 and MariaDB 10.11; docs/types/mysql.md has the type mapping and the choices behind it.
 *
 *   reading   a streaming text-protocol query, paused while the consumer is behind
 *             (mysql-row-stream.ts), values converted by generated per-result code
 *             (mysql-row-converter.ts)
 *   writing   LOAD DATA LOCAL INFILE fed from memory for inserts and replaces, multi-row
 *             INSERT ... ON DUPLICATE KEY UPDATE for upserts (mysql-writer.ts)
 *   errors    mysql-errors.ts
 */
import type { Logger } from '../../core/component.js'
import type { ConnectionSettings, SqlConnection, SqlDriver } from '../../sql/driver.js'
import { openMysqlConnection } from './mysql-connection.js'
import { mysqlDialect } from './mysql-dialect.js'

/** Where the driver reports what a user should know but that does not fail the run (LOAD DATA LOCAL refused). */
const processWarningLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => process.emitWarning(message, { code: 'FUSTOR_MYSQL' }),
  error: (message) => process.emitWarning(message, { code: 'FUSTOR_MYSQL' }),
}

export { mysqlDialect }

export const mysqlDriver: SqlDriver & { connect(settings: ConnectionSettings, logger?: Logger): Promise<SqlConnection> } = {
  dialect: mysqlDialect,
  defaultPort: 3306,
  connect: (settings: ConnectionSettings, logger: Logger = processWarningLogger) => openMysqlConnection(settings, logger),
}
