/**
 * Parsed JSON object to a row of a schema, by key. A key missing from the object is NULL. Keys not in
 * the schema are ignored; the first time each one is seen, `onUnknownKey` is told (the reader logs
 * it), so that a schema inferred from too few records does not drop a field unnoticed.
 */
import { RecordError } from '../core/errors.js'
import type { Row, Schema } from '../core/schema.js'
import { jsonValueConverter, type JsonValueConverter } from './json-value-converter.js'

export class JsonRowDecoder {
  private readonly names: readonly string[]
  private readonly converters: JsonValueConverter[]
  private readonly known: Set<string>
  /** Columns named like a property every object inherits (`constructor`): read only as own keys. */
  private readonly isInheritedName: boolean[]

  constructor(
    readonly schema: Schema,
    private readonly onUnknownKey?: (key: string) => void,
  ) {
    this.names = schema.columns.map((column) => column.name)
    this.converters = schema.columns.map((column) => jsonValueConverter(column))
    this.known = new Set(this.names)
    this.isInheritedName = this.names.map((name) => name in Object.prototype)
  }

  /** Throws a RecordError when the value is not an object or a field does not convert. */
  decode(value: unknown): Row {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
      throw new RecordError('json.not_object', `expected a json object, found ${kind}`)
    }
    const object = value as Record<string, unknown>
    const names = this.names
    const count = names.length
    const row: Row = new Array(count)
    for (let c = 0; c < count; c++) {
      const name = names[c]
      row[c] = this.converters[c](this.isInheritedName[c] && !Object.hasOwn(object, name) ? undefined : object[name])
    }
    if (this.onUnknownKey !== undefined) {
      for (const key in object) {
        if (!this.known.has(key)) {
          this.known.add(key)
          this.onUnknownKey(key)
        }
      }
    }
    return row
  }
}
