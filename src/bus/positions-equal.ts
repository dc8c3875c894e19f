/**
 * Equality of positions. Positions are opaque JSON (core/batch.ts): the bus cannot order them, only
 * recognize the same one again, whatever the order of an object's keys.
 */
import type { Position } from '../core/batch.js'

/** Whether two positions are the same JSON value; `undefined` (no position) equals only itself. */
export function positionsEqual(a: Position | undefined, b: Position | undefined): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!positionsEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  let keys = 0
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue
    keys++
    if (!Object.hasOwn(b, key) || !positionsEqual(a[key], b[key])) return false
  }
  for (const key in b) if (Object.hasOwn(b, key)) keys--
  return keys === 0
}
