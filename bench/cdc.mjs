// CDC scenario of `npm run bench` (PRODUCT.md's bar: >= 50k events/s; p99 commit-to-delivery under
// 50 ms at 5k events/s). A throwaway MariaDB with a ROW binlog (test/mariadb-binlog-instance.ts,
// compiled here with esbuild) feeds the mysql_cdc input of an engine run whose output counts rows:
//   throughput  200k rows inserted in 1,000-row transactions, then read from the position before them
//   latency     5k rows/s inserted live (50-row transactions every 10 ms for 10 s), each row carrying
//               the millisecond it was sent; delivery time minus that, p50 and p99
// Beside it, the server's own decoder: `mariadb-binlog --verbose` over the same binlog (decode only).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export async function cdcScenarios(context) {
  const { benchDir, outDir, has, measure } = context
  const root = join(benchDir, '..')
  const available = has('mariadbd') || has('/usr/sbin/mariadbd')
  return [
    {
      name: 'mariadb-cdc',
      describe: 'MariaDB binlog -> mysql_cdc -> engine -> counting output (throughput and commit-to-delivery latency), beside mariadb-binlog decoding',
      rows: 200_000,
      run: async () => {
        if (!available) throw new Error('mariadb-cdc needs mariadbd (apt-get install mariadb-server)')
        const esbuild = await import('esbuild')
        const helper = join(outDir, 'mariadb-binlog-instance.mjs')
        await esbuild.build({ entryPoints: [join(root, 'test/mariadb-binlog-instance.ts')], outfile: helper, platform: 'node', format: 'esm', bundle: false, logLevel: 'error' })
        const { startMariadbBinlogInstance } = await import(pathToFileURL(helper).href)
        const dist = (path) => import(pathToFileURL(join(root, 'dist', path)).href)
        const [{ defineOutput, silentLogger }, { Registry }, { loadPipeline }, { PipelineRun }, { CheckpointStore }, { mysqlCdcInput }, TypeModule] = await Promise.all([
          dist('core/component.js'),
          dist('engine/registry.js'),
          dist('engine/pipeline-loader.js'),
          dist('engine/pipeline-run.js'),
          dist('engine/checkpoint-store.js'),
          dist('connectors/mysql/cdc/mysql-cdc-input.js'),
          import('typebox'),
        ])
        const Type = TypeModule.default
        const db = await startMariadbBinlogInstance()
        try {
          const admin = await db.admin()
          await admin.query('CREATE DATABASE shop; CREATE TABLE shop.events (id BIGINT PRIMARY KEY, sent_at_ms BIGINT NOT NULL, payload VARCHAR(100))')
          // A counting output: stops the run at `target` rows, records each row's delivery delay.
          const state = { target: 0, count: 0, delays: [], done: undefined, run: undefined }
          const counting = defineOutput({
            type: 'bench_count',
            status: 'experimental',
            summary: 'counts rows (bench)',
            config: Type.Object({}),
            examples: [],
            create: () => ({
              async open() {},
              async write(batch) {
                const at = batch.schema.columns.findIndex((c) => c.name === 'sent_at_ms')
                const now = Date.now()
                for (const row of batch.rows) state.delays.push(now - Number(row[at]))
                state.count += batch.rows.length
                if (state.count >= state.target && state.done === undefined) {
                  state.done = performance.now()
                  state.run.stop()
                }
              },
              async close() {},
            }),
          })
          const registry = new Registry([mysqlCdcInput, counting])
          const home = join(outDir, 'home-cdc')
          const runFrom = async (start, target, produce) => {
            const yaml = `input:
  type: mysql_cdc
  config:
    connection: { host: ${db.host}, port: ${db.port}, database: shop, username: ${db.cdcUser.username}, password: ${db.cdcUser.password} }
    tables: [events]
    start: ${JSON.stringify(start)}
output: { type: bench_count, config: {} }
settings: { batch_size: 1000, linger: 2ms }
`
            const { plan, errors } = loadPipeline(join(outDir, 'cdc.yaml'), yaml, registry, { env: {} })
            if (!plan) throw new Error(errors.map((e) => e.format()).join('\n'))
            Object.assign(state, { target, count: 0, delays: [], done: undefined })
            state.run = new PipelineRun(plan, { home, logger: silentLogger, checkpoints: new CheckpointStore(home) })
            const started = performance.now()
            const running = state.run.run()
            await produce?.()
            await running
            return (state.done ?? performance.now()) - started
          }
          const masterPosition = async () => {
            const [[status]] = await admin.query('SHOW MASTER STATUS')
            return { file: status.File, position: Number(status.Position) }
          }
          // Throughput: rows already in the binlog, read from before them.
          const count = 200_000
          const before = await masterPosition()
          for (let id = 1; id <= count; id += 1000) {
            const values = Array.from({ length: 1000 }, (_, i) => `(${id + i}, 0, 'payload of row ${id + i}')`).join(',')
            await admin.query(`INSERT INTO shop.events VALUES ${values}`)
          }
          const rssBefore = process.memoryUsage().rss
          const throughputMs = await runFrom(before, count)
          const rssMiB = Math.max(rssBefore, process.memoryUsage().rss) / 1024 / 1024
          // The server's own decoder over the same events.
          const binlogFile = join(db.dataDir, before.file)
          // The peer must decode every row, or its time means nothing.
          if (has('mariadb-binlog')) {
            const check = spawnSync('mariadb-binlog', ['--verbose', '--base64-output=decode-rows', `--start-position=${before.position}`, binlogFile], { encoding: 'utf8', maxBuffer: 1 << 30 })
            const inserts = (check.stdout.match(/^### INSERT INTO/gm) ?? []).length
            if (inserts !== count) throw new Error(`mariadb-binlog decoded ${inserts} rows of ${count}: ${check.stderr.slice(0, 500)}`)
          }
          if (state.count < count) throw new Error(`the run delivered ${state.count} rows of ${count}`)
          const decoder = has('mariadb-binlog') ? measure('mariadb-binlog', 'mariadb-binlog', ['--verbose', '--base64-output=decode-rows', `--start-position=${before.position}`, binlogFile]) : undefined
          // Latency: 5k rows/s for 10 s, read live from the end of the binlog.
          const liveRows = 50_000
          let nextId = count + 1
          const produce = async () => {
            await new Promise((resolve) => setTimeout(resolve, 500)) // the run is reading
            const startedAt = Date.now()
            for (let tick = 0; tick < liveRows / 50; tick++) {
              const due = startedAt + tick * 10
              const wait = due - Date.now()
              if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
              const values = Array.from({ length: 50 }, () => `(${nextId++}, ${Date.now()}, 'live')`).join(',')
              await admin.query(`INSERT INTO shop.events VALUES ${values}`)
            }
          }
          await runFrom(await masterPosition(), liveRows, produce)
          const delays = state.delays.sort((a, b) => a - b)
          const percentile = (p) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]
          const p50 = percentile(50)
          const p99 = percentile(99)
          await admin.end()
          const eventsPerS = Math.round(count / (throughputMs / 1000))
          return {
            ours: { seconds: Number((throughputMs / 1000).toFixed(2)), rssMiB },
            peers: [{ name: 'mariadb_binlog_decode', result: decoder, bar: {}, missing: 'mariadb-binlog not installed' }],
            lines: [`  latency at 5k events/s: p50 ${p50} ms, p99 ${p99} ms over ${delays.length} rows`],
            extra: { events_per_s: eventsPerS, latency_p50_ms: p50, latency_p99_ms: p99 },
            verdicts: [`${eventsPerS >= 50_000 ? 'meets' : 'MISSES'} >= 50k events/s`, `${p99 < 50 ? 'meets' : 'MISSES'} p99 < 50 ms at 5k events/s`],
          }
        } finally {
          await db.stop()
        }
      },
    },
  ]
}
