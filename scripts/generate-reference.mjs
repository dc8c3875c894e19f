// Writes docs/reference/*.md from the component definitions (run `npm run build` first).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRegistry } from '../dist/cli/component-registry.js'
import { referenceDocs } from '../dist/cli/reference-docs.js'

const directory = fileURLToPath(new URL('../docs/reference', import.meta.url))
mkdirSync(directory, { recursive: true })
for (const [file, content] of referenceDocs(createRegistry())) writeFileSync(join(directory, file), content)
console.log(`wrote ${directory}`)
