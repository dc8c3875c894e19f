/**
 * The control connection of the `postgresql_cdc` input (an ordinary session, beside the replication
 * one): server checks, the publication and the slot (created when absent), table descriptions (the
 * `postgresql` input's own, PostgresqlConnection.describeTable) and heartbeat messages.
 */
import { ConfigError } from '../../../core/errors.js'
import type { Logger } from '../../../core/component.js'
import type { ConnectionSettings, TableInfo } from '../../../sql/driver.js'
import { PostgresqlConnection } from '../postgresql-connection.js'
import { positionLost } from './replication-errors.js'
import { lsnValue, normalLsn } from './replication-position.js'
import type { TableFilter } from './table-filter.js'

/** The slot as the server has it. */
export interface SlotState {
  /** Where the slot starts sending: changes committed before it are confirmed. */
  readonly confirmedLsn: string
  readonly isCreated: boolean
}

export class ReplicationControl {
  private constructor(
    private readonly connection: PostgresqlConnection,
    readonly where: string,
  ) {}

  static async open(settings: ConnectionSettings): Promise<ReplicationControl> {
    const connection = await PostgresqlConnection.open(settings)
    return new ReplicationControl(connection, `${settings.host}:${settings.port}/${settings.database}`)
  }

  private async rows(sql: string, params: readonly (string | null)[] = []): Promise<(string | null)[][]> {
    return (await this.connection.query(sql, params)).rows as (string | null)[][]
  }

  /** ConfigError `postgresql_cdc.wal_level` unless the server decodes WAL logically. */
  async checkWalLevel(): Promise<void> {
    const [[level]] = await this.rows('SHOW wal_level')
    if (level !== 'logical') {
      throw new ConfigError('postgresql_cdc.wal_level', `the server at ${this.where} has wal_level=${level}, and logical replication needs wal_level=logical`, {
        hint: 'ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL',
      })
    }
  }

  /**
   * Makes sure the publication exists and, when Fustor manages it (`create_publication`), that it
   * publishes every table `tables` matches now: created `FOR TABLE` those tables, or extended with
   * the new ones. ConfigError `postgresql_cdc.publication_not_found` or `postgresql_cdc.no_tables`.
   */
  async ensurePublication(name: string, filter: TableFilter, mayCreate: boolean, logger: Logger): Promise<void> {
    const existing = await this.rows('SELECT puballtables::text FROM pg_catalog.pg_publication WHERE pubname = $1', [name])
    const matching = (await this.rows(
      `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1, 2`,
    )).filter(([schema, table]) => filter.includes(schema as string, table as string)) as string[][]
    if (existing.length === 0) {
      if (!mayCreate) {
        throw new ConfigError('postgresql_cdc.publication_not_found', `publication "${name}" does not exist in ${this.where}`, {
          path: 'publication',
          hint: `CREATE PUBLICATION ${quote(name)} FOR TABLE ...; or set create_publication: true`,
        })
      }
      if (matching.length === 0) throw noTables(this.where)
      await this.connection.execute(`CREATE PUBLICATION ${quote(name)} FOR TABLE ${matching.map(tableName).join(', ')}`)
      logger.info(`postgresql_cdc: created publication "${name}" for ${matching.length} table(s) in ${this.where}`)
      return
    }
    if (existing[0][0] === 'true') return
    const published = new Set((await this.rows('SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1', [name])).map((row) => `${row[0]}.${row[1]}`))
    const missing = matching.filter(([schema, table]) => !published.has(`${schema}.${table}`))
    if (missing.length === 0) return
    if (!mayCreate) {
      logger.warn(`postgresql_cdc: publication "${name}" leaves out ${missing.length} table(s) that \`tables\` matches (${missing.slice(0, 5).map((t) => t.join('.')).join(', ')}): their changes are not captured`)
      return
    }
    await this.connection.execute(`ALTER PUBLICATION ${quote(name)} ADD TABLE ${missing.map(tableName).join(', ')}`)
    logger.info(`postgresql_cdc: added ${missing.length} table(s) to publication "${name}"`)
  }

  /**
   * The slot, created (pgoutput) when absent and allowed. ConfigError `postgresql_cdc.slot_not_found`,
   * `postgresql_cdc.slot_plugin`, `postgresql_cdc.slot_database`; `postgresql_cdc.position_lost` for
   * an invalidated slot, or a missing one when `mustExist` (resuming: what it held is gone).
   */
  async ensureSlot(name: string, database: string, mayCreate: boolean, mustExist: boolean, logger: Logger): Promise<SlotState> {
    const found = await this.rows('SELECT plugin, database, confirmed_flush_lsn::text, wal_status FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [name])
    if (found.length === 0) {
      if (mustExist) throw positionLost(`replication slot "${name}" no longer exists in ${this.where}, so the changes after the checkpoint are gone`)
      if (!mayCreate) {
        throw new ConfigError('postgresql_cdc.slot_not_found', `replication slot "${name}" does not exist in ${this.where}`, {
          path: 'slot',
          hint: `SELECT pg_create_logical_replication_slot('${name}', 'pgoutput'); or set create_slot: true`,
        })
      }
      const [[lsn]] = await this.rows("SELECT lsn::text FROM pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')", [name])
      logger.info(`postgresql_cdc: created replication slot "${name}" (pgoutput) at ${lsn} in ${this.where}`)
      return { confirmedLsn: normalLsn(lsn as string), isCreated: true }
    }
    const [plugin, slotDatabase, confirmed, walStatus] = found[0]
    if (plugin !== 'pgoutput') {
      throw new ConfigError('postgresql_cdc.slot_plugin', `replication slot "${name}" decodes with ${plugin ?? 'no plugin (a physical slot)'}, and postgresql_cdc reads pgoutput`, {
        path: 'slot',
        hint: 'name another slot: Fustor creates it with pgoutput',
      })
    }
    if (slotDatabase !== database) {
      throw new ConfigError('postgresql_cdc.slot_database', `replication slot "${name}" belongs to database "${slotDatabase}", not "${database}"`, { path: 'slot', hint: 'name another slot' })
    }
    if (walStatus === 'lost' || confirmed === null) throw positionLost(`replication slot "${name}" in ${this.where} was invalidated (its WAL was removed, max_slot_wal_keep_size)`)
    return { confirmedLsn: normalLsn(confirmed), isCreated: false }
  }

  /** The slot's confirmed position now, or undefined when it is gone. */
  async confirmedLsn(name: string): Promise<bigint | undefined> {
    const found = await this.rows('SELECT confirmed_flush_lsn::text FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [name])
    return found.length === 0 || found[0][0] === null ? undefined : lsnValue(found[0][0])
  }

  describe(schema: string, name: string): Promise<TableInfo | undefined> {
    return this.connection.describeTable({ schema, name })
  }

  /**
   * A non-transactional logical message in this database: it reaches the slot's stream at once, and
   * with it a WAL position the input may confirm while the watched tables are idle.
   */
  async emitHeartbeat(): Promise<void> {
    await this.connection.execute("SELECT pg_catalog.pg_logical_emit_message(false, 'fustor_heartbeat', '')")
  }

  async close(): Promise<void> {
    await this.connection.close()
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function tableName([schema, table]: string[]): string {
  return `${quote(schema)}.${quote(table)}`
}

function noTables(where: string): ConfigError {
  return new ConfigError('postgresql_cdc.no_tables', `no table in ${where} matches \`tables\`, so there is nothing to publish`, {
    path: 'tables',
    hint: 'check the patterns (schema.table, schema.*); tables must exist before the publication is created',
  })
}
