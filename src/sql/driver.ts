/**
 * The contract between the relational connectors' shared logic (this folder: config, range splits,
 * positions, incremental reads, write buffering, bad-row isolation, table creation, discovery) and
 * one database's driver (src/connectors/postgresql, mysql, sqlite). A driver knows its wire
 * protocol, its SQL dialect and its types; it knows nothing of pipelines, checkpoints or splits.
 *
 * Values crossing this contract are Fustor values in the representation of core/schema.ts (decimals
 * as exact strings, temporals as normalized strings, bigint as BigInt, bytes as Uint8Array): a
 * driver converts at the wire, never in the shared code.
 *
 * Errors a driver throws (docs/errors.md):
 *   ConfigError    the user must fix something: wrong credentials, unknown host or database, missing
 *                  table or column (naming which), permission denied, SQL syntax in a filter.
 *   TransientError may pass: connection refused or reset, deadlock, serialization failure, lock
 *                  timeout, server shutting down. The caller retries with backoff.
 *   RecordError    (writes only) the database refused a value or a row: out of range, too long,
 *                  constraint violation, invalid text for the type. The caller isolates the rows
 *                  at fault by halving the batch, and sends them to the dead-letter output.
 *   anything else  a bug, or a fatal condition (disk full): the run fails.
 * Messages never hold a password (invariant 6); the shared code also redacts config secrets.
 */
import type { Column, Row, Schema, Value } from '../core/schema.js'
import type { RejectedRecord } from '../core/batch.js'
import type { TextRows } from '../core/text-rows.js'

export type SqlDialectName = 'postgresql' | 'mysql' | 'sqlite'

/** Where and how to connect, resolved from `connection` or `url` (connection-config.ts). */
export interface ConnectionSettings {
  /** sqlite: the database file path (`:memory:` for tests); others: the host. */
  readonly host: string
  readonly port: number
  /** postgresql, mysql: the database; sqlite: the file path (same as host). */
  readonly database: string
  readonly username: string
  readonly password: string | undefined
  /** Driver-specific options, passed through: `application_name`, `charset`, `busy_timeout`... */
  readonly options: Readonly<Record<string, string>>
  readonly ssl: SslSettings | undefined
  /** Open read-only where the database can (source protection; sqlite opens the file read-only). */
  readonly readOnly: boolean
  /** Connect timeout in milliseconds. */
  readonly connectTimeoutMs: number
}

export interface SslSettings {
  /** `require`: encrypt, do not verify the server certificate; `verify`: encrypt and verify it. */
  readonly mode: 'require' | 'verify'
  /** PEM text (already read from the files named in the config). */
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
}

/** A table name, schema-qualified when the database has schemas (postgresql: `public` by default). */
export interface TableRef {
  /** postgresql: the schema; mysql: the database; sqlite: the attached database (`main`). Undefined: the connection's default. */
  readonly schema?: string
  readonly name: string
}

/** A column of a table or a query result, as the database describes it and as Fustor maps it. */
export interface ColumnInfo {
  /** The logical column (name, type, precision/scale, nullable). */
  readonly column: Column
  /** The database's own type as it prints it: `decimal(65,30)`, `bigint unsigned`, `timestamp with time zone`. */
  readonly nativeType: string
  /** An integer column (any width) whose values can define ranges for parallel reads. */
  readonly isInteger: boolean
  /** Filled by the database when omitted (serial, auto_increment, identity, DEFAULT). */
  readonly hasDefault?: boolean
}

export interface TableInfo {
  readonly table: TableRef
  readonly columns: readonly ColumnInfo[]
  /** Primary-key column names, in key order; empty when the table has none. */
  readonly primaryKey: readonly string[]
}

/** Rows a read produced since the previous one: what converted, and what did not (e.g. a MySQL zero date with `zero_dates: error`). */
export interface RowChunk {
  readonly rows: Row[]
  /** Rows whose values could not be converted; `record` holds the row with the raw text where conversion failed. */
  readonly rejected: readonly RejectedRecord[]
  /** Approximate bytes received from the server for these rows (statistics). */
  readonly bytes: number
  /**
   * The chunk's rows as COPY text (core/text-rows.ts), when the read asked for text and the driver
   * could make it; `rows` is then empty, and `last` holds the last row decoded (for its key).
   */
  readonly text?: TextRows
  readonly last?: Row
}

/** How a read converts values that have no exact Fustor value. */
export interface ReadOptions {
  /** MySQL `0000-00-00` dates and datetimes: NULL, or a RecordError (the row is rejected). */
  readonly zeroDates: 'null' | 'error'
  /**
   * Give the rows as COPY text (RowChunk.text) where the driver can make it straight from the wire
   * for every column of the result (mysql); a driver that cannot gives rows.
   */
  readonly text?: boolean
}

/** Where a write goes and how. Column names are the target's, in the order of the rows' values. */
export interface WriteTarget {
  readonly table: TableRef
  /** The columns written, in row order, with the target's logical types (values are already of those types). */
  readonly columns: readonly Column[]
  /**
   * insert   plain insert (postgresql: COPY; mysql: LOAD DATA LOCAL INFILE or multi-row INSERT).
   * upsert   insert, or update the written columns of the row with the same key.
   * replace  insert, or delete the row with the same key and insert the new one whole (columns not written get defaults).
   * merge    postgresql: MERGE from a staging table; mysql and sqlite: as upsert.
   * upsert, replace and merge are idempotent: writing the same rows twice leaves the same table. Rows
   * of one write with the same key: the last one wins.
   */
  readonly mode: 'insert' | 'upsert' | 'replace' | 'merge'
  /** Key columns for upsert/replace/merge (the conflict target); empty for insert. */
  readonly key: readonly string[]
}

/** One connection. Calls on one connection never overlap (the caller awaits each). */
export interface SqlConnection {
  /** Runs statements that return nothing the caller needs (pre_sql, post_sql, DDL, SET). */
  execute(sql: string): Promise<void>
  /** A small result (min/max, counts, catalog lookups), values converted to `schema` of the result as described. */
  query(sql: string, params?: readonly Value[]): Promise<{ schema: Schema; rows: Row[] }>
  /** The columns a SELECT returns, without reading its rows. ConfigError naming the missing table or column. */
  describeQuery(sql: string, params?: readonly Value[]): Promise<readonly ColumnInfo[]>
  /** A table's columns and key, or undefined when it does not exist. */
  describeTable(table: TableRef): Promise<TableInfo | undefined>
  /** Tables and views visible to the user (system schemas excluded), sorted. */
  listTables(schema?: string): Promise<TableRef[]>
  /**
   * Streams the rows of a SELECT (whose columns are `columns`, from describeQuery) in chunks of about
   * `chunkRows` rows, holding at most a few chunks in memory: the server's stream is paused while the
   * consumer holds chunks (invariant 2). Breaking out of the loop cancels the query and leaves the
   * connection usable, or closes it. A connection lost mid-stream throws TransientError.
   */
  stream(sql: string, params: readonly Value[], columns: readonly ColumnInfo[], chunkRows: number, options: ReadOptions): AsyncIterable<RowChunk>
  /**
   * Writes rows in one transaction: all of them or none. RecordError when the database refuses a
   * value or a row (the transaction rolled back); TransientError for deadlocks and lost connections.
   */
  write(target: WriteTarget, rows: readonly Row[]): Promise<void>
  /**
   * Writes text rows (core/text-rows.ts, values of `target.columns`' types) as `write` writes rows,
   * for a driver whose database reads that text as it is (postgresql's COPY). Only called for a
   * target `writesText` accepted.
   */
  writeText?(target: WriteTarget, text: TextRows): Promise<void>
  /** Whether `writeText` can write to this target (postgresql: not when a json value goes into an array column). */
  writesText?(target: WriteTarget): Promise<boolean>
  close(): Promise<void>
}

/** SQL text the shared code builds (range queries, DDL), in the driver's dialect. */
export interface SqlDialect {
  readonly name: SqlDialectName
  /** `"a""b"` (postgresql, sqlite) or `` `a``b` `` (mysql). Every identifier reaching SQL goes through it. */
  quoteIdentifier(name: string): string
  /** The n-th (1-based) parameter placeholder: `$1` or `?`. */
  placeholder(n: number): string
  /**
   * The column type for CREATE TABLE of a logical column (docs/types/<database>.md documents the
   * mapping). `isKey`: the column is part of the primary key (mysql cannot index LONGTEXT, say).
   */
  columnType(column: Column, isKey: boolean): string
  /** The default schema when a table has none: `public` (postgresql), the connection's database (mysql), `main` (sqlite). */
  readonly defaultSchema: (settings: ConnectionSettings) => string | undefined
  /**
   * A cheap query for about how many rows a table holds (the planner's statistics where there are
   * some), for the progress line's ETA: one row, one column; NULL or a negative number when unknown.
   */
  estimateRows?(table: TableRef): { readonly sql: string; readonly params: readonly Value[] }
}

export interface SqlDriver {
  readonly dialect: SqlDialect
  /** Default port (0 for sqlite). */
  readonly defaultPort: number
  /**
   * Opens a connection. ConfigError for wrong credentials, unknown host, unknown database (naming
   * which, with a hint); TransientError for a refused or timed-out connection.
   */
  connect(settings: ConnectionSettings): Promise<SqlConnection>
}

/** `schema.name` with each part quoted. */
export function qualifiedName(dialect: SqlDialect, table: TableRef): string {
  return table.schema === undefined ? dialect.quoteIdentifier(table.name) : `${dialect.quoteIdentifier(table.schema)}.${dialect.quoteIdentifier(table.name)}`
}

/** For messages: `schema.name` unquoted. */
export function tableLabel(table: TableRef): string {
  return table.schema === undefined ? table.name : `${table.schema}.${table.name}`
}
