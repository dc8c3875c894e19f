/**
 * Invariant 2: memory is bounded by settings, not by the input. 10M rows through processors must
 * stay under 200 MiB RSS (PRODUCT.md's bar for any copy).
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { fustor, ROOT, workspace } from './cli-harness.js'

const dir = workspace()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('10M generated rows -> filter, transform, mapping -> drop stays under 200 MiB RSS', async () => {
  const pipeline = join(ROOT, 'bench', 'pipelines', 'generate-10m-processors-drop.yaml')
  const result = await fustor(['run', '--progress', 'none', pipeline], { cwd: dir })
  expect(result.code, result.stderr).toBe(0)
  expect(result.stderr).toContain('read 10,000,000 rows')
  expect(result.peakRssMiB).toBeGreaterThan(20) // the sampler saw the process
  expect(result.peakRssMiB).toBeLessThan(200)
}, 180_000)
