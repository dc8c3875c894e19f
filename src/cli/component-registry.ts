import { inputs, outputs } from '../connectors/index.js'
import { Registry } from '../engine/registry.js'
import { processors } from '../processors/index.js'

/** The registry of every component Fustor ships. */
export function createRegistry(): Registry {
  return new Registry([...inputs, ...processors, ...outputs])
}
