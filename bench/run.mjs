#!/usr/bin/env node
// Benchmarks of Fustor's hot paths against the peers named in PRODUCT.md, run in the same session
// on the same data so that ratios, not absolute times, carry the result (the machines are shared).
//
//   npm run bench                     every scenario, 1M rows, best of 3 runs
//   npm run bench -- csv-to-jsonl     one scenario
//   BENCH_ROWS=200000 BENCH_RUNS=1 npm run bench
//
// Wall time and peak RSS come from GNU time (/usr/bin/time). A peer that is not installed is
// reported as such and its ratio left out (miller: `apt-get install -y miller`).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cdcScenarios } from './cdc.mjs'
import { databaseScenarios } from './database.mjs'

const benchDir = dirname(fileURLToPath(import.meta.url))
const root = join(benchDir, '..')
const dataDir = join(benchDir, 'data')
const outDir = join(benchDir, 'out')
const fustor = join(root, 'bin', 'fustor.js')
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000)
const runs = Number(process.env.BENCH_RUNS ?? 3)
const only = process.argv.slice(2)

mkdirSync(dataDir, { recursive: true })
mkdirSync(outDir, { recursive: true })

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

const hasGnuTime = existsSync('/usr/bin/time')

/** Runs a command `runs` times; returns the best wall time and the peak RSS of that run. */
function measure(label, command, args, options = {}) {
  let best
  for (let i = 0; i < (options.runs ?? runs); i++) {
    const timeArgs = ['-f', '%e %M', command, ...args]
    const result = hasGnuTime
      ? spawnSync('/usr/bin/time', timeArgs, { cwd: options.cwd ?? benchDir, env: { ...process.env, ...options.env }, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'], maxBuffer: 1 << 26 })
      : spawnSync(command, args, { cwd: options.cwd ?? benchDir, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] })
    if (result.status !== 0) {
      throw new Error(`${label} failed (exit ${result.status}):\n${result.stderr?.toString().slice(-2000)}`)
    }
    const lines = result.stderr.toString().trim().split('\n')
    const [seconds, kib] = hasGnuTime ? lines.at(-1).split(' ').map(Number) : [NaN, NaN]
    if (!best || seconds < best.seconds) best = { seconds, rssMiB: kib / 1024 }
  }
  return best
}

function fustorRun(pipeline, env = {}, times = runs) {
  const file = join(outDir, `${pipeline.name}.yaml`)
  writeFileSync(file, pipeline.yaml)
  return measure(`fustor ${pipeline.name}`, process.execPath, [fustor, 'run', '--quiet', file], { env: { FUSTOR_HOME: join(outDir, 'home'), ...env }, runs: times })
}

function countLines(path) {
  const text = readFileSync(path)
  let count = 0
  for (let i = 0; i < text.length; i++) if (text[i] === 10) count++
  return count
}

function usersCsv(count) {
  const path = join(dataDir, `users-${count}.csv`)
  if (existsSync(path)) return path
  const pipeline = join(outDir, 'make-users.yaml')
  writeFileSync(
    pipeline,
    `input:\n  type: generate\n  config: { preset: users, count: ${count}, seed: 7 }\noutput:\n  type: csv\n  config: { path: ${path} }\nsettings: { batch_size: 5000 }\n`,
  )
  execFileSync(process.execPath, [fustor, 'run', '--quiet', pipeline], { stdio: 'inherit', env: { ...process.env, FUSTOR_HOME: join(outDir, 'home') } })
  return path
}

const scenarios = [
  {
    name: 'csv-filter-compute-rename-csv',
    describe: 'CSV -> filter age >= 30 + computed contact column + rename name -> CSV',
    bar: { throughputRatio: 1.5, memoryRatio: 0.25 },
    run() {
      const input = usersCsv(rows)
      const fustorOut = join(outDir, 'a-fustor.csv')
      const mlrOut = join(outDir, 'a-mlr.csv')
      const ours = fustorRun({
        name: 'csv-filter-compute-rename-csv',
        yaml: `input:
  type: csv
  config: { path: ${input} }
pipeline:
  processors:
    - type: filter
      config: { condition: "age >= 30" }
    - type: transform
      config:
        fields:
          - { target: contact, expression: "CONCAT(name, ' <', email, '>')" }
    - type: mapping
      config: { mappings: { name: full_name } }
output:
  type: csv
  config: { path: ${fustorOut} }
`,
      })
      let peer
      if (has('mlr')) {
        peer = measure('mlr', 'sh', ['-c', `mlr --icsv --ocsv filter '$age >= 30' then put '$contact = $name . " <" . $email . ">"' then rename name,full_name ${input} > ${mlrOut}`])
        const a = countLines(fustorOut)
        const b = countLines(mlrOut)
        if (a !== b) throw new Error(`fustor wrote ${a} lines, miller ${b}: the scenarios differ`)
      }
      return { ours, peer, peerName: 'miller' }
    },
  },
  {
    name: 'csv-to-jsonl',
    describe: 'CSV -> JSON Lines',
    bar: { throughputRatio: 1.5 },
    run() {
      const input = usersCsv(rows)
      const fustorOut = join(outDir, 'b-fustor.jsonl')
      const mlrOut = join(outDir, 'b-mlr.jsonl')
      const ours = fustorRun({
        name: 'csv-to-jsonl',
        yaml: `input:\n  type: csv\n  config: { path: ${input} }\noutput:\n  type: jsonl\n  config: { path: ${fustorOut} }\n`,
      })
      let peer
      if (has('mlr')) {
        peer = measure('mlr', 'sh', ['-c', `mlr --icsv --ojsonl cat ${input} > ${mlrOut}`])
        const a = countLines(fustorOut)
        const b = countLines(mlrOut)
        if (a !== b) throw new Error(`fustor wrote ${a} lines, miller ${b}: the scenarios differ`)
      }
      return { ours, peer, peerName: 'miller' }
    },
  },
  {
    name: 'generate-10m-processors-drop',
    describe: '10M generated rows -> filter + transform + mapping -> drop (memory bound: <= 200 MiB RSS)',
    rows: 10_000_000,
    bar: { maxRssMiB: 200 },
    run() {
      const ours = measure('fustor generate-10m-processors-drop', process.execPath, [fustor, 'run', '--quiet', join(benchDir, 'pipelines', 'generate-10m-processors-drop.yaml')], {
        env: { FUSTOR_HOME: join(outDir, 'home') },
      })
      return { ours }
    },
  },
]

const results = []
const context = { rows, runs, benchDir, dataDir, outDir, fustor, measure, fustorRun, usersCsv, has }
const allScenarios = [...scenarios, ...(await databaseScenarios(context)), ...(await cdcScenarios(context))]
for (const scenario of allScenarios) {
  if (only.length > 0 && !only.includes(scenario.name)) continue
  process.stderr.write(`\n${scenario.name}: ${scenario.describe}\n`)
  const outcome = await scenario.run()
  const { ours } = outcome
  // A scenario compares with one peer ({peer, peerName}) or several ({peers: [{name, result, bar}]}).
  const peers = outcome.peers ?? (outcome.peerName ? [{ name: outcome.peerName, result: outcome.peer, bar: scenario.bar ?? {} }] : [])
  const count = scenario.rows ?? rows
  const result = {
    scenario: scenario.name,
    rows: count,
    fustor: { seconds: ours.seconds, rows_per_s: Math.round(count / ours.seconds), rss_mib: Math.round(ours.rssMiB) },
  }
  const verdicts = []
  const lines = [`  fustor: ${result.fustor.rows_per_s.toLocaleString('en-US')} rows/s, ${result.fustor.seconds}s, ${result.fustor.rss_mib} MiB`]
  for (const peer of peers) {
    const bar = peer.bar ?? {}
    if (!peer.result) {
      result[peer.name] = peer.missing ?? 'not installed'
      lines.push(`  ${peer.name}: ${result[peer.name]}`)
      continue
    }
    const seconds = peer.result.seconds
    const entry = { seconds, rows_per_s: Math.round(count / seconds), rss_mib: Math.round(peer.result.rssMiB) }
    entry.throughput_ratio = Number((seconds / ours.seconds).toFixed(2))
    entry.time_ratio = Number((ours.seconds / seconds).toFixed(2))
    entry.memory_ratio = Number((ours.rssMiB / peer.result.rssMiB).toFixed(3))
    result[peer.name] = entry
    if (peers.length === 1) Object.assign(result, { throughput_ratio: entry.throughput_ratio, memory_ratio: entry.memory_ratio })
    if (bar.throughputRatio) verdicts.push(`${entry.throughput_ratio >= bar.throughputRatio ? 'meets' : 'MISSES'} >= ${bar.throughputRatio}x ${peer.name}'s throughput`)
    if (bar.maxTimeRatio) verdicts.push(`${entry.time_ratio <= bar.maxTimeRatio ? 'meets' : 'MISSES'} within ${bar.maxTimeRatio}x ${peer.name}'s time`)
    if (bar.memoryRatio) verdicts.push(`${entry.memory_ratio <= bar.memoryRatio ? 'meets' : 'MISSES'} <= ${bar.memoryRatio} of ${peer.name}'s memory`)
    lines.push(`  ${peer.name}: ${entry.rows_per_s.toLocaleString('en-US')} rows/s, ${seconds}s, ${entry.rss_mib} MiB  throughput ratio ${entry.throughput_ratio}x, time ratio ${entry.time_ratio}, memory ${entry.memory_ratio}`)
  }
  // A scenario may measure more than time (CDC latency): its own figures, lines and verdicts.
  if (outcome.extra) Object.assign(result, outcome.extra)
  if (outcome.lines) lines.push(...outcome.lines)
  if (outcome.verdicts) verdicts.push(...outcome.verdicts)
  const bar = scenario.bar ?? {}
  if (bar.maxRssMiB) verdicts.push(`${ours.rssMiB <= bar.maxRssMiB ? 'meets' : 'MISSES'} <= ${bar.maxRssMiB} MiB RSS`)
  result.bar = verdicts.join(', ')
  results.push(result)
  process.stderr.write(`${lines.join('\n')}\n  ${result.bar}\n`)
}
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), runs, results }, null, 2)}\n`)
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
rmSync(join(outDir, 'home'), { recursive: true, force: true })
