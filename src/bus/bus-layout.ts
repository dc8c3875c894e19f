/**
 * The layout of a group of buses as JSON: which subscribers share which bus, and where each one
 * resumes. The agent keeps it in FUSTOR_HOME/fustor_agent.state.json and rebuilds the group from it
 * after a restart (EventBusGroup.restore), so that pipes that shared a reader share one again.
 */
import type { Position } from '../core/batch.js'
import { ConfigError } from '../core/errors.js'
import type { JsonValue } from '../core/schema.js'

export const BUS_LAYOUT_VERSION = 1

export interface BusLayout {
  readonly version: typeof BUS_LAYOUT_VERSION
  readonly buses: readonly BusLayoutBus[]
}

export interface BusLayoutBus {
  readonly id: string
  /** Slowest first (by `lead_events`); those whose place is unknown last. */
  readonly subscribers: readonly BusLayoutSubscriber[]
}

export interface BusLayoutSubscriber {
  readonly id: string
  /**
   * The position the subscriber acknowledged (its pipe's checkpoint, invariant 1), or the one it
   * subscribed at: where it resumes. Absent: where the source starts without a position.
   */
  readonly position?: Position
  /**
   * Events between the bus's least advanced acknowledged position and this one. Absent when the
   * bus could not place the acknowledged position; such a subscriber is not rejoined to the bus.
   */
  readonly lead_events?: number
  /** Position after the last event taken, for people: taken is in flight, not durable. */
  readonly taken_position?: Position
}

/** Checks a layout read back from the state file. Throws ConfigError `bus.layout_invalid`. */
export function parseBusLayout(value: unknown): BusLayout {
  const root = asObject(value, '')
  if (root.version !== BUS_LAYOUT_VERSION) {
    throw invalid(`bus layout has version ${JSON.stringify(root.version)}, this fustor reads version ${BUS_LAYOUT_VERSION}`, 'version')
  }
  if (!Array.isArray(root.buses)) throw invalid('bus layout has no "buses" list', 'buses')
  const busIds = new Set<string>()
  const subscriberIds = new Set<string>()
  const buses = root.buses.map((entry, busIndex): BusLayoutBus => {
    const path = `buses[${busIndex}]`
    const bus = asObject(entry, path)
    const id = asId(bus.id, `${path}.id`)
    if (busIds.has(id)) throw invalid(`bus "${id}" appears twice in the bus layout`, `${path}.id`)
    busIds.add(id)
    if (!Array.isArray(bus.subscribers)) throw invalid(`bus "${id}" has no "subscribers" list`, `${path}.subscribers`)
    const subscribers = bus.subscribers.map((item, index): BusLayoutSubscriber => {
      const at = `${path}.subscribers[${index}]`
      const subscriber = asObject(item, at)
      const subscriberId = asId(subscriber.id, `${at}.id`)
      if (subscriberIds.has(subscriberId)) throw invalid(`subscriber "${subscriberId}" appears twice in the bus layout`, `${at}.id`)
      subscriberIds.add(subscriberId)
      const lead = subscriber.lead_events
      if (lead !== undefined && !(Number.isSafeInteger(lead) && (lead as number) >= 0)) {
        throw invalid(`subscriber "${subscriberId}" has lead_events ${JSON.stringify(lead)}, not a count of events`, `${at}.lead_events`)
      }
      return {
        id: subscriberId,
        ...(subscriber.position !== undefined && { position: subscriber.position }),
        ...(lead !== undefined && { lead_events: lead as number }),
        ...(subscriber.taken_position !== undefined && { taken_position: subscriber.taken_position }),
      }
    })
    return { id, subscribers }
  })
  return { version: BUS_LAYOUT_VERSION, buses }
}

function asObject(value: unknown, path: string): Record<string, JsonValue | undefined> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${path || 'bus layout'} is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}, not an object`, path)
  }
  return value as Record<string, JsonValue | undefined>
}

function asId(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${path} is ${JSON.stringify(value)}, not a non-empty string`, path)
  return value
}

function invalid(message: string, path: string): ConfigError {
  return new ConfigError('bus.layout_invalid', message, {
    path,
    hint: 'the agent state file is damaged: remove its bus layout and every pipe resumes from its own checkpoint',
  })
}
