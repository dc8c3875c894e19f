/**
 * The MySQL / MariaDB dialect: identifier quoting, placeholders and CREATE TABLE types. Apart from
 * the driver so that the component definitions need not load mysql2 (src/sql/lazy-driver.ts).
 */
import type { Column } from '../../core/schema.js'
import type { SqlDialect } from '../../sql/driver.js'
import { mysqlColumnType } from './mysql-types.js'

/** `` `name` `` with backticks doubled: every identifier reaching SQL goes through it. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``
}

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  quoteIdentifier,
  placeholder: () => '?',
  columnType: (column: Column, isKey: boolean) => mysqlColumnType(column, isKey),
  defaultSchema: (settings) => (settings.database === '' ? undefined : settings.database),
  // InnoDB's estimate from its statistics (within tens of percent).
  estimateRows: (table) => ({
    sql: 'SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?',
    params: [table.schema ?? null, table.name],
  }),
}
