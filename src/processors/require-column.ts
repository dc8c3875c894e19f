/**
 * Column references in processor configs: every processor resolves the names its config gives
 * against the schema in `prepare`, and reports an unknown one the same way (invariant 4).
 */
import { ConfigError } from '../core/errors.js'
import { columnIndex, columnNames, type LogicalType, type Schema } from '../core/schema.js'
import { didYouMean } from '../core/suggest.js'

/**
 * Index of column `name`, or a ConfigError `processor.unknown_column` at `path` (relative to the
 * processor config). `usage` says where the name was written: `mapping`, `deduplicate key_fields`.
 */
export function requireColumn(schema: Schema, name: string, path: string, usage: string): number {
  const index = columnIndex(schema, name)
  if (index >= 0) return index
  const names = columnNames(schema)
  throw new ConfigError('processor.unknown_column', `unknown column "${name}" in ${usage}${didYouMean(name, names)}`, {
    path,
    hint: names.length > 0 ? `columns: ${names.join(', ')}` : 'the input has no columns',
  })
}

/**
 * Checks that column `name` at `index` has one of the `allowed` types, or throws a ConfigError
 * `processor.column_type` saying what the processor needed (`a date or timestamp`).
 */
export function requireColumnType(schema: Schema, index: number, allowed: readonly LogicalType[], path: string, needed: string): LogicalType {
  const column = schema.columns[index]
  if (allowed.includes(column.type)) return column.type
  throw new ConfigError('processor.column_type', `column "${column.name}" is ${column.type}, but ${needed}`, { path })
}
