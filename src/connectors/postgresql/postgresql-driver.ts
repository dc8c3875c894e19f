/**
 * The PostgreSQL driver of the relational connectors (src/sql/driver.ts is the contract): `pg` for
 * the protocol, `pg-copy-streams` for COPY in both directions. docs/types/postgresql.md documents
 * the type mapping; postgresql-connection.ts has the connection itself.
 */
import type { SqlDriver } from '../../sql/driver.js'
import { PostgresqlConnection } from './postgresql-connection.js'
import { postgresqlDialect } from './postgresql-dialect.js'

export const postgresqlDriver: SqlDriver = {
  dialect: postgresqlDialect,
  defaultPort: 5432,
  connect: (settings) => PostgresqlConnection.open(settings),
}
