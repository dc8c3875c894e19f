/**
 * Column types of a CSV file from a sample of its records: core's `inferType` on each column's
 * non-NULL texts (so `007` stays a string, int and decimal together make decimal). A column with
 * only NULLs in the sample is a string column.
 */
import type { Column, Schema } from '../core/schema.js'
import { inferType } from '../core/values.js'

export interface CsvInferenceOptions {
  /** Texts read as NULL (csv-row-decoder.ts): they do not vote. */
  readonly nullValues: readonly string[]
  /** false: every column is a string. */
  readonly inferTypes: boolean
}

/** @param records sample records, fields in the order of `names` */
export function inferCsvSchema(names: readonly string[], records: readonly (readonly string[])[], options: CsvInferenceOptions): Schema {
  const nullTexts = new Set(options.nullValues)
  const columns: Column[] = names.map((name, index) => {
    if (!options.inferTypes) return { name, type: 'string' }
    const samples: string[] = []
    for (const record of records) {
      const text = record[index]
      // The empty text never votes: for a string column it would be an empty string, not a type hint.
      if (text !== undefined && text !== '' && !nullTexts.has(text)) samples.push(text)
    }
    const inferred = inferType(samples)
    return { name, ...inferred }
  })
  return { columns }
}
