/**
 * write(): rows into a table in one transaction, by mode (src/sql/driver.ts WriteTarget).
 *
 *   insert   LOAD DATA LOCAL INFILE fed from memory (mysql-load-data.ts): the server's bulk path.
 *   replace  LOAD DATA LOCAL INFILE ... REPLACE: the last row of a key in the file wins.
 *   upsert   LOAD DATA into a temporary staging table, then INSERT INTO t SELECT ... FROM stage
 *   merge    ORDER BY its sequence ON DUPLICATE KEY UPDATE c = VALUES(c) for the columns outside the
 *            key: rows apply in order, so the last row of a key wins. MySQL has no MERGE: merge is
 *            upsert. Measured on 200k users rows in 10k-row writes, this took 1.5-1.7 s where
 *            multi-row INSERT ... ON DUPLICATE KEY UPDATE statements took 2.6 s (into an empty
 *            table; 2.2-2.5 s against 3.0-3.2 s updating every row), with a third of the client CPU.
 *
 * LOAD DATA LOCAL behaves as if IGNORE were given (the server cannot stop the client's file
 * half-way): a bad value or a duplicate key is a warning, and the row is adjusted or skipped. So
 * after each statement the warnings are read, and any warning (notes aside) is the RecordError the
 * same value would raise in an INSERT: the transaction is rolled back and the caller isolates the
 * row. When the server refuses LOAD DATA LOCAL (local_infile=OFF) or the config turns it off,
 * writes go as multi-row INSERT / REPLACE / INSERT ... ON DUPLICATE KEY UPDATE statements, whose
 * bad values are errors in strict mode; the refusal is logged once.
 */
import { Readable } from 'node:stream'
import type { ResultSetHeader } from 'mysql2'
import type { Logger } from '../../core/component.js'
import type { Row } from '../../core/schema.js'
import { tableLabel, type WriteTarget } from '../../sql/driver.js'
import { LOCAL_INFILE_REFUSED, isMysqlError, queryError, warningError } from './mysql-errors.js'
import { tupleWriter, type TupleWriter } from './mysql-insert-values.js'
import { LoadDataEncoder, loadDataStatement, type WrittenColumn } from './mysql-load-data.js'
import { mysqlColumnType } from './mysql-types.js'

/** The largest INSERT statement sent, in bytes, below max_allowed_packet. */
const MAX_STATEMENT_BYTES = 8 * 1024 * 1024
/** Rows per INSERT statement: beyond a thousand, longer statements gain nothing measurable. */
const MAX_STATEMENT_ROWS = 1000
/** Warnings that are not about the data: deprecated syntax (VALUES() in ON DUPLICATE KEY UPDATE on MySQL 8.0.20+). */
const IGNORED_WARNINGS = new Set([1287])
/** The staging table's row order column: a name no written column has. */
const SEQUENCE_COLUMN = 'fustor_stage_seq'

export interface WriteSession {
  /** Runs a statement; rejects with mysql2's error. `file` feeds LOAD DATA LOCAL INFILE. */
  run(sql: string, file?: Iterable<Buffer>): Promise<ResultSetHeader>
  /** SHOW WARNINGS of the last statement. */
  warnings(): Promise<{ Level: string; Code: number; Message: string }[]>
  /** The target's column types by name (COLUMN_TYPE), cached per table. */
  nativeTypes(target: WriteTarget): Promise<ReadonlyMap<string, string>>
  quoteIdentifier(name: string): string
  qualifiedName(target: WriteTarget): string
  /** The server's max_allowed_packet: no statement may be longer. */
  maxAllowedPacket(): number
  readonly logger: Logger
}

/** A target's encodings and staging table, made once per table and column list. */
interface TargetPlan {
  readonly written: readonly WrittenColumn[]
  readonly load: LoadDataEncoder
  readonly tuple: TupleWriter
  /** The temporary staging table of upserts, once created on this connection. */
  stage?: string
}

export class MysqlWriter {
  /** False once the server refused LOAD DATA LOCAL (off on the server, or not offered by the client). */
  private canLoadLocal = true
  private readonly plans = new Map<string, TargetPlan>()

  constructor(private readonly session: WriteSession) {}

  async write(target: WriteTarget, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return
    const where = `writing ${tableLabel(target.table)}`
    try {
      const plan = await this.planFor(target)
      const isUpsert = target.mode === 'upsert' || target.mode === 'merge'
      // Emptied before the transaction: TRUNCATE may commit an open transaction (it does for ordinary tables).
      if (isUpsert && this.canLoadLocal) await this.emptyStage(target, plan)
      await this.session.run('START TRANSACTION')
      try {
        if (isUpsert) await this.upsert(target, rows, plan, where)
        else await this.load(target, rows, plan, where)
        await this.session.run('COMMIT')
      } catch (error) {
        await this.session.run('ROLLBACK').catch(() => undefined /* the connection is gone: the server rolls back */)
        throw error
      }
    } catch (error) {
      throw isMysqlError(error) ? queryError(error, where) : error
    }
  }

  private async planFor(target: WriteTarget): Promise<TargetPlan> {
    const natives = await this.session.nativeTypes(target)
    const written: WrittenColumn[] = target.columns.map((column) => ({ column, nativeType: natives.get(column.name) }))
    const key = `${tableLabel(target.table)}\n${written.map((w) => `${w.column.name}:${w.column.type}:${w.nativeType ?? ''}`).join('\n')}`
    let plan = this.plans.get(key)
    if (plan === undefined) {
      plan = { written, load: new LoadDataEncoder(written, (name) => this.session.quoteIdentifier(name)), tuple: tupleWriter(written) }
      this.plans.set(key, plan)
    }
    return plan
  }

  /** Inserts or replaces with LOAD DATA, or with INSERT / REPLACE statements when the server refuses it. */
  private async load(target: WriteTarget, rows: readonly Row[], plan: TargetPlan, where: string): Promise<void> {
    if (this.canLoadLocal) {
      const duplicates = target.mode === 'replace' ? 'replace' : 'error'
      const loaded = await this.loadLocal(this.session.qualifiedName(target), rows, plan, duplicates, where)
      if (loaded) return
    }
    await this.insertValues(target, rows, plan, where)
  }

  /** LOAD DATA LOCAL INFILE of rows; false (and LOAD DATA off from now on) when the server refuses it. */
  private async loadLocal(table: string, rows: readonly Row[], plan: TargetPlan, duplicates: 'error' | 'replace', where: string): Promise<boolean> {
    try {
      const header = await this.session.run(loadDataStatement(table, plan.load, duplicates), plan.load.chunks(rows))
      await this.checkWarnings(header, where)
      return true
    } catch (error) {
      if (!(isMysqlError(error) && LOCAL_INFILE_REFUSED.has(error.errno ?? 0))) throw error
      this.canLoadLocal = false
      this.session.logger.warn('LOAD DATA LOCAL INFILE is refused (local_infile is off on the server, or in connection.options): writing with INSERT statements, which is slower')
      return false
    }
  }

  /** Rows into the staging table, then into the target in their order (the last of a key wins). */
  private async upsert(target: WriteTarget, rows: readonly Row[], plan: TargetPlan, where: string): Promise<void> {
    if (!this.canLoadLocal || plan.stage === undefined || !(await this.loadLocal(plan.stage, rows, plan, 'error', where))) {
      await this.insertValues(target, rows, plan, where)
      return
    }
    const q = (name: string): string => this.session.quoteIdentifier(name)
    const columns = target.columns.map((c) => q(c.name)).join(', ')
    const header = await this.session.run(
      `INSERT INTO ${this.session.qualifiedName(target)} (${columns}) SELECT ${columns} FROM ${plan.stage} ORDER BY ${q(SEQUENCE_COLUMN)} ` +
        `ON DUPLICATE KEY UPDATE ${updateAssignments(target, q)}`,
    )
    await this.checkWarnings(header, where)
  }

  /**
   * The staging table, created on first use with the target's column types (all nullable, no keys:
   * duplicate keys within a write must reach the final INSERT, which applies them in order), emptied
   * on later ones. utf8mb4 holds any text a target column may hold.
   */
  private async emptyStage(target: WriteTarget, plan: TargetPlan): Promise<void> {
    if (plan.stage !== undefined) {
      await this.session.run(`TRUNCATE TABLE ${plan.stage}`)
      return
    }
    const q = (name: string): string => this.session.quoteIdentifier(name)
    const stage = q(`fustor_stage_${this.plans.size}_${target.table.name}`.slice(0, 64))
    const columns = plan.written.map((w) => `${q(w.column.name)} ${w.nativeType ?? mysqlColumnType(w.column, false)} NULL`)
    await this.session.run(`CREATE TEMPORARY TABLE ${stage} (${q(SEQUENCE_COLUMN)} BIGINT AUTO_INCREMENT PRIMARY KEY, ${columns.join(', ')}) DEFAULT CHARSET = utf8mb4`)
    plan.stage = stage
  }

  /** Multi-row INSERT / REPLACE / INSERT ... ON DUPLICATE KEY UPDATE statements, in row order. */
  private async insertValues(target: WriteTarget, rows: readonly Row[], plan: TargetPlan, where: string): Promise<void> {
    const q = (name: string): string => this.session.quoteIdentifier(name)
    const verb = target.mode === 'replace' ? 'REPLACE' : 'INSERT'
    const head = `${verb} INTO ${this.session.qualifiedName(target)} (${target.columns.map((c) => q(c.name)).join(', ')}) VALUES `
    const tail = target.mode === 'upsert' || target.mode === 'merge' ? ` ON DUPLICATE KEY UPDATE ${updateAssignments(target, q)}` : ''
    const maxBytes = Math.min(MAX_STATEMENT_BYTES, this.session.maxAllowedPacket() - 1024) - head.length - tail.length
    const writeTuple = plan.tuple
    let tuples: string[] = []
    let bytes = 0
    const flush = async (): Promise<void> => {
      const header = await this.session.run(head + tuples.join(',') + tail)
      await this.checkWarnings(header, where)
      tuples = []
      bytes = 0
    }
    for (const row of rows) {
      const tuple = writeTuple(row)
      const tupleBytes = Buffer.byteLength(tuple) + 1
      if (tuples.length > 0 && (tuples.length >= MAX_STATEMENT_ROWS || bytes + tupleBytes > maxBytes)) await flush()
      tuples.push(tuple)
      bytes += tupleBytes
    }
    if (tuples.length > 0) await flush()
  }

  /** Warnings about data are the errors strict mode would have raised: the first one fails the write. */
  private async checkWarnings(header: ResultSetHeader, where: string): Promise<void> {
    if (header.warningStatus === 0) return
    const warnings = await this.session.warnings()
    const problem = warnings.find((w) => w.Level !== 'Note' && !IGNORED_WARNINGS.has(w.Code))
    if (problem !== undefined) throw warningError(problem, where)
  }
}

/** `c = VALUES(c)` for the written columns outside the key (a key-only write updates the key to itself: nothing). */
function updateAssignments(target: WriteTarget, q: (name: string) => string): string {
  const keys = new Set(target.key)
  const updated = target.columns.filter((c) => !keys.has(c.name))
  const columns = updated.length > 0 ? updated : target.columns.slice(0, 1)
  return columns.map((c) => `${q(c.name)} = VALUES(${q(c.name)})`).join(', ')
}

/** The readable LOAD DATA LOCAL INFILE reads from. */
export function fileStream(chunks: Iterable<Buffer>): Readable {
  return Readable.from(chunks, { objectMode: false })
}
