/**
 * The agent over real components: a generated source shared by two pipes writing JSON Lines files,
 * the state file, and agent-config.yaml errors placed in the file the user wrote.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Type from 'typebox'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Position } from '../core/batch.js'
import { defineInput, silentLogger } from '../core/component.js'
import { inputs, outputs } from '../connectors/index.js'
import { processors } from '../processors/index.js'
import { Registry } from '../engine/registry.js'
import { parseAgentConfig } from './agent-config.js'
import { Agent, AGENT_STATE_FILE, type AgentState } from './agent.js'
import { agentSourceInput } from './shared-source.js'

/** Acknowledgements the `test_acked` source received (a replication slot would confirm them). */
const acked: Position[] = []

/** A source of 3 batches that then waits, and records its acks: what a slot-based CDC source needs of the agent. */
const ackedSource = defineInput({
  type: 'test_acked',
  status: 'experimental',
  summary: 'three batches, acks recorded (tests)',
  config: Type.Object({}),
  examples: [],
  create: (_config, ctx) => {
    let next = ((ctx.resumeFrom as { next?: number } | undefined)?.next ?? 0) + 1
    return {
      async open() {},
      async read() {
        // Like a CDC source: after its changes it waits for more, until the run stops.
        if (next > 3) {
          await new Promise((resolve) => (ctx.signal.aborted ? resolve(undefined) : ctx.signal.addEventListener('abort', resolve, { once: true })))
          return null
        }
        const batch = { schema: { columns: [{ name: 'id', type: 'int' as const }] }, rows: [[next]], position: { next } }
        next++
        return batch
      },
      async ack(position: Position) {
        acked.push(position)
      },
      async close() {},
    }
  },
})

const definitions = [...inputs, ...processors, ...outputs, ackedSource]
const lintRegistry = new Registry([...definitions, agentSourceInput()])
let home: string

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'fustor-agent-'))
})
afterEach(() => rmSync(home, { recursive: true, force: true }))

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('agent', () => {
  test('a source shared by two pipes is read once; each pipe gets every row, its own fields and processors', async () => {
    const text = `sources:
  - id: users
    type: generate
    config: { preset: users, count: 5000, seed: 7 }
senders:
  - id: all-users
    type: jsonl
    config: { path: ${join(home, 'all.jsonl')} }
  - id: adults
    type: jsonl
    config: { path: ${join(home, 'adults.jsonl')} }
pipes:
  - id: copy-all
    source_id: users
    sender_id: all-users
  - id: adult-names
    source_id: users
    sender_id: adults
    processors:
      - type: filter
        config: { condition: "age >= 18" }
    fields: [id, name]
  - id: switched-off
    source_id: users
    sender_id: adults
    enabled: false
`
    const { config, errors } = parseAgentConfig(join(home, 'agent-config.yaml'), text, lintRegistry, {})
    expect(errors.map((error) => error.message)).toEqual([])
    const agent = new Agent(config!, { home, logger: silentLogger, definitions })
    const result = await agent.run()
    expect(result.pipes['copy-all']?.status).toBe('completed')
    expect(result.pipes['adult-names']?.status).toBe('completed')
    expect(agent.readersOpened('users')).toBe(1)
    const all = lines(join(home, 'all.jsonl'))
    expect(all).toHaveLength(5000)
    expect(all.map((row) => row.id)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
    const adults = lines(join(home, 'adults.jsonl'))
    expect(adults.length).toBe(all.filter((row) => (row.age as number) >= 18).length)
    expect(Object.keys(adults[0])).toEqual(['id', 'name'])
    // A processor of one pipe never changes the rows another pipe gets.
    expect(Object.keys(all[0]).length).toBeGreaterThan(2)
    const state = JSON.parse(readFileSync(join(home, AGENT_STATE_FILE), 'utf8')) as AgentState
    expect(state.pipes['copy-all']).toMatchObject({ status: 'completed', source_id: 'users', sender_id: 'all-users', read: 5000, written: 5000 })
    expect(state.pipes['switched-off'].status).toBe('disabled')
    expect(Object.keys(state.sources)).toEqual(['users'])
  })

  test('the source is acknowledged when its only pipe has a batch durably, never with two pipes', async () => {
    const config = (pipes: string) => `sources:
  - { id: s, type: test_acked }
senders:
  - { id: out, type: jsonl, config: { path: ${join(home, 'acked.jsonl')} } }
  - { id: out2, type: jsonl, config: { path: ${join(home, 'acked2.jsonl')} } }
pipes:
${pipes}`
    const settings = '    settings: { checkpoint_interval: 20ms }\n'
    /** Runs the agent until every pipe has written the 3 rows and a few checkpoints went by, then stops it. */
    const runUntilWritten = async (text: string, agentHome: string): Promise<void> => {
      const { config: parsed, errors } = parseAgentConfig('agent-config.yaml', text, lintRegistry, {})
      expect(errors).toEqual([])
      const agent = new Agent(parsed!, { home: agentHome, logger: silentLogger, definitions })
      const running = agent.run()
      const written = (): boolean => {
        const pipes = Object.values(agent.state().pipes)
        return pipes.length > 0 && pipes.every((pipe) => pipe.written >= 3)
      }
      const until = Date.now() + 10_000
      while (!written() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
      await new Promise((resolve) => setTimeout(resolve, 200)) // several 20 ms checkpoints
      agent.stop()
      await running
    }
    acked.length = 0
    await runUntilWritten(config(`  - id: only\n    source_id: s\n    sender_id: out\n${settings}`), home)
    expect(acked.at(-1)).toEqual({ next: 3 })
    acked.length = 0
    await runUntilWritten(config(`  - id: a\n    source_id: s\n    sender_id: out\n${settings}  - id: b\n    source_id: s\n    sender_id: out2\n${settings}`), join(home, 'two'))
    expect(acked).toEqual([])
  })

  test('errors name their place in agent-config.yaml, with did-you-mean', () => {
    const text = `sources:
  - id: users
    type: generat
    config: { preset: users }
  - id: orders
    type: generate
    config: { preset: orders, cuont: 3 }
senders:
  - id: out
    type: jsonl
    config: { paht: x.jsonl }
pipes:
  - id: p1
    source_id: user
    sender_id: out
  - id: p2
    source_id: orders
    sender_id: out
    fields: id
`
    const { config, errors } = parseAgentConfig('agent-config.yaml', text, lintRegistry, {})
    expect(config).toBeUndefined()
    const shown = errors.map((error) => `${error.location?.line}:${error.location?.col} ${error.path}: ${error.message}`)
    expect(shown).toEqual([
      expect.stringMatching(/^3:11 sources\[0\]\.type: unknown input type "generat" \(did you mean "generate"\?\)/),
      expect.stringMatching(/^7:31 sources\[1\]\.config\.cuont: unknown field "cuont"/),
      expect.stringMatching(/^14:16 pipes\[0\]\.source_id: source_id "user" is not among the sources \(did you mean "users"\?\)/),
      expect.stringMatching(/^19:13 pipes\[1\]\.fields: fields of pipe "p2" must be a list of column names/),
    ])
  })

  test('a sender config error is placed in senders, once', () => {
    const text = `sources:
  - { id: s, type: generate, config: { preset: users, count: 1 } }
senders:
  - id: out
    type: jsonl
    config: { paht: x.jsonl }
pipes:
  - { id: a, source_id: s, sender_id: out }
  - { id: b, source_id: s, sender_id: out }
`
    const { errors } = parseAgentConfig('agent-config.yaml', text, lintRegistry, {})
    const shown = errors.map((error) => `${error.location?.line}:${error.location?.col} ${error.path}`)
    expect(shown).toEqual(['6:5 senders[0].config.path', '6:15 senders[0].config.paht'])
    expect(shown.filter((line) => line.includes('paht'))).toHaveLength(1)
  })
})
