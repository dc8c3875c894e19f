/**
 * The agent over real components: a generated source shared by two pipes writing JSON Lines files,
 * the state file, and agent-config.yaml errors placed in the file the user wrote.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { silentLogger } from '../core/component.js'
import { inputs, outputs } from '../connectors/index.js'
import { processors } from '../processors/index.js'
import { Registry } from '../engine/registry.js'
import { parseAgentConfig } from './agent-config.js'
import { Agent, AGENT_STATE_FILE, type AgentState } from './agent.js'
import { agentSourceInput } from './shared-source.js'

const definitions = [...inputs, ...processors, ...outputs]
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
