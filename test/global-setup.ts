// Generates grammar parsers so `vitest` works on a fresh clone without a prior build.
import { fileURLToPath } from 'node:url'
import { generateGrammars } from '../scripts/generate-grammars.mjs'

export default function setup(): void {
  generateGrammars(fileURLToPath(new URL('../src', import.meta.url)))
}
