/**
 * The `mysql_cdc` input: change data capture from the binary log of MySQL 8 or MariaDB, on
 * @vlasky/zongji. Every inserted, updated and deleted row of the captured tables becomes a change
 * event (core/change-event.ts), flattened into a row of `changeEventSchema(table)`; a batch holds the
 * changes of one table. binlog-position.ts says what a position is, change-queue.ts how batches are
 * cut, binlog-source.ts how the stream follows transactions, schemas and lost connections.
 *
 * zongji and mysql2 load on open() (docs/ARCHITECTURE.md D25): the CLI and worker threads wire every
 * component, and most runs capture nothing.
 */
import Type, { type Static } from 'typebox'
import { defineInput, type InputContext } from '../../../core/component.js'
import { ConfigError } from '../../../core/errors.js'
import { ChangeStreamInput } from '../../../sql/change-stream-input.js'
import { resolveConnection, serverConnectionSchema, urlSchema, type ConnectionFields } from '../../../sql/connection-config.js'
import type { ConnectionSettings } from '../../../sql/driver.js'
import { parseStoredPosition } from './binlog-position.js'
import type { BinlogSource, BinlogSourceOptions, StartSpec } from './binlog-source.js'
import { TableFilter } from './table-filter.js'

const config = Type.Object({
  connection: Type.Optional(serverConnectionSchema(3306, 'shop', 'cdc')),
  url: Type.Optional(urlSchema),
  tables: Type.Array(Type.String(), {
    description:
      'Tables whose changes are captured: `database.table`, or `table` in `connection.database`; `*` and `?` are wildcards (`shop.*`, `*.orders`, `order_*`). The system databases are captured only when named without a wildcard.',
    default: ['*'],
    minItems: 1,
    examples: [['shop.orders', 'shop.order_items'], ['shop.*']],
  }),
  exclude_tables: Type.Array(Type.String(), {
    description: 'Tables left out although `tables` matches them, in the same pattern syntax.',
    default: [],
    examples: [['shop.*_tmp', 'shop.sessions']],
  }),
  server_id: Type.Optional(
    Type.Integer({
      description:
        'The replica server id this reader registers with (1 to 4294967295). It must differ from the server\'s own and from every other replica\'s and reader\'s: the server drops an older connection with the same id. Default: a random id in the upper half of the range, different at every start.',
      minimum: 1,
      maximum: 4294967295,
      examples: [5401],
    }),
  ),
  start: Type.Union(
    [
      Type.Enum(['latest', 'earliest'], { description: '`latest`: changes from now on; `earliest`: from the oldest binlog file the server still has.' }),
      Type.Object({ gtid: Type.String({ description: 'A GTID state to continue after: MariaDB `domain-server-sequence[,...]`, MySQL `uuid:1-27[,...]`.', examples: ['0-1-1234'] }) }),
      Type.Object({
        file: Type.String({ description: 'A binlog file (`SHOW BINARY LOGS`).', examples: ['binlog.000042'] }),
        position: Type.Integer({ description: 'The offset of a transaction boundary in it (`SHOW MASTER STATUS`).', minimum: 4, examples: [1187] }),
      }),
    ],
    {
      description: 'Where a fresh run starts (a resumed run continues from its checkpoint): `latest`, `earliest`, `{gtid}` or `{file, position}`.',
      default: 'latest',
      examples: ['earliest', { gtid: '0-1-1234' }, { file: 'binlog.000042', position: 1187 }],
    },
  ),
  zero_dates: Type.Enum(['null', 'error'], {
    description: 'What a zero or invalid date (`0000-00-00`) becomes: NULL, or an error that sends the change to the dead-letter output (as in the `mysql` input).',
    default: 'null',
  }),
})

export type MysqlCdcConfig = Static<typeof config>

const connection = `    connection:
      host: 127.0.0.1
      database: shop
      username: cdc
      password: \${MYSQL_PASSWORD:-}`

const DESCRIPTION = [
  'Captures the changes of MySQL 8 or MariaDB tables from the binary log (change data capture): every row',
  'inserted, updated or deleted becomes a change event, a row with the metadata columns `__op` (insert, update,',
  'delete), `__source` (`database.table`), `__commit_time`, `__position`, `__key` (the primary key as an object)',
  'and `__before` (the row before an update or delete, as an object), followed by the table\'s columns holding the',
  'row after the change (before it, for a delete). Columns have the types the `mysql` input reads',
  '(docs/types/mysql.md), except geometry columns, which come as JSON. An update that changes the primary key',
  'comes as a delete and an insert. A batch holds consecutive changes of one table.',
  '',
  'The server needs `log_bin`, `binlog_format=ROW` and `binlog_row_image=FULL` (checked at start), and the user',
  '`REPLICATION SLAVE`, `REPLICATION CLIENT` (MariaDB: `BINLOG MONITOR`) and `SELECT` on the tables. Columns',
  'come from information_schema when a table\'s changes first appear and again after every DDL statement, so an',
  '`ALTER TABLE ... ADD COLUMN` shows in the changes that follow it. Reading old binlog across DDL uses the',
  'columns the table has when it is read; `binlog_row_metadata=FULL` on the server keeps the names right.',
  '',
  'Positions are transaction boundaries: binlog file and offset with the server\'s GTID state there; a batch that',
  'ends inside a large transaction adds how many of its changes were delivered. `fustor run --resume`',
  'continues after the last checkpoint (by GTID where the server has GTIDs, so also on another server of the',
  'same replication topology), with nothing lost; changes after the checkpoint may be delivered again',
  '(at least once). When the server no longer has the position (binlog purged), the run fails with',
  '`mysql_cdc.position_lost`: take a new snapshot and start from `latest`. A lost connection (a server',
  'restart, a killed replication thread) reconnects with `settings.retry`\'s backoff and continues. Nothing',
  'needs acknowledging on the server: the position lives in the checkpoint only.',
  '',
  'TRUNCATE and changes logged as statements (a session with another binlog_format) are not captured.',
].join('\n')

export const mysqlCdcInput = defineInput({
  type: 'mysql_cdc',
  status: 'experimental',
  summary: 'Captures inserts, updates and deletes of MySQL or MariaDB tables from the binlog, resumable by GTID or file and offset',
  description: DESCRIPTION,
  categories: ['database', 'cdc'],
  config,
  examples: [
    {
      title: 'Order changes to JSON Lines',
      summary: 'Every change of two tables from now on, one change event per line; `--resume` continues after the last checkpoint.',
      yaml: `# fustor-docs: lint-only
input:
  type: mysql_cdc
  config:
${connection}
    tables: [orders, order_items]
output:
  type: jsonl
  config:
    path: out/order-changes.jsonl
`,
    },
    {
      title: 'A whole database from a GTID, without scratch tables',
      summary: 'Continues after the transactions of a GTID position (MariaDB) and leaves tables ending in `_tmp` out; deletes are kept apart.',
      yaml: `# fustor-docs: lint-only
input:
  type: mysql_cdc
  config:
${connection}
    tables: ["shop.*"]
    exclude_tables: ["shop.*_tmp"]
    server_id: 5401
    start: { gtid: "0-1-1234" }
pipeline:
  processors:
    - type: filter
      config:
        condition: __op != 'delete'
output:
  type: jsonl
  config:
    path: out/shop-changes.jsonl
`,
    },
  ],
  create: (cfg, ctx) => {
    const settings = resolveConnection('mysql', 3306, cfg as unknown as ConnectionFields, true)
    for (const name of Object.keys(settings.options)) {
      if (name !== 'charset') {
        throw new ConfigError('mysql_cdc.option_unsupported', `option "${name}" does not apply to mysql_cdc: only charset does`, { path: `connection.options.${name}` })
      }
    }
    const filter = TableFilter.of(cfg.tables, cfg.exclude_tables, settings.database)
    // Positions are checked here, without I/O, so that a bad checkpoint fails before connecting.
    const resumeFrom = ctx.resumeFrom === undefined || ctx.resumeFrom === null ? undefined : parseStoredPosition(ctx.resumeFrom)
    return new MysqlCdcInput(
      {
        settings,
        serverId: cfg.server_id ?? randomServerId(),
        filter,
        zeroDates: cfg.zero_dates,
        resumeFrom,
        start: cfg.start as StartSpec,
        // Four batches may wait (invariant 2): enough to keep the reader busy while the stream decodes.
        queueCapacity: Math.max(4 * ctx.batchSize, 1000),
        retry: ctx.retry,
        logger: ctx.logger,
      },
      ctx,
    )
  },
})

/** Random, in the upper half of the id range, where servers' and replicas' configured ids rarely are. */
function randomServerId(): number {
  return 0x80000000 + Math.floor(Math.random() * 0x7fffffff)
}

/** The binlog stream as an input (src/sql/change-stream-input.ts); binlog-source.ts (and zongji) load on open. */
export class MysqlCdcInput extends ChangeStreamInput<BinlogSource> {
  constructor(
    private readonly options: BinlogSourceOptions,
    ctx: InputContext,
  ) {
    super('mysql_cdc', async () => (await import('./binlog-source.js')).BinlogSource.open(options), ctx)
  }

  get settings(): ConnectionSettings {
    return this.options.settings
  }

  /**
   * Nothing to do: a binlog reader confirms nothing to the server, which keeps its binlog files for
   * `binlog_expire_logs_seconds` whether read or not. The position lives in the checkpoint only.
   */
  async ack(): Promise<void> {}
}
