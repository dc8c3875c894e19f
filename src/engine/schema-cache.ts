/**
 * Discovered schemas cached under FUSTOR_HOME/schema_cache/ (seed 000 §5), one JSON file per
 * component type and location, so that the console and the API need not ask the database again.
 * `fustor discover-schema` refreshes an entry; `--cached` reads it without connecting.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DiscoveredSchema } from '../core/component.js'
import { ConfigError } from '../core/errors.js'

export class SchemaCache {
  readonly directory: string

  constructor(home: string) {
    this.directory = join(home, 'schema_cache')
  }

  /** `<type>-<location, file-name safe>-<hash>.json`. */
  pathFor(type: string, location: string): string {
    const safe = location.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80)
    const digest = createHash('sha256').update(`${type}\n${location}`).digest('hex').slice(0, 10)
    return join(this.directory, `${type}-${safe}-${digest}.json`)
  }

  async load(type: string, location: string): Promise<DiscoveredSchema | undefined> {
    const path = this.pathFor(type, location)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      return JSON.parse(text) as DiscoveredSchema
    } catch (error) {
      throw new ConfigError('schema_cache.corrupt', `${path} is not valid JSON`, { cause: error, hint: 'run fustor discover-schema again to rewrite it' })
    }
  }

  async save(schema: DiscoveredSchema): Promise<string> {
    await mkdir(this.directory, { recursive: true })
    const path = this.pathFor(schema.type, schema.location)
    const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`
    await writeFile(temporary, `${JSON.stringify(schema, null, 2)}\n`)
    await rename(temporary, path)
    return path
  }
}
