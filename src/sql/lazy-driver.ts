/**
 * A driver whose client library loads on the first connection. Every process that wires the
 * component list (the CLI, and each worker thread of a parallel run) would otherwise load pg,
 * mysql2 and better-sqlite3 at start, whether the pipeline touches a database or not: measured,
 * that put a 10M-row generate -> drop run 80 MiB over its 200 MiB bound (docs/ARCHITECTURE.md D25).
 */
import type { ConnectionSettings, SqlConnection, SqlDialect, SqlDriver } from './driver.js'

export function lazyDriver(dialect: SqlDialect, defaultPort: number, load: () => Promise<SqlDriver>): SqlDriver {
  let loading: Promise<SqlDriver> | undefined
  return {
    dialect,
    defaultPort,
    connect: async (settings: ConnectionSettings): Promise<SqlConnection> => {
      loading ??= load()
      return (await loading).connect(settings)
    },
  }
}
