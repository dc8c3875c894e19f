import { dropOutput } from './drop-output.js'

export { dropOutput }
export const dropOutputs = [dropOutput]
