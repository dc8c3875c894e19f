/**
 * The `postgresql_cdc` input: change data capture from PostgreSQL logical replication with pgoutput
 * (postgresql-cdc-input.ts).
 */
import { postgresqlCdcInput } from './postgresql-cdc-input.js'

export { postgresqlCdcInput }
export const postgresqlCdcInputs = [postgresqlCdcInput]
