/**
 * Every processor Fustor ships, as an explicit list (STYLE.md: no registration by side effect).
 * Imported only by the wiring in src/cli (and later the server and agent).
 */
import type { ProcessorDefinition, RouterDefinition } from '../core/component.js'
import { processors as transformingProcessors } from './all-processors.js'
import { switchProcessor } from './switch-processor.js'

export const processors: readonly (ProcessorDefinition<any> | RouterDefinition<any>)[] = [...transformingProcessors, switchProcessor]
