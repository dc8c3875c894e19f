/**
 * Functions generated from source text (row writers and decoders specialized to a schema), made
 * once per text. Each split of a parallel run builds its decoder and encoder anew; a function made
 * with `new Function` each time would start cold every time (V8 keeps what it learned about a
 * function, and its optimized code, per function made), while the closures one factory returns
 * share that, so the code stays optimized from split to split (docs/ARCHITECTURE.md D17).
 */
const factories = new Map<string, (...args: never[]) => unknown>()
/** Different schemas in one process are few; a bound keeps a long-lived server's memory bounded. */
const MAX_FACTORIES = 256

/** A function of `parameters` running `body` (which returns the generated function), made once per text. */
export function generatedFactory(parameters: readonly string[], body: string): (...args: never[]) => unknown {
  const key = `${parameters.join(',')}\n${body}`
  let factory = factories.get(key)
  if (factory === undefined) {
    if (factories.size >= MAX_FACTORIES) factories.clear()
    factory = new Function(...parameters, body) as (...args: never[]) => unknown
    factories.set(key, factory)
  }
  return factory
}
