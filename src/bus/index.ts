/**
 * The event bus of the realtime agent: one reader per source shared by several pipes (README.md).
 */
export type { BusEvent, BusReader, BusSource } from './bus-source.js'
export { BusSubscription } from './bus-subscription.js'
export { BUS_LAYOUT_VERSION, parseBusLayout, type BusLayout, type BusLayoutBus, type BusLayoutSubscriber } from './bus-layout.js'
export type { BusState } from './event-bus.js'
export {
  DEFAULT_BUS_CAPACITY,
  DEFAULT_SPLIT_RATIO,
  EventBusGroup,
  type BusMetrics,
  type BusSubscriberMetrics,
  type EventBusGroupMetrics,
  type EventBusGroupOptions,
  type SubscribeOptions,
} from './event-bus-group.js'
export { positionsEqual } from './positions-equal.js'
