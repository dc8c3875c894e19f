/**
 * The `fs` input: files under a directory and their changes, as change events (fs-input.ts).
 */
import { fsInput } from './fs-input.js'

export { fsInput }
export const fsInputs = [fsInput]
