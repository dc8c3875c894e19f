/**
 * One PostgreSQL connection (a `pg.Client`) as a SqlConnection (src/sql/driver.ts).
 *
 * - The session fixes how values print, and `pg` parses nothing (client-config.ts): values arrive
 *   as text, which copy-text-decoder.ts converts exactly as it converts COPY's text, so a value
 *   reads the same through `query()` and `stream()`.
 * - `stream()` reads with `COPY (query) TO STDOUT`; `write()` writes with `COPY ... FROM STDIN`,
 *   directly (insert) or through a staging table (upsert, replace, merge; write-statements.ts).
 */
import { connect as netConnect, type Socket } from 'node:net'
import pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { ConfigError, TransientError } from '../../core/errors.js'
import type { Column, Row, Schema, Value } from '../../core/schema.js'
import type { TextRows } from '../../core/text-rows.js'
import type { ColumnInfo, ConnectionSettings, ReadOptions, RowChunk, SqlConnection, TableInfo, TableRef, WriteTarget } from '../../sql/driver.js'
import { qualifiedName, tableLabel } from '../../sql/driver.js'
import { formatArrayLiteral, parseArrayLiteral } from './array-literal.js'
import { CopyOutStream } from './copy-out-stream.js'
import { clientConfig } from './client-config.js'
import { CopyRowDecoder, decodeText, type DecodeColumn } from './copy-text-decoder.js'
import { CopyChunks, copyRowWriter, type CopyRowWriter, type EncodeColumn } from '../../formats/copy-text-writer.js'
import { inlineParams } from './inline-params.js'
import { postgresqlDialect, quoteIdentifier } from './postgresql-dialect.js'
import { connectError, queryError, type ErrorPlace } from './postgresql-errors.js'
import { builtinType, catalogType, decodeColumnOf, logicalColumn, type PgTypeInfo, type PgTypeRow, type ValueKind } from './postgresql-types.js'
import { createStageSql, mergeSql, replaceSql, upsertSql, type StagedWrite } from './write-statements.js'

/** A ColumnInfo this driver described: it carries how to decode the column's text. */
export interface PostgresqlColumnInfo extends ColumnInfo {
  readonly pgKind: ValueKind
  readonly pgElementKind?: ValueKind
}

/** Bytes sent to the server at a time by a COPY FROM: small enough for the server to start while the next is encoded. */
const COPY_CHUNK_BYTES = 128 * 1024

/** A stream cancelled by the consumer waits this long for the server to stop before the connection is closed instead. */
const CANCEL_WAIT_MS = 10_000

export class PostgresqlConnection implements SqlConnection {
  private readonly client: pg.Client
  private readonly settings: ConnectionSettings
  private readonly place: ErrorPlace
  /** pg_type rows of the non-built-in types met so far. */
  private readonly typeRows = new Map<number, PgTypeRow>()
  /** Staging tables of this session, by target and written columns. */
  private readonly stages = new Map<string, string>()
  /** Array columns of each written table (json values go in as array literals). */
  private readonly arrayColumns = new Map<string, ReadonlySet<string>>()
  private lost: Error | undefined

  private constructor(client: pg.Client, settings: ConnectionSettings, place: ErrorPlace) {
    this.client = client
    this.settings = settings
    this.place = place
    // An idle connection that drops emits `error`; without a listener it would crash the process.
    client.on('error', (error) => {
      this.lost = error
    })
  }

  static async open(settings: ConnectionSettings): Promise<PostgresqlConnection> {
    const place: ErrorPlace = { server: `${settings.host}:${settings.port}`, database: settings.database, user: settings.username }
    const client = new pg.Client(clientConfig(settings))
    const connection = new PostgresqlConnection(client, settings, place)
    try {
      await client.connect()
    } catch (error) {
      throw connectError(error, place)
    }
    return connection
  }

  async execute(sql: string): Promise<void> {
    await this.run(sql)
  }

  async query(sql: string, params: readonly Value[] = []): Promise<{ schema: Schema; rows: Row[] }> {
    const results = await this.run(sql, params)
    // Several statements (no parameters) give a result each: the last one is the query's.
    const result = Array.isArray(results) ? (results[results.length - 1] as pg.QueryArrayResult) : results
    const fields = result.fields ?? []
    const types = await this.typesOf(fields.map((field) => field.dataTypeID))
    const columns: DecodeColumn[] = fields.map((field, i) => ({ name: field.name, kind: types[i].kind, elementKind: types[i].elementKind }))
    const rows: Row[] = []
    for (const raw of result.rows as (string | null)[][]) {
      const row: Value[] = new Array(columns.length)
      for (let i = 0; i < columns.length; i++) {
        const text = raw[i]
        row[i] = text === null ? null : decodeText(columns[i], text, 0, text.length)
      }
      rows.push(row)
    }
    return { schema: { columns: fields.map((field, i) => logicalColumn(field.name, types[i], field.dataTypeModifier, undefined)) }, rows }
  }

  async describeQuery(sql: string, params: readonly Value[] = []): Promise<readonly ColumnInfo[]> {
    const result = await this.run(`SELECT * FROM (${asSubquery(sql)}) AS fustor_described LIMIT 0`, params)
    return this.describeFields(result.fields)
  }

  async describeTable(table: TableRef): Promise<TableInfo | undefined> {
    const relation = await this.run(
      `SELECT c.oid::int, n.nspname, c.relname,
              ARRAY(SELECT a.attname FROM pg_catalog.pg_index i
                      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.pos)
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = pg_catalog.to_regclass($1)`,
      [qualifiedName(postgresqlDialect, table)],
    )
    if (relation.rows.length === 0) return undefined
    const [oid, schema, name, primaryKey] = relation.rows[0] as string[]
    const attributes = await this.run(
      `SELECT a.attname, a.atttypid::int, a.atttypmod, a.attnotnull,
              a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
              pg_catalog.format_type(a.atttypid, a.atttypmod)
         FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [oid],
    )
    const rows = attributes.rows as string[][]
    const types = await this.typesOf(rows.map((row) => Number(row[1])))
    const columns = rows.map((row, i): PostgresqlColumnInfo => {
      const type = types[i]
      return {
        column: logicalColumn(row[0], type, Number(row[2]), row[3] !== 't'),
        nativeType: row[5],
        isInteger: type.isInteger,
        hasDefault: row[4] === 't',
        pgKind: type.kind,
        pgElementKind: type.elementKind,
      }
    })
    return { table: { schema, name }, columns, primaryKey: parseArrayLiteral(primaryKey, (text) => text) as string[] }
  }

  async listTables(schema?: string): Promise<TableRef[]> {
    const result = await this.run(
      `SELECT n.nspname, c.relname
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
          AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
          AND ($1::text IS NULL OR n.nspname = $1::text)
          AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
        ORDER BY 1, 2`,
      [schema ?? null],
    )
    return (result.rows as string[][]).map(([nspname, relname]) => ({ schema: nspname, name: relname }))
  }

  async *stream(sql: string, params: readonly Value[], columns: readonly ColumnInfo[], chunkRows: number, options: ReadOptions): AsyncIterable<RowChunk> {
    void options // PostgreSQL has no zero dates.
    this.throwIfLost()
    const schema: Schema = { columns: columns.map((info) => info.column) }
    const decoder = new CopyRowDecoder(columns.map(decodeColumnOf), schema)
    const copy = new CopyOutStream(`COPY (${asSubquery(inlineParams(sql, params))}) TO STDOUT`, decoder, Math.max(1, chunkRows))
    this.client.query(copy as unknown as pg.QueryConfig)
    try {
      for (let chunk = await copy.next(); chunk !== null; chunk = await copy.next()) yield chunk
    } catch (error) {
      throw queryError(error, this.place)
    } finally {
      if (!copy.isFinished) await this.cancelCopy(copy)
    }
  }

  async write(target: WriteTarget, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return
    this.throwIfLost()
    const place = this.writePlace(target)
    const writer = copyRowWriter(await this.encodeColumnsOf(target, place), formatArrayLiteral)
    await this.writeCopy(target, place, (sql) => this.copyIn(sql, rows, writer, place))
  }

  /** COPY text is what text rows are (core/text-rows.ts): their bytes go to the server as they are. */
  async writeText(target: WriteTarget, text: TextRows): Promise<void> {
    if (text.count === 0) return
    this.throwIfLost()
    const place = this.writePlace(target)
    await this.writeCopy(target, place, (sql) => this.copyBytesIn(sql, text.data, place))
  }

  /** Text rows hold json as JSON text, which an array column would not read: those targets take rows. */
  async writesText(target: WriteTarget): Promise<boolean> {
    const columns = await this.encodeColumnsOf(target, this.writePlace(target))
    return columns.every((column) => column.isArray !== true)
  }

  private writePlace(target: WriteTarget): ErrorPlace {
    return { ...this.place, table: tableLabel(target.table), isWrite: true }
  }

  /** A write in one transaction: the COPY into the table (insert), or into a staging table and the statements of the mode. */
  private async writeCopy(target: WriteTarget, place: ErrorPlace, copy: (sql: string) => Promise<void>): Promise<void> {
    const table = qualifiedName(postgresqlDialect, target.table)
    const columnList = target.columns.map((column) => quoteIdentifier(column.name)).join(', ')
    if (target.mode === 'insert') {
      // One COPY is one statement: all rows or none, without BEGIN/COMMIT round trips.
      await copy(`COPY ${table} (${columnList}) FROM STDIN`)
      return
    }
    checkKey(target)
    const write: StagedWrite = { target: table, stage: await this.stageFor(target, table, place), columns: target.columns, key: target.key, quote: quoteIdentifier }
    const statements = target.mode === 'upsert' ? [upsertSql(write)] : target.mode === 'replace' ? replaceSql(write) : [mergeSql(write)]
    await this.run('BEGIN', [], place)
    try {
      await copy(`COPY ${write.stage} (${columnList}) FROM STDIN`)
      for (const statement of statements) await this.run(statement, [], place)
      await this.run('COMMIT', [], place)
    } catch (error) {
      await this.rollback()
      throw error
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.end()
    } catch (error) {
      // Ending a connection the server already closed has nothing left to release.
      if (this.lost === undefined) throw error
    }
  }

  // ------------------------------------------------------------------------------------------ internals

  /** Runs one statement (simple protocol without params, so several may be given), values as text. */
  private async run(sql: string, params: readonly Value[] = [], place: ErrorPlace = this.place): Promise<pg.QueryArrayResult> {
    this.throwIfLost()
    try {
      return await this.client.query({ text: sql, values: params.length === 0 ? undefined : params.map(bindValue), rowMode: 'array' })
    } catch (error) {
      throw queryError(error, place)
    }
  }

  private throwIfLost(): void {
    if (this.lost !== undefined) {
      throw new TransientError('postgresql.connection_lost', `lost the connection to ${this.place.server}: ${this.lost.message}`, { cause: this.lost })
    }
  }

  private async rollback(): Promise<void> {
    if (this.lost !== undefined) return
    try {
      await this.client.query('ROLLBACK')
    } catch (error) {
      // The write's own error is the one to report; a connection that cannot roll back is gone.
      this.lost ??= error as Error
    }
  }

  /** ColumnInfos of a result's fields, their types resolved (a catalog lookup for types met the first time). */
  private async describeFields(fields: readonly pg.FieldDef[]): Promise<PostgresqlColumnInfo[]> {
    if (fields.length === 0) return []
    const types = await this.typesOf(fields.map((field) => field.dataTypeID))
    const native = await this.run('SELECT pg_catalog.format_type(t, m) FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS f(t, m, i) ORDER BY i', [
      `{${fields.map((field) => field.dataTypeID).join(',')}}`,
      `{${fields.map((field) => field.dataTypeModifier).join(',')}}`,
    ])
    return fields.map((field, i) => {
      const type = types[i]
      return {
        // A query's column may be NULL even when it comes from a NOT NULL column (an outer join): say nothing.
        column: logicalColumn(field.name, type, field.dataTypeModifier, undefined),
        nativeType: (native.rows[i] as string[])[0],
        isInteger: type.isInteger,
        pgKind: type.kind,
        pgElementKind: type.elementKind,
      }
    })
  }

  /** The types of `oids`: built-in ones from the table, others from pg_type (cached per connection). */
  private async typesOf(oids: readonly number[]): Promise<PgTypeInfo[]> {
    let missing = oids.filter((oid) => builtinType(oid) === undefined && !this.typeRows.has(oid))
    while (missing.length > 0) {
      const result = await this.run(
        'SELECT oid::int, typtype, typbasetype::int, typtypmod, typelem::int, typcategory FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])',
        [`{${[...new Set(missing)].join(',')}}`],
      )
      const next: number[] = []
      for (const [oid, typtype, typbasetype, typtypmod, typelem, typcategory] of result.rows as string[][]) {
        const row: PgTypeRow = { oid: Number(oid), typtype, typbasetype: Number(typbasetype), typtypmod: Number(typtypmod), typelem: Number(typelem), typcategory }
        this.typeRows.set(row.oid, row)
        for (const referenced of [row.typbasetype, row.typelem]) {
          if (referenced !== 0 && builtinType(referenced) === undefined && !this.typeRows.has(referenced)) next.push(referenced)
        }
      }
      // An OID pg_type does not know (dropped meanwhile) maps to text rather than looping.
      for (const oid of missing) if (!this.typeRows.has(oid)) this.typeRows.set(oid, { oid, typtype: 'b', typbasetype: 0, typtypmod: -1, typelem: 0, typcategory: 'S' })
      missing = next
    }
    const resolve = (oid: number): PgTypeInfo => {
      const builtin = builtinType(oid)
      if (builtin !== undefined) return builtin
      return catalogType(this.typeRows.get(oid) as PgTypeRow, resolve)
    }
    return oids.map(resolve)
  }

  /** How each written column is encoded; json columns that are arrays in the table get array literals. */
  private async encodeColumnsOf(target: WriteTarget, place: ErrorPlace): Promise<EncodeColumn[]> {
    let arrays: ReadonlySet<string> = new Set()
    if (target.columns.some((column) => column.type === 'json')) {
      const label = tableLabel(target.table)
      let known = this.arrayColumns.get(label)
      if (known === undefined) {
        const result = await this.run(
          `SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'A'`,
          [qualifiedName(postgresqlDialect, target.table)],
          place,
        )
        known = new Set((result.rows as string[][]).map((row) => row[0]))
        this.arrayColumns.set(label, known)
      }
      arrays = known
    }
    return target.columns.map((column) => ({ type: column.type, isArray: column.type === 'json' && arrays.has(column.name) }))
  }

  /** The session's staging table for a target and its written columns, created the first time. */
  private async stageFor(target: WriteTarget, table: string, place: ErrorPlace): Promise<string> {
    const key = JSON.stringify([table, target.columns.map((column) => column.name), target.key])
    let stage = this.stages.get(key)
    if (stage === undefined) {
      stage = quoteIdentifier(`fustor_stage_${this.stages.size + 1}`)
      // Outside the write's transaction, so that a rolled-back write does not take the stage with it.
      await this.run(createStageSql({ target: table, stage, columns: target.columns, key: target.key, quote: quoteIdentifier }), [], place)
      this.stages.set(key, stage)
    }
    return stage
  }

  /**
   * Sends rows through `COPY ... FROM STDIN`, encoding a chunk while the server reads the one
   * before (the two run on different cores), and waiting when the socket says it is full.
   */
  private async copyIn(sql: string, rows: readonly Row[], writer: CopyRowWriter, place: ErrorPlace): Promise<void> {
    this.throwIfLost()
    const copy = this.client.query(copyStreams.from(sql))
    try {
      await new Promise<void>((resolve, reject) => {
        let hasFailed = false
        let next = 0
        const out = new CopyChunks(COPY_CHUNK_BYTES)
        copy.once('error', (error) => {
          hasFailed = true
          reject(error)
        })
        copy.once('finish', resolve)
        const writeMore = (): void => {
          try {
            while (!hasFailed) {
              while (next < rows.length && !out.hasFullChunks) writer(rows[next++], out)
              const isLast = next >= rows.length
              let canWrite = true
              for (const chunk of isLast ? out.takeAll() : out.takeFullChunks()) canWrite = copy.write(chunk)
              if (isLast) {
                copy.end()
                return
              }
              if (!canWrite) {
                copy.once('drain', writeMore)
                return
              }
            }
          } catch (error) {
            // The encoder failed (a bug): abort the COPY (CopyFail) so that nothing is written.
            hasFailed = true
            copy.destroy(error as Error)
            reject(error)
          }
        }
        writeMore()
      })
    } catch (error) {
      throw queryError(error, place)
    }
  }

  /** Sends bytes already in COPY text through `COPY ... FROM STDIN`, in pieces of COPY_CHUNK_BYTES. */
  private async copyBytesIn(sql: string, data: Buffer, place: ErrorPlace): Promise<void> {
    this.throwIfLost()
    const copy = this.client.query(copyStreams.from(sql))
    try {
      await new Promise<void>((resolve, reject) => {
        let hasFailed = false
        let at = 0
        copy.once('error', (error) => {
          hasFailed = true
          reject(error)
        })
        copy.once('finish', resolve)
        const writeMore = (): void => {
          while (!hasFailed && at < data.length) {
            const piece = data.subarray(at, at + COPY_CHUNK_BYTES)
            at += piece.length
            if (!copy.write(piece)) {
              copy.once('drain', writeMore)
              return
            }
          }
          if (!hasFailed) copy.end()
        }
        writeMore()
      })
    } catch (error) {
      throw queryError(error, place)
    }
  }

  /**
   * Stops a COPY the consumer no longer reads: a cancel request on a second socket (PostgreSQL's
   * protocol), then the rest of the data is read and dropped until the server ends the COPY, so the
   * connection is usable again. If the server does not end it in time, the connection is closed.
   */
  private async cancelCopy(copy: CopyOutStream): Promise<void> {
    copy.discard()
    const client = this.client as unknown as { processID: number; secretKey: number }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CANCEL_WAIT_MS).unref())
    const outcome = await Promise.race([Promise.all([sendCancelRequest(this.settings, client.processID, client.secretKey), copy.finished]), timeout])
    if (outcome === 'timeout' && !copy.isFinished) {
      this.lost = new Error('closed after a cancelled COPY did not end')
      ;(this.client as unknown as { connection: { stream: Socket } }).connection.stream.destroy()
    }
  }
}

/** PostgreSQL's CancelRequest on a new socket; resolves when the server has acted on it and closed the socket. */
function sendCancelRequest(settings: ConnectionSettings, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = settings.host.startsWith('/') ? netConnect(`${settings.host}/.s.PGSQL.${settings.port}`) : netConnect(settings.port, settings.host)
    const packet = Buffer.alloc(16)
    packet.writeInt32BE(16, 0)
    packet.writeInt32BE(80877102, 4)
    packet.writeInt32BE(processId, 8)
    packet.writeInt32BE(secretKey, 12)
    socket.setTimeout(CANCEL_WAIT_MS, () => socket.destroy())
    socket.once('connect', () => socket.write(packet))
    // An error (the server went away) leaves it to the caller's timeout to close the connection.
    socket.once('error', () => socket.destroy())
    socket.once('close', () => resolve())
  })
}

/** A query to wrap in parentheses: without its trailing semicolons, and ending in a newline so that a final `-- comment` cannot swallow the closing parenthesis. */
function asSubquery(sql: string): string {
  return `${sql.replace(/[\s;]+$/, '')}\n`
}

/** A Fustor value as `pg` sends a bind parameter (text, or a Buffer for bytes). */
function bindValue(value: Value): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return JSON.stringify(value)
}

/** Keyed modes need key columns, all of them written. */
function checkKey(target: WriteTarget): void {
  const label = tableLabel(target.table)
  if (target.key.length === 0) {
    throw new ConfigError('postgresql.key_required', `mode ${target.mode} needs key columns to write ${label}`, { hint: 'name the key columns, or use mode insert' })
  }
  const written = new Set(target.columns.map((column: Column) => column.name))
  const missing = target.key.filter((name) => !written.has(name))
  if (missing.length > 0) {
    throw new ConfigError('postgresql.key_not_written', `key column${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')} of ${label} ${missing.length > 1 ? 'are' : 'is'} not among the written columns`)
  }
}
