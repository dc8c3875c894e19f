/**
 * The input and output definitions of a relational connector, made from its driver: postgresql,
 * mysql and sqlite are the same components over different drivers (STYLE.md: declared once), so
 * their config, docs and behaviour stay alike.
 */
import Type, { type TObject, type TSchema } from 'typebox'
import { defineInput, defineOutput, type ComponentExample, type InputDefinition, type OutputDefinition } from '../core/component.js'
import { resolveConnection, urlSchema, type ConnectionFields } from './connection-config.js'
import { discoverTables, locationOf } from './discovery.js'
import type { ConnectionSettings, ReadOptions, SqlDriver } from './driver.js'
import { readerFields, writerFields } from './sql-config.js'
import { TableInput, type TableInputConfig } from './table-input.js'
import { TableOutput, type TableOutputConfig } from './table-output.js'

export interface RelationalConnector {
  readonly driver: SqlDriver
  /** Product name for docs: `PostgreSQL`. */
  readonly label: string
  readonly connectionSchema: TObject
  /** Input config fields only this database has (mysql: `zero_dates`). */
  readonly inputFields?: Record<string, TSchema>
  readonly readOptions?: (config: Record<string, unknown>) => ReadOptions
  readonly inputDescription: string
  readonly outputDescription: string
  readonly inputExamples: readonly ComponentExample[]
  readonly outputExamples: readonly ComponentExample[]
  /** The driver's connections write text rows (`SqlConnection.writeText`, core/text-rows.ts). */
  readonly writesTextRows?: boolean
}

const DEFAULT_READ_OPTIONS: ReadOptions = { zeroDates: 'null' }

function settingsOf(driver: SqlDriver, config: unknown, readOnly: boolean): ConnectionSettings {
  return resolveConnection(driver.dialect.name, driver.defaultPort, config as ConnectionFields, readOnly)
}

export function relationalInput(connector: RelationalConnector): InputDefinition {
  const { driver } = connector
  const config = Type.Object({
    connection: Type.Optional(connector.connectionSchema),
    url: Type.Optional(urlSchema),
    ...readerFields,
    ...(connector.inputFields ?? {}),
  })
  return defineInput({
    type: driver.dialect.name,
    status: 'beta',
    summary: `Reads a ${connector.label} table or query, in key order, resumable, in parallel ranges or incrementally`,
    description: connector.inputDescription,
    categories: ['database'],
    config,
    examples: connector.inputExamples,
    create: (cfg, ctx) => {
      const fields = cfg as unknown as TableInputConfig & ConnectionFields & Record<string, unknown>
      const settings = settingsOf(driver, fields, true)
      const readOptions = connector.readOptions?.(fields) ?? DEFAULT_READ_OPTIONS
      return new TableInput(driver, settings, fields, readOptions, ctx, ctx.previousRun, ctx.retry)
    },
    discover: (cfg, options) => discoverTables(driver, settingsOf(driver, cfg, true), options),
    location: (cfg) => locationOf(driver, settingsOf(driver, cfg, true)),
  }) as InputDefinition
}

export function relationalOutput(connector: RelationalConnector): OutputDefinition {
  const { driver } = connector
  const config = Type.Object({
    connection: Type.Optional(connector.connectionSchema),
    url: Type.Optional(urlSchema),
    ...writerFields,
  })
  return defineOutput({
    type: driver.dialect.name,
    status: 'beta',
    summary: `Writes rows to a ${connector.label} table: insert, upsert, replace or merge, one transaction per batch`,
    description: connector.outputDescription,
    categories: ['database'],
    config,
    examples: connector.outputExamples,
    writesTextRows: connector.writesTextRows,
    create: (cfg, ctx) => {
      const fields = cfg as unknown as TableOutputConfig & ConnectionFields
      const settings = settingsOf(driver, fields, false)
      return new TableOutput(driver, settings, fields, ctx)
    },
    discover: (cfg, options) => discoverTables(driver, settingsOf(driver, cfg, true), options),
    location: (cfg) => locationOf(driver, settingsOf(driver, cfg, true)),
  }) as OutputDefinition
}
