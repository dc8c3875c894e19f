/**
 * One mysql2 connection as a SqlConnection (src/sql/driver.ts), for MySQL 8 and MariaDB 10.11.
 *
 * mysql2 is asked for values in forms that lose nothing: DATE/DATETIME/TIMESTAMP as text
 * (`dateStrings`, never a JS Date), BIGINT and DECIMAL as text (`supportBigNumbers`,
 * `bigNumberStrings`), JSON as text, FLOAT/DOUBLE as text through a type cast (mysql2's own float
 * parsing is off by one unit in the last place for about 1% of doubles, measured), rows as arrays.
 * mysql-row-converter.ts turns those into Fustor values.
 *
 * The session is set up so that values mean the same everywhere:
 *   time_zone '+00:00'   TIMESTAMP columns read and written in UTC (timestamptz values are UTC)
 *   sql_mode             the server's, plus STRICT_ALL_TABLES (a bad value is an error, not a
 *                        silently adjusted value), minus NO_BACKSLASH_ESCAPES (our literals and the
 *                        LOAD DATA format escape with backslashes)
 *   net_write_timeout    raised to 600 s: a stream paused by a slow consumer keeps the server
 *                        waiting in its write, and the default 60 s would cut the connection
 *   READ ONLY            for sources opened read-only
 * `options` of the connection config: `charset` (the connection collation, default
 * utf8mb4_general_ci), `local_infile: false` (the client does not offer LOAD DATA LOCAL: the server
 * refuses the first one and writes go as INSERT statements), and any other key is a session
 * variable set on connect (`max_execution_time: "0"`).
 */
import type { Connection, ConnectionOptions, FieldPacket, ResultSetHeader } from 'mysql2'
import mysql from 'mysql2'
import { quoteIdentifier } from './mysql-dialect.js'
import type { Logger } from '../../core/component.js'
import { ConfigError, TransientError } from '../../core/errors.js'
import type { Row, Schema, Value } from '../../core/schema.js'
import type { ColumnInfo, ConnectionSettings, ReadOptions, RowChunk, SqlConnection, TableInfo, TableRef, WriteTarget } from '../../sql/driver.js'
import { tableLabel } from '../../sql/driver.js'
import { connectError, queryError } from './mysql-errors.js'
import { parameterLiteral, sqlString } from './mysql-insert-values.js'
import { fileStream, MysqlWriter, type WriteSession } from './mysql-writer.js'
import { resultConverter, streamRows, type QueryTypeCast, type StreamSession } from './mysql-row-stream.js'
import { catalogColumn, fieldColumn, isGeometryType, type WireField } from './mysql-types.js'

const DEFAULT_CHARSET = 'UTF8MB4_GENERAL_CI'
const NET_WRITE_TIMEOUT_SECONDS = 600
const SYSTEM_SCHEMAS = ['mysql', 'sys', 'information_schema', 'performance_schema']
/** Options of the connection config that are not session variables. */
const CLIENT_OPTIONS = new Set(['charset', 'local_infile'])
const SESSION_VARIABLE = /^[a-z_][a-z0-9_]*$/i

/** What the server told us at connect. */
interface ServerFacts {
  readonly isMariaDB: boolean
  readonly maxAllowedPacket: number
}

/** mysql2 hands FLOAT/DOUBLE over as text, GEOMETRY as bytes; everything else as its options say. */
const exactTypeCast: QueryTypeCast = (field, next) => {
  const type = field.type
  if (type === 'DOUBLE' || type === 'FLOAT') return field.string('ascii')
  if (type === 'GEOMETRY') return field.buffer()
  return next()
}

export async function openMysqlConnection(settings: ConnectionSettings, logger: Logger): Promise<MysqlConnection> {
  const target = { host: settings.host, port: settings.port, database: settings.database, username: settings.username }
  const raw = mysql.createConnection(connectionOptions(settings))
  // Errors with no command running (the server closing an idle connection) arrive as events.
  let lost: Error | undefined
  raw.on('error', (error: Error) => {
    lost = error
  })
  try {
    await new Promise<void>((resolve, reject) => raw.connect((error) => (error ? reject(error) : resolve())))
  } catch (error) {
    raw.destroy()
    throw connectError(lost ?? error, target)
  }
  const connection = new MysqlConnection(raw, settings, logger)
  try {
    await connection.setUpSession()
  } catch (error) {
    raw.destroy()
    throw error
  }
  return connection
}

function connectionOptions(settings: ConnectionSettings): ConnectionOptions {
  const ssl = settings.ssl
  return {
    host: settings.host,
    port: settings.port,
    user: settings.username,
    password: settings.password,
    database: settings.database === '' ? undefined : settings.database,
    charset: settings.options.charset ?? DEFAULT_CHARSET,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    connectTimeout: settings.connectTimeoutMs,
    flags: isLocalInfileAllowed(settings) ? [] : ['-LOCAL_FILES'],
    ssl: ssl === undefined ? undefined : { ca: ssl.ca, cert: ssl.cert, key: ssl.key, rejectUnauthorized: ssl.mode === 'verify' },
  }
}

function isLocalInfileAllowed(settings: ConnectionSettings): boolean {
  const option = settings.options.local_infile
  return option === undefined || !['false', 'off', '0', 'no'].includes(option.toLowerCase())
}

export class MysqlConnection implements SqlConnection {
  private isClosed = false
  /** Why the connection cannot be used any more (lost, or destroyed to stop a query). */
  private failure: Error | undefined
  private facts: ServerFacts = { isMariaDB: true, maxAllowedPacket: 16 * 1024 * 1024 }
  private readonly writer: MysqlWriter
  /** Column types of written tables (COLUMN_TYPE by name), for BIT and geometry columns. */
  private readonly nativeTypesByTable = new Map<string, ReadonlyMap<string, string>>()
  private readonly where: string

  constructor(
    private readonly raw: Connection,
    private readonly settings: ConnectionSettings,
    private readonly logger: Logger,
  ) {
    this.where = `${settings.host}:${settings.port}`
    raw.on('error', (error: Error) => {
      this.failure ??= new TransientError('mysql.connection_lost', `the connection to ${this.where} was lost: ${error.message}`, { cause: error })
    })
    this.writer = new MysqlWriter(this.writeSession())
  }

  /**
   * Session variables (the file comment says why each). The config's own session variables go
   * first, so that time_zone and the sql_mode adjustments hold whatever they set. ConfigError
   * naming an option the server refuses.
   */
  async setUpSession(): Promise<void> {
    for (const [name, value] of Object.entries(this.settings.options)) {
      if (CLIENT_OPTIONS.has(name)) continue
      if (!SESSION_VARIABLE.test(name)) throw new ConfigError('mysql.option_invalid', `option "${name}" is not a session variable name`, { path: `connection.options.${name}` })
      const literal = /^-?\d+(\.\d+)?$/.test(value) ? value : sqlString(value)
      await this.run(`SET SESSION ${name} = ${literal}`, `setting option ${name}`).catch((error: unknown) => {
        throw new ConfigError('mysql.option_invalid', `option ${name} = ${JSON.stringify(value)} is refused by the server: ${(error as Error).message}`, {
          path: `connection.options.${name}`,
          cause: error,
        })
      })
    }
    const [[sqlMode, version, maxAllowedPacket]] = (await this.rows('SELECT @@SESSION.sql_mode, VERSION(), @@max_allowed_packet', 'connecting')) as [[string, string, string]]
    this.facts = { isMariaDB: /mariadb/i.test(version), maxAllowedPacket: Number(maxAllowedPacket) }
    const modes = sqlMode.split(',').filter((mode) => mode !== '' && mode !== 'NO_BACKSLASH_ESCAPES')
    if (!modes.includes('STRICT_ALL_TABLES')) modes.push('STRICT_ALL_TABLES')
    await this.run(
      `SET time_zone = '+00:00', sql_mode = ${sqlString(modes.join(','))}, net_write_timeout = GREATEST(@@SESSION.net_write_timeout, ${NET_WRITE_TIMEOUT_SECONDS})`,
      'connecting',
    )
    if (this.settings.readOnly) await this.run('SET SESSION TRANSACTION READ ONLY', 'connecting')
  }

  async execute(sql: string): Promise<void> {
    await this.run(sql, 'statement')
  }

  async query(sql: string, params: readonly Value[] = []): Promise<{ schema: Schema; rows: Row[] }> {
    this.assertUsable()
    const text = this.bind(sql, params)
    const { rows, fields } = await new Promise<{ rows: Row[]; fields: FieldPacket[] }>((resolve, reject) => {
      this.raw.query({ sql: text, rowsAsArray: true, typeCast: exactTypeCast as never }, (error, result, fields) => {
        if (error) reject(queryError(error, 'query'))
        else resolve({ rows: Array.isArray(result) ? (result as Row[]) : [], fields: fields ?? [] })
      })
    })
    const { converter, columns } = resultConverter(fields as unknown as WireField[], undefined, { zeroDates: 'null' })
    for (const row of rows) converter.convert(row)
    return { schema: { columns: columns.map((c) => c.wanted) }, rows }
  }

  async describeQuery(sql: string): Promise<readonly ColumnInfo[]> {
    this.assertUsable()
    // A prepared statement's column definitions: the types of the result without running the query.
    const fields = await new Promise<WireField[]>((resolve, reject) => {
      this.raw.prepare(sql, (error, statement) => {
        if (error) return reject(queryError(error, 'describing the query'))
        const columns = ((statement as unknown as { columns?: WireField[] }).columns ?? []) as WireField[]
        this.raw.unprepare(sql)
        resolve(columns)
      })
    })
    return fields.map((field) => fieldColumn(field).info)
  }

  async describeTable(table: TableRef): Promise<TableInfo | undefined> {
    const schemaParam = table.schema ?? null
    const columnRows = await this.rows(
      `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, NUMERIC_PRECISION, NUMERIC_SCALE
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      `describing ${tableLabel(table)}`,
      [schemaParam, table.name],
    )
    if (columnRows.length === 0) return undefined
    const jsonColumns = this.facts.isMariaDB && columnRows.some((r) => String(r[1]).toLowerCase() === 'longtext') ? await this.mariadbJsonColumns(table) : new Set<string>()
    const columns = columnRows.map((r) => {
      const [name, dataType, columnType, isNullable, columnDefault, extra, precision, scale] = r as (string | null)[]
      return catalogColumn({
        name: name!,
        dataType: dataType!,
        columnType: columnType!,
        nullable: isNullable === 'YES',
        numericPrecision: precision === null ? null : Number(precision),
        numericScale: scale === null ? null : Number(scale),
        hasDefault: hasDefault(columnDefault, extra ?? '', this.facts.isMariaDB),
        isJson: jsonColumns.has(name!),
      })
    })
    const keyRows = await this.rows(
      `SELECT COLUMN_NAME FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
      `describing ${tableLabel(table)}`,
      [schemaParam, table.name],
    )
    this.nativeTypesByTable.set(tableKey(table), new Map(columnRows.map((r) => [String(r[0]), String(r[2])])))
    return { table, columns, primaryKey: keyRows.map((r) => String(r[0])) }
  }

  /** MariaDB's JSON is LONGTEXT with a `json_valid(col)` CHECK constraint: the columns that have one. */
  private async mariadbJsonColumns(table: TableRef): Promise<Set<string>> {
    const checks = await this.rows(
      `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`,
      `describing ${tableLabel(table)}`,
      [table.schema ?? null, table.name],
    )
    const names = new Set<string>()
    for (const [clause] of checks) {
      const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(clause).trim())
      if (match) names.add(match[1].replace(/``/g, '`'))
    }
    return names
  }

  async listTables(schema?: string): Promise<TableRef[]> {
    const rows = await this.rows(
      `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
       WHERE TABLE_SCHEMA NOT IN (${SYSTEM_SCHEMAS.map((s) => `'${s}'`).join(', ')}) AND (? IS NULL OR TABLE_SCHEMA = ?)
       ORDER BY TABLE_SCHEMA, TABLE_NAME`,
      'listing tables',
      [schema ?? null, schema ?? null],
    )
    return rows.map(([tableSchema, name]) => ({ schema: String(tableSchema), name: String(name) }))
  }

  stream(sql: string, params: readonly Value[], columns: readonly ColumnInfo[], chunkRows: number, options: ReadOptions): AsyncIterable<RowChunk> {
    return streamRows(this.streamSession(), this.bind(sql, params), columns, chunkRows, options)
  }

  async write(target: WriteTarget, rows: readonly Row[]): Promise<void> {
    this.assertUsable()
    await this.writer.write(target, rows)
  }

  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    const socket = (this.raw as unknown as { stream?: { destroyed?: boolean } }).stream
    if (this.failure !== undefined || socket?.destroyed === true) {
      this.raw.destroy()
      return
    }
    await new Promise<void>((resolve) => {
      this.raw.end((error) => {
        if (error) this.raw.destroy()
        resolve()
      })
    })
  }

  // ------------------------------------------------------------------------------ internals

  private assertUsable(): void {
    if (this.isClosed) throw new Error('the MySQL connection is closed')
    if (this.failure !== undefined) throw this.failure
  }

  /** The SQL with `?` placeholders replaced by literals (mysql2 skips the ones in strings and comments). */
  private bind(sql: string, params: readonly Value[]): string {
    if (params.length === 0) return sql
    return this.raw.format(
      sql,
      params.map((value) => ({ toSqlString: () => parameterLiteral(value) })),
    )
  }

  /** Runs a statement; errors mapped, `where` leading their message. */
  private async run(sql: string, where: string): Promise<ResultSetHeader> {
    this.assertUsable()
    try {
      return await this.runRaw(sql)
    } catch (error) {
      throw queryError(error, where)
    }
  }

  private runRaw(sql: string, file?: Iterable<Buffer>): Promise<ResultSetHeader> {
    return new Promise((resolve, reject) => {
      const options = file === undefined ? { sql } : { sql, infileStreamFactory: () => fileStream(file) }
      this.raw.query(options, (error, result) => (error ? reject(error) : resolve(result as ResultSetHeader)))
    })
  }

  /** Rows of a catalog query as raw arrays (no conversion: the values are names and numbers). */
  private async rows(sql: string, where: string, params: readonly Value[] = []): Promise<unknown[][]> {
    this.assertUsable()
    const text = this.bind(sql, params)
    return new Promise((resolve, reject) => {
      this.raw.query({ sql: text, rowsAsArray: true }, (error, result) => (error ? reject(queryError(error, where)) : resolve(result as unknown as unknown[][])))
    })
  }

  private streamSession(): StreamSession {
    return {
      raw: this.raw,
      typeCastFor: (columns) => (columns === undefined || columns.some(needsExactTypeCast) ? exactTypeCast : undefined),
      killQuery: () => this.killQuery(),
      destroy: (reason) => {
        this.failure ??= reason
        this.raw.destroy()
      },
      assertUsable: () => this.assertUsable(),
    }
  }

  /** KILL QUERY from a second, short-lived connection with the same credentials (a user may kill its own sessions). */
  private async killQuery(): Promise<void> {
    const threadId = this.raw.threadId
    const killer = mysql.createConnection({ ...connectionOptions(this.settings), database: undefined, flags: ['-LOCAL_FILES'] })
    killer.on('error', () => undefined /* reported through the query's callback */)
    try {
      await new Promise<void>((resolve, reject) => killer.query(`KILL QUERY ${threadId}`, (error) => (error ? reject(error) : resolve())))
    } finally {
      killer.destroy()
    }
  }

  private writeSession(): WriteSession {
    return {
      run: (sql, file) => {
        this.assertUsable()
        return this.runRaw(sql, file)
      },
      warnings: async () => {
        const rows = await this.rows('SHOW WARNINGS', 'reading warnings')
        return rows.map(([Level, Code, Message]) => ({ Level: String(Level), Code: Number(Code), Message: String(Message) }))
      },
      nativeTypes: async (target) => {
        const key = tableKey(target.table)
        if (!this.nativeTypesByTable.has(key)) await this.describeTable(target.table)
        // A missing table has none: the write then fails naming it.
        return this.nativeTypesByTable.get(key) ?? new Map<string, string>()
      },
      quoteIdentifier,
      qualifiedName: (target) => qualified(target.table),
      maxAllowedPacket: () => this.facts.maxAllowedPacket,
      logger: this.logger,
    }
  }
}

/** `` `a``b` ``: backticks doubled (the dialect's quoteIdentifier). */

function qualified(table: TableRef): string {
  return table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`
}

function tableKey(table: TableRef): string {
  return `${table.schema ?? ''}\n${table.name}`
}

/**
 * Whether a result column may need the exact type cast (FLOAT/DOUBLE as text, GEOMETRY as bytes).
 * Every column of a result then goes through mysql2's type cast callback, which costs about 7% of a
 * read (measured on the users table), so results without such columns go without.
 */
function needsExactTypeCast(info: ColumnInfo): boolean {
  const native = info.nativeType.toLowerCase()
  return info.column.type === 'float' || info.column.type === 'bytes' || native.startsWith('float') || native.startsWith('double') || native.startsWith('real') || isGeometryType(native)
}

/**
 * A default the server fills: an explicit DEFAULT, auto_increment, a generated column. MariaDB
 * reports a nullable column without a default as the expression `NULL`, MySQL as SQL NULL.
 */
function hasDefault(columnDefault: string | null, extra: string, isMariaDB: boolean): boolean {
  if (/auto_increment|generated|virtual|persistent|stored/i.test(extra)) return true
  if (columnDefault === null) return false
  return !(isMariaDB && columnDefault === 'NULL')
}
