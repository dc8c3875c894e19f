/**
 * The `postgresql_cdc` input: change data capture from PostgreSQL logical replication, with the
 * built-in pgoutput plugin, on pg-logical-replication. Every inserted, updated and deleted row of the
 * captured tables, and every TRUNCATE, becomes a change event (core/change-event.ts), flattened into
 * a row of `changeEventSchema(table)`; a batch holds the changes of one table.
 * replication-position.ts says what a position is, change-queue.ts how batches are cut,
 * replication-stream.ts how the stream follows transactions, acknowledges and reconnects.
 *
 * pg-logical-replication loads on open() (docs/ARCHITECTURE.md D25): the CLI and worker threads
 * wire every component, and most runs capture nothing.
 */
import { createHash } from 'node:crypto'
import Type, { type Static } from 'typebox'
import type { Position } from '../../../core/batch.js'
import { defineInput, type InputContext } from '../../../core/component.js'
import { DURATION_SCHEMA_PATTERN, parseDuration } from '../../../core/duration.js'
import { ConfigError } from '../../../core/errors.js'
import { ChangeStreamInput } from '../../../sql/change-stream-input.js'
import { resolveConnection, serverConnectionSchema, urlSchema, type ConnectionFields } from '../../../sql/connection-config.js'
import type { ConnectionSettings } from '../../../sql/driver.js'
import type { ReplicationStream, ReplicationStreamOptions } from './replication-stream.js'
import { parseStoredPosition } from './replication-position.js'
import { TableFilter } from './table-filter.js'

/** Slot and publication names: what PostgreSQL allows in a slot name (lower case, digits, underscore). */
const NAME_PATTERN = '^[a-z0-9_]{1,63}$'

const config = Type.Object({
  connection: Type.Optional(serverConnectionSchema(5432, 'shop', 'cdc')),
  url: Type.Optional(urlSchema),
  tables: Type.Array(Type.String(), {
    description:
      'Tables whose changes are captured: `schema.table`, or `table` in `public`; `*` and `?` are wildcards (`shop.*`, `*.orders`, `order_*`). Matching tables are added to the publication when Fustor manages it (`create_publication`).',
    default: ['public.*'],
    minItems: 1,
    examples: [['public.orders', 'public.order_items'], ['shop.*']],
  }),
  slot: Type.Optional(
    Type.String({
      description:
        'The logical replication slot: it holds the position the server keeps WAL for. Default: `fustor_` and 12 hex digits of a hash of the database and `tables`, the same at every run of the same config. Give each pipeline its own slot (a slot serves one reader at a time).',
      pattern: NAME_PATTERN,
      examples: ['fustor_orders'],
    }),
  ),
  publication: Type.Optional(
    Type.String({
      description: 'The publication that names the published tables. Default: `fustor_` followed by the slot name.',
      pattern: NAME_PATTERN,
      examples: ['fustor_orders_pub'],
    }),
  ),
  create_slot: Type.Boolean({
    description: 'Create the slot (pgoutput) when it does not exist. The user needs the REPLICATION attribute. A resumed run never creates one: its changes would be gone.',
    default: true,
  }),
  create_publication: Type.Boolean({
    description: 'Create the publication `FOR TABLE` the tables `tables` matches when it does not exist, and add tables that match later at each start (the user must own the tables). False: use it as it is.',
    default: true,
  }),
  heartbeat: Type.Optional(
    Type.Object(
      {
        interval: Type.String({ description: 'How often a heartbeat message is written (10s is a good choice).', pattern: DURATION_SCHEMA_PATTERN, examples: ['10s', '1m'] }),
      },
      {
        description:
          'Write a logical message (`pg_logical_emit_message`) in the watched database every `interval`, so that the slot\'s confirmed position moves on while the watched tables are idle even where the server sends few keepalives. Without it, the keepalives of the replication protocol move it on. A heartbeat that fails is logged as a warning; keepalives still apply.',
        examples: [{ interval: '10s' }],
      },
    ),
  ),
})

export type PostgresqlCdcConfig = Static<typeof config>

const connection = `    connection:
      host: 127.0.0.1
      database: shop
      username: cdc
      password: \${PGPASSWORD:-}`

const DESCRIPTION = [
  'Captures the changes of PostgreSQL tables through logical replication with the built-in pgoutput plugin',
  '(change data capture): every row inserted, updated or deleted, and every TRUNCATE, becomes a change event, a',
  'row with the metadata columns `__op` (insert, update, delete, truncate), `__source` (`schema.table`),',
  '`__commit_time`, `__position`, `__key` (the primary key as an object) and `__before` (the row before an update',
  'or delete, as an object, when the server sends it), followed by the table\'s columns holding the row after the',
  'change (before it, for a delete; all NULL for a truncate). Columns and values are exactly what the `postgresql`',
  'input reads (docs/types/postgresql.md). An update that changes the primary key comes as a delete and an insert.',
  'A batch holds consecutive changes of one table.',
  '',
  'The server needs `wal_level=logical` (checked at start), and the user the REPLICATION attribute, SELECT on the',
  'tables and, to create the publication, ownership of them. The slot and the publication are created when',
  'absent (`create_slot`, `create_publication`); the slot keeps WAL on the server until the changes are',
  'acknowledged, so drop it (`SELECT pg_drop_replication_slot(\'name\')`) when the pipeline is retired.',
  '',
  'Before images follow each table\'s REPLICA IDENTITY: DEFAULT (the primary key) sends no before image for an',
  'update and only the key for a delete (the other columns are NULL and `__before` is null); FULL sends the whole',
  'old row (`__before`, and all columns of a delete). An update under DEFAULT that leaves a large (TOASTed) value',
  'unchanged does not send it: such a change goes to the dead-letter output with `postgresql_cdc.unchanged_toast`;',
  'use REPLICA IDENTITY FULL for tables with large values.',
  '',
  'A fresh run starts at the slot\'s confirmed position; `fustor run --resume` continues from the checkpoint\'s',
  'LSN, with nothing lost; changes after the checkpoint may be delivered again (at least once). The slot\'s',
  'confirmed position moves only when every output holds the changes and the checkpoint is saved. Keepalives (and',
  'the optional `heartbeat`) move it on while the watched tables are idle, so the slot does not keep WAL forever.',
  'A slot that is gone fails the run with `postgresql_cdc.position_lost`: take a new snapshot. A lost connection',
  '(a server restart, a terminated walsender) reconnects with `settings.retry`\'s backoff and continues.',
].join('\n')

export const postgresqlCdcInput = defineInput({
  type: 'postgresql_cdc',
  status: 'experimental',
  summary: 'Captures inserts, updates, deletes and truncates of PostgreSQL tables by logical replication (pgoutput), acknowledged after the outputs',
  description: DESCRIPTION,
  categories: ['database', 'cdc'],
  config,
  examples: [
    {
      title: 'Order changes to JSON Lines',
      summary: 'Every change of two tables, through a slot and a publication created on the first run; `--resume` continues after the last checkpoint.',
      yaml: `# fustor-docs: lint-only
input:
  type: postgresql_cdc
  config:
${connection}
    tables: [public.orders, public.order_items]
    slot: fustor_orders
output:
  type: jsonl
  config:
    path: out/order-changes.jsonl
`,
    },
    {
      title: 'A whole schema, with heartbeats, without deletes',
      summary: 'An existing publication and slot, a heartbeat every 10 s so the slot follows the WAL of a busy cluster while the schema is idle.',
      yaml: `# fustor-docs: lint-only
input:
  type: postgresql_cdc
  config:
${connection}
    tables: ["shop.*"]
    slot: fustor_shop
    publication: shop_changes
    create_publication: false
    heartbeat: { interval: 10s }
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
    const settings = resolveConnection('postgresql', 5432, cfg as unknown as ConnectionFields, true)
    // The replication session is read-only by nature; the control session creates the slot and publication.
    const writable: ConnectionSettings = { ...settings, readOnly: false }
    const filter = TableFilter.of(cfg.tables)
    const slot = cfg.slot ?? defaultSlot(settings.database, cfg.tables)
    const heartbeatMs = cfg.heartbeat === undefined ? undefined : parseDuration(cfg.heartbeat.interval)
    if (heartbeatMs !== undefined && heartbeatMs < 100) {
      throw new ConfigError('postgresql_cdc.heartbeat_interval', `heartbeat interval ${cfg.heartbeat!.interval} is too short`, { path: 'heartbeat.interval', hint: 'use seconds: 10s' })
    }
    // Positions are checked here, without I/O, so that a bad checkpoint fails before connecting.
    const resumeFrom = ctx.resumeFrom === undefined || ctx.resumeFrom === null ? undefined : parseStoredPosition(ctx.resumeFrom)
    return new PostgresqlCdcInput(
      {
        settings: writable,
        slot,
        publication: cfg.publication ?? `fustor_${slot}`.slice(0, 63),
        createSlot: cfg.create_slot,
        createPublication: cfg.create_publication,
        filter,
        resumeFrom,
        // Four batches may wait (invariant 2): enough to keep the reader busy while the stream decodes.
        queueCapacity: Math.max(4 * ctx.batchSize, 1000),
        retry: ctx.retry,
        heartbeatMs,
        logger: ctx.logger,
      },
      ctx,
    )
  },
})

/** `fustor_` + 12 hex digits of the database and the table patterns: stable across runs of one config. */
export function defaultSlot(database: string, tables: readonly string[]): string {
  return `fustor_${createHash('sha256').update(JSON.stringify([database, [...tables].sort()])).digest('hex').slice(0, 12)}`
}

/** The replication stream as an input (src/sql/change-stream-input.ts); replication-stream.ts loads on open. */
export class PostgresqlCdcInput extends ChangeStreamInput<ReplicationStream> {
  constructor(
    readonly options: ReplicationStreamOptions,
    ctx: InputContext,
  ) {
    super('postgresql_cdc', async () => (await import('./replication-stream.js')).ReplicationStream.open(options), ctx)
  }

  /**
   * Confirms the position's LSN to the server as flushed (a standby status update), so the slot may
   * release the WAL before it. Invariant 1: the engine calls this only after every output holds the
   * records up to the position and the checkpoint is saved; nothing else confirms. A position inside
   * a transaction (`skip`) confirms the boundary before that transaction.
   */
  async ack(position: Position): Promise<void> {
    this.stream?.acknowledge(parseStoredPosition(position).lsn)
  }
}
