import { csvInput } from './csv-input.js'
import { csvOutput } from './csv-output.js'
import { jsonInput } from './json-input.js'
import { jsonOutput } from './json-output.js'
import { jsonlInput } from './jsonl-input.js'
import { jsonlOutput } from './jsonl-output.js'

export { csvInput, csvOutput, jsonInput, jsonOutput, jsonlInput, jsonlOutput }
export const fileInputs = [csvInput, jsonlInput, jsonInput]
export const fileOutputs = [csvOutput, jsonlOutput, jsonOutput]
