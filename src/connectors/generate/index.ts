import { generateInput } from './generate-input.js'

export { generateInput }
export const generateInputs = [generateInput]
