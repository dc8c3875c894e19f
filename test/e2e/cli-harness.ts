/**
 * Runs the built `fustor` binary as users do: a child process, a working directory, an environment.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const FUSTOR = join(ROOT, 'bin', 'fustor.js')

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Peak resident set size of the process, in MiB, sampled from /proc while it ran (Linux). */
  readonly peakRssMiB: number
}

export function workspace(prefix = 'fustor-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export interface Started {
  readonly child: ChildProcess
  readonly done: Promise<CliResult>
}

export function start(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Started {
  const child = spawn(process.execPath, [FUSTOR, ...args], {
    cwd: options.cwd,
    env: { ...process.env, FUSTOR_HOME: join(options.cwd, '.fustor'), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let peakKiB = 0
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  child.stdin!.end(options.stdin ?? '')
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const match = /VmHWM:\s+(\d+) kB/.exec(status)
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]))
    } catch {
      // The process just ended: its last sample stands.
    }
  }, 20)
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearInterval(sampler)
      resolve({ code, signal, stdout, stderr, peakRssMiB: peakKiB / 1024 })
    })
  })
  return { child, done }
}

export function fustor(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<CliResult> {
  return start(args, options).done
}
