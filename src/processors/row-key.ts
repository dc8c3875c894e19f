/**
 * Keys for grouping and deduplication: a Map key for the values of some columns of a row, such
 * that two rows get the same key exactly when their values are equal as SQL compares them within
 * each column's type (`1.50` equals `1.5` for a decimal) and NULL equals NULL (as GROUP BY and
 * DISTINCT treat it).
 */
import type { LogicalType, Row, Value } from '../core/schema.js'

export type RowKey = string | number | boolean | bigint | null

/** The key of one value: itself when the value is a primitive already compared correctly by a Map. */
export function valueKey(value: Value, type: LogicalType): RowKey {
  if (value === null) return null
  switch (type) {
    case 'decimal':
      return canonicalDecimal(value as string)
    case 'json':
      return JSON.stringify(value)
    case 'bytes':
      return Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength).toString('latin1')
    default:
      return value as RowKey
  }
}

/** `1.50` -> `1.5`, `2.00` -> `2`, `-0.0` -> `0`: one text per decimal value. */
function canonicalDecimal(text: string): string {
  if (text.indexOf('.') < 0) return text === '-0' ? '0' : text
  let end = text.length
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--
  if (text.charCodeAt(end - 1) === 46 /* . */) end--
  const trimmed = text.slice(0, end)
  return trimmed === '-0' ? '0' : trimmed
}

/**
 * A function giving the key of the values at `indexes`: the value key itself for one column, a
 * string that cannot collide across columns (each part tagged and length-prefixed) for several.
 * Built once per schema in `prepare`.
 */
export function rowKeyFunction(indexes: readonly number[], types: readonly LogicalType[]): (row: Row) => RowKey {
  if (indexes.length === 1) {
    const index = indexes[0]
    const type = types[0]
    if (type === 'string' || type === 'int' || type === 'bigint' || type === 'bool' || type === 'float' || type === 'uuid') return (row) => row[index] as RowKey
    return (row) => valueKey(row[index], type)
  }
  return (row) => {
    let key = ''
    for (let i = 0; i < indexes.length; i++) {
      const part = valueKey(row[indexes[i]], types[i])
      if (part === null) key += '~'
      else {
        const text = typeof part === 'string' ? part : String(part)
        key += `${typeof part === 'string' ? 's' : 'v'}${text.length}:${text}`
      }
    }
    return key
  }
}
