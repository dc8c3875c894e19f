// Build: generate parsers from *.peggy grammars, then compile TypeScript to dist/.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateGrammars } from './generate-grammars.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
generateGrammars(join(root, 'src'))
rmSync(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
})
