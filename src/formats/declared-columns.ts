/**
 * The `columns` option of the file and stdio inputs: a list of `{name, type}` with type names as
 * `parseTypeName` accepts them (`int`, `decimal(10,2)`, `timestamptz`).
 */
import { ConfigError } from '../core/errors.js'
import { TYPE_NAMES, parseTypeName, type Column, type Schema } from '../core/schema.js'
import { didYouMean } from '../core/suggest.js'

export interface DeclaredColumn {
  readonly name: string
  readonly type: string
}

/** The schema of declared columns; ConfigError (path `columns[i]...`) for an unknown type or a repeated name. */
export function declaredSchema(columns: readonly DeclaredColumn[]): Schema {
  const seen = new Set<string>()
  const result: Column[] = columns.map((declared, i) => {
    const parsed = parseTypeName(declared.type)
    if (parsed === undefined) {
      throw new ConfigError('config.invalid_value', `unknown type "${declared.type}" for column "${declared.name}"${didYouMean(declared.type, TYPE_NAMES)}`, {
        path: `columns[${i}].type`,
        hint: `types: ${TYPE_NAMES.join(', ')}; decimal takes a precision and scale: decimal(10,2)`,
      })
    }
    if (seen.has(declared.name)) {
      throw new ConfigError('config.invalid_value', `column "${declared.name}" is declared twice`, { path: `columns[${i}].name` })
    }
    seen.add(declared.name)
    return { name: declared.name, ...parsed }
  })
  return { columns: result }
}
