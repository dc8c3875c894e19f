// Generates `<name>.generated.js` (ES module) beside every `<name>.peggy` grammar under a folder.
// Generated files are build output: git ignores them; `npm run build` and the test setup create them.
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import peggy from 'peggy'

export function generateGrammars(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      generateGrammars(path)
    } else if (name.endsWith('.peggy')) {
      const target = path.replace(/\.peggy$/, '.generated.js')
      if (existsSync(target) && statSync(target).mtimeMs >= statSync(path).mtimeMs) continue
      const source = readFileSync(path, 'utf8')
      const code = peggy.generate(source, { output: 'source', format: 'es', grammarSource: name })
      writeFileSync(target, `// Generated from ${name} by scripts/generate-grammars.mjs. Do not edit.\n${code}`)
    }
  }
}
