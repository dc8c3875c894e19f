/**
 * Discovery of a database's tables and columns through a driver: what `fustor discover-schema` and
 * the API's schema browser show, each column with Fustor's logical type beside the database's own.
 */
import picomatch from 'picomatch'
import type { DiscoveredSchema, DiscoveredTable, DiscoverOptions } from '../core/component.js'
import { formatType } from '../core/schema.js'
import type { ConnectionSettings, SqlDriver, TableRef } from './driver.js'
import { tableLabel } from './driver.js'

export async function discoverTables(driver: SqlDriver, settings: ConnectionSettings, options: DiscoverOptions): Promise<DiscoveredSchema> {
  const connection = await driver.connect(settings)
  try {
    const patterns = (options.tables ?? []).filter((pattern) => pattern.trim() !== '')
    const matches = patterns.length === 0 ? () => true : picomatch(patterns, { nocase: true })
    const tables = (await connection.listTables()).filter((table) => matches(tableLabel(table)) || matches(table.name))
    const discovered: DiscoveredTable[] = []
    for (const table of tables) {
      const info = await connection.describeTable(table)
      if (info === undefined) continue // dropped meanwhile
      discovered.push({
        ...schemaOf(table),
        name: table.name,
        primary_key: [...info.primaryKey],
        columns: info.columns.map((c) => ({ name: c.column.name, type: formatType(c.column), native_type: c.nativeType, nullable: c.column.nullable !== false })),
      })
    }
    return { type: driver.dialect.name, location: locationOf(driver, settings), discovered_at: new Date().toISOString(), tables: discovered }
  } finally {
    await connection.close()
  }
}

function schemaOf(table: TableRef): { schema?: string } {
  return table.schema === undefined ? {} : { schema: table.schema }
}

/** `host:port/database`, or the file for sqlite: never a user name or password. */
export function locationOf(driver: SqlDriver, settings: ConnectionSettings): string {
  return driver.dialect.name === 'sqlite' ? settings.database : `${settings.host}:${settings.port}/${settings.database}`
}
