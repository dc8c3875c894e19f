// Build: generate parsers from *.peggy grammars, compile TypeScript to dist/, then bundle the CLI
// and the worker-thread entry into dist/bundle/ (one folder, shared chunks). The bundle is what
// bin/fustor.js runs: loading ~1,000 small modules cost ~0.2 s at every start and in every worker
// thread (docs/ARCHITECTURE.md D14); dist/ stays the library others import.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { generateGrammars } from './generate-grammars.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
generateGrammars(join(root, 'src'))
rmSync(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
})
await build({
  entryPoints: [join(root, 'dist/cli/main.js'), join(root, 'dist/cli/split-worker-main.js')],
  outdir: join(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Native addons find their binary relative to their own files: loaded from node_modules as they are.
  external: ['better-sqlite3'],
  // CommonJS dependencies bundled into ES modules still call require() for Node's own modules.
  banner: { js: "import { createRequire as __fustorCreateRequire } from 'node:module'; const require = __fustorCreateRequire(import.meta.url);" },
})
