/**
 * The processors of this folder, as an explicit list (STYLE.md: no registration by side effect).
 * `index.ts` adds the `switch` router and is what the wiring imports.
 */
import type { ProcessorDefinition } from '../core/component.js'
import { aggregateProcessor } from './aggregate-processor.js'
import { dateFormatProcessor } from './date-format-processor.js'
import { deduplicateProcessor } from './deduplicate-processor.js'
import { filterProcessor } from './filter-processor.js'
import { jsonDecodeProcessor } from './json-decode-processor.js'
import { jsonEncodeProcessor } from './json-encode-processor.js'
import { mappingProcessor } from './mapping-processor.js'
import { regexExtractProcessor } from './regex-extract-processor.js'
import { splitProcessor } from './split-processor.js'
import { transformProcessor } from './transform-processor.js'

export const processors: readonly ProcessorDefinition<any>[] = [
  filterProcessor,
  mappingProcessor,
  transformProcessor,
  jsonDecodeProcessor,
  jsonEncodeProcessor,
  regexExtractProcessor,
  dateFormatProcessor,
  splitProcessor,
  deduplicateProcessor,
  aggregateProcessor,
]
