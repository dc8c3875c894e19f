/**
 * The `mysql_cdc` input's control connection (mysql2): what the server is and how its binlog is set
 * up, where the binlog is now, which binlog files remain, and table descriptions from
 * information_schema. The binlog itself streams on zongji's own connection (binlog-source.ts).
 *
 * Loaded on the first open (with mysql2 and zongji), not when the CLI wires components
 * (docs/ARCHITECTURE.md D25).
 */
import mysql, { type ConnectionOptions } from 'mysql2/promise'
import { ConfigError } from '../../../core/errors.js'
import type { ConnectionSettings } from '../../../sql/driver.js'
// The batch input's error mapping, so both report the same codes (to move to a shared module: README.md).
import { connectError, queryError } from '../mysql-errors.js'
import type { BinlogPosition } from './binlog-position.js'
import type { DescribedColumn, TableDescription } from './captured-table.js'

export interface ServerFacts {
  readonly version: string
  readonly isMariaDB: boolean
  readonly logBin: boolean
  readonly binlogFormat: string
  readonly binlogRowImage: string
  /** MySQL's gtid_mode (`ON`, `OFF`...); MariaDB always has GTIDs: `ON`. */
  readonly gtidMode: string
}

export interface BinaryLog {
  readonly name: string
  readonly size: number
}

/** The mysql2 options of both the control and the binlog connection (zongji takes the same). */
export function connectionOptions(settings: ConnectionSettings): ConnectionOptions {
  const ssl = settings.ssl
  return {
    host: settings.host,
    port: settings.port,
    user: settings.username,
    password: settings.password,
    charset: settings.options.charset ?? 'UTF8MB4_GENERAL_CI',
    connectTimeout: settings.connectTimeoutMs,
    ssl: ssl === undefined ? undefined : { ca: ssl.ca, cert: ssl.cert, key: ssl.key, rejectUnauthorized: ssl.mode === 'verify' },
    // Values in forms that lose nothing; captured-table.ts converts them (as mysql-connection.ts does
    // for the batch input). TIMESTAMPs are formatted in UTC.
    dateStrings: true,
    timezone: 'Z',
    jsonStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
  }
}

export class BinlogControl {
  private constructor(
    private readonly connection: mysql.Connection,
    readonly where: string,
  ) {}

  static async open(settings: ConnectionSettings): Promise<BinlogControl> {
    const where = `${settings.host}:${settings.port}`
    let connection: mysql.Connection
    try {
      connection = await mysql.createConnection(connectionOptions(settings))
    } catch (error) {
      throw connectError(error, settings)
    }
    // Errors with no query running (the server closing the connection) must not be unhandled.
    connection.on('error', () => undefined)
    return new BinlogControl(connection, where)
  }

  async serverFacts(): Promise<ServerFacts> {
    const [row] = await this.rows<Record<string, string | number | null>>(
      'SELECT VERSION() AS version, @@GLOBAL.log_bin AS log_bin, @@GLOBAL.binlog_format AS binlog_format, @@GLOBAL.binlog_row_image AS binlog_row_image',
      'checking the binlog settings',
    )
    const version = String(row.version)
    const isMariaDB = /mariadb/i.test(version)
    let gtidMode = 'ON'
    if (!isMariaDB) {
      const [mode] = await this.rows<{ gtid_mode: string }>('SELECT @@GLOBAL.gtid_mode AS gtid_mode', 'checking gtid_mode')
      gtidMode = String(mode.gtid_mode)
    }
    return {
      version,
      isMariaDB,
      logBin: String(row.log_bin) === '1' || String(row.log_bin).toUpperCase() === 'ON',
      binlogFormat: String(row.binlog_format).toUpperCase(),
      binlogRowImage: String(row.binlog_row_image).toUpperCase(),
      gtidMode: gtidMode.toUpperCase(),
    }
  }

  /** Where the server writes now: the end of its current binlog file, with the GTID state there. */
  async currentPosition(facts: ServerFacts): Promise<BinlogPosition> {
    let status: Record<string, unknown>[]
    try {
      status = await this.rows('SHOW MASTER STATUS', 'reading the binlog position')
    } catch (error) {
      // MySQL 8.4 renamed it.
      if ((error as { cause?: { errno?: number } }).cause?.errno !== 1064) throw error
      status = await this.rows('SHOW BINARY LOG STATUS', 'reading the binlog position')
    }
    if (status.length === 0) throw binlogDisabled(this.where)
    const file = String(status[0].File)
    const offset = Number(status[0].Position)
    const gtid = facts.isMariaDB ? await this.gtidAt(file, offset) : facts.gtidMode === 'ON' ? nonEmpty(String(status[0].Executed_Gtid_Set ?? '').replace(/\s/g, '')) : undefined
    return gtid === undefined ? { file, offset } : { file, offset, gtid }
  }

  async binaryLogs(): Promise<BinaryLog[]> {
    const rows = await this.rows<{ Log_name: string; File_size: string | number }>('SHOW BINARY LOGS', 'listing the binlog files')
    return rows.map((row) => ({ name: String(row.Log_name), size: Number(row.File_size) }))
  }

  /** MariaDB: the GTID position at a file offset (BINLOG_GTID_POS); undefined when it has none. */
  async gtidAt(file: string, offset: number): Promise<string | undefined> {
    const [row] = await this.rows<{ gtid: string | null }>('SELECT BINLOG_GTID_POS(?, ?) AS gtid', 'reading the GTID position', [file, offset])
    return row.gtid === null ? undefined : nonEmpty(String(row.gtid))
  }

  /** The table's columns and primary key, or undefined when it does not exist (any more). */
  async describe(database: string, table: string): Promise<TableDescription | undefined> {
    const where = `describing ${database}.${table}`
    const columns = await this.rows<Record<string, string | null>>(
      `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, NUMERIC_PRECISION, NUMERIC_SCALE,
              CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      where,
      [database, table],
    )
    if (columns.length === 0) return undefined
    const keys = await this.rows<{ COLUMN_NAME: string }>(
      `SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
      where,
      [database, table],
    )
    const jsonColumns = columns.some((c) => String(c.DATA_TYPE).toLowerCase() === 'longtext') ? await this.mariadbJsonColumns(database, table) : new Set<string>()
    const described: DescribedColumn[] = columns.map((c) => ({
      name: String(c.COLUMN_NAME),
      dataType: String(c.DATA_TYPE),
      columnType: String(c.COLUMN_TYPE),
      nullable: c.IS_NULLABLE === 'YES',
      numericPrecision: c.NUMERIC_PRECISION === null ? null : Number(c.NUMERIC_PRECISION),
      numericScale: c.NUMERIC_SCALE === null ? null : Number(c.NUMERIC_SCALE),
      hasDefault: c.COLUMN_DEFAULT !== null,
      isJson: jsonColumns.has(String(c.COLUMN_NAME)),
      characterSet: c.CHARACTER_SET_NAME,
      collation: c.COLLATION_NAME,
      comment: c.COLUMN_COMMENT ?? '',
    }))
    return { database, table, columns: described, primaryKey: keys.map((k) => String(k.COLUMN_NAME)) }
  }

  async close(): Promise<void> {
    try {
      await this.connection.end()
    } catch {
      // Already broken: nothing to end.
      this.connection.destroy()
    }
  }

  /** MariaDB's JSON is LONGTEXT with a `json_valid(col)` CHECK constraint (as mysql-connection.ts reads it). */
  private async mariadbJsonColumns(database: string, table: string): Promise<Set<string>> {
    const checks = await this.rows<{ CHECK_CLAUSE: string }>(
      'SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
      `describing ${database}.${table}`,
      [database, table],
    ).catch(() => [] as { CHECK_CLAUSE: string }[]) // MySQL before 8.0.16 has no CHECK_CONSTRAINTS: no such columns there
    const names = new Set<string>()
    for (const { CHECK_CLAUSE } of checks) {
      const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(CHECK_CLAUSE).trim())
      if (match) names.add(match[1].replace(/``/g, '`'))
    }
    return names
  }

  private async rows<T>(sql: string, where: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const [rows] = await this.connection.query({ sql, values: params as unknown[] })
      return rows as T[]
    } catch (error) {
      throw queryError(error, `${where} on ${this.where}`)
    }
  }
}

export function binlogDisabled(where: string): ConfigError {
  return new ConfigError('mysql_cdc.binlog_disabled', `the server at ${where} writes no binary log, so there are no changes to capture`, {
    path: 'connection',
    hint: 'start the server with log_bin (and binlog_format=ROW, binlog_row_image=FULL, a server_id)',
  })
}

function nonEmpty(text: string): string | undefined {
  return text === '' ? undefined : text
}
