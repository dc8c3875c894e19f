/**
 * Every connector Fustor ships, as an explicit list (STYLE.md: no registration by side effect).
 * Imported only by the wiring in src/cli (and later the server and agent).
 */
import type { InputDefinition, OutputDefinition } from '../core/component.js'
import { dropOutputs } from './drop/index.js'
import { fileInputs, fileOutputs } from './file/index.js'
import { fsInputs } from './fs/index.js'
import { generateInputs } from './generate/index.js'
import { mysqlCdcInputs } from './mysql/cdc/index.js'
import { mysqlInputs, mysqlOutputs } from './mysql/index.js'
import { postgresqlCdcInputs } from './postgresql/cdc/index.js'
import { postgresqlInputs, postgresqlOutputs } from './postgresql/index.js'
import { sqliteInputs, sqliteOutputs } from './sqlite/index.js'
import { stdioInputs, stdioOutputs } from './stdio/index.js'

export const inputs: readonly InputDefinition<any>[] = [...fileInputs, ...stdioInputs, ...generateInputs, ...postgresqlInputs, ...postgresqlCdcInputs, ...mysqlInputs, ...mysqlCdcInputs, ...fsInputs, ...sqliteInputs]

export const outputs: readonly OutputDefinition<any>[] = [...fileOutputs, ...stdioOutputs, ...dropOutputs, ...postgresqlOutputs, ...mysqlOutputs, ...sqliteOutputs]
