import { stdinInput } from './stdin-input.js'
import { stdoutOutput } from './stdout-output.js'

export { stdinInput, stdoutOutput }
export const stdioInputs = [stdinInput]
export const stdioOutputs = [stdoutOutput]
