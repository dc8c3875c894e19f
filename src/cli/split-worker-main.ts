/**
 * Entry of the worker threads of parallel runs (docs/ARCHITECTURE.md "Parallel runs"): the engine's
 * split worker with every component Fustor ships.
 */
import { serveSplits } from '../engine/split-worker.js'
import { createRegistry } from './component-registry.js'

serveSplits(createRegistry())
