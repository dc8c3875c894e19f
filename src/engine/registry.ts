/**
 * The component registry: an explicit list of definitions (STYLE.md: no registration by import side
 * effects). The CLI, server and agent build one from src/connectors/index.ts and
 * src/processors/index.ts and hand it to the engine.
 */
import type {
  ComponentDefinition,
  ComponentKind,
  InputDefinition,
  OutputDefinition,
  ProcessorDefinition,
  RouterDefinition,
} from '../core/component.js'
import { ConfigError } from '../core/errors.js'
import { didYouMean } from '../core/suggest.js'

const KIND_LABEL: Record<ComponentKind, string> = { input: 'input', processor: 'processor', router: 'processor', output: 'output' }

export class Registry {
  private readonly inputs = new Map<string, InputDefinition>()
  private readonly processors = new Map<string, ProcessorDefinition | RouterDefinition>()
  private readonly outputs = new Map<string, OutputDefinition>()

  constructor(definitions: readonly ComponentDefinition[]) {
    for (const definition of definitions) this.add(definition)
  }

  private add(definition: ComponentDefinition): void {
    const table = this.tableOf(definition.kind)
    if (table.has(definition.type)) {
      throw new Error(`duplicate ${KIND_LABEL[definition.kind]} type "${definition.type}" in the registry`)
    }
    ;(table as Map<string, ComponentDefinition>).set(definition.type, definition)
  }

  private tableOf(kind: ComponentKind): Map<string, ComponentDefinition> {
    switch (kind) {
      case 'input':
        return this.inputs
      case 'output':
        return this.outputs
      default:
        return this.processors
    }
  }

  input(type: string): InputDefinition {
    return this.lookup(this.inputs, 'input', type)
  }

  processor(type: string): ProcessorDefinition | RouterDefinition {
    return this.lookup(this.processors, 'processor', type)
  }

  output(type: string): OutputDefinition {
    return this.lookup(this.outputs, 'output', type)
  }

  /** Every definition, inputs first, then processors, then outputs, each sorted by type. */
  all(): ComponentDefinition[] {
    const sorted = <T extends ComponentDefinition>(table: Map<string, T>): T[] => [...table.values()].sort((a, b) => a.type.localeCompare(b.type))
    return [...sorted(this.inputs), ...sorted(this.processors), ...sorted(this.outputs)]
  }

  /** Definitions with this type name, whatever their kind (`csv` is an input and an output). */
  find(type: string): ComponentDefinition[] {
    return this.all().filter((definition) => definition.type === type)
  }

  typeNames(): string[] {
    return [...new Set(this.all().map((definition) => definition.type))]
  }

  private lookup<T>(table: Map<string, T>, kind: string, type: string): T {
    const definition = table.get(type)
    if (definition) return definition
    const known = [...table.keys()].sort()
    throw new ConfigError('component.not_found', `unknown ${kind} type "${type}"${didYouMean(type, known)}`, {
      path: 'type',
      hint: `available ${kind}s: ${known.join(', ')} (see \`fustor plugins list\`)`,
    })
  }
}
