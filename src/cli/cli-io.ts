/**
 * What a command may touch of the outside world, so that commands run the same from the `fustor`
 * binary and from tests.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }
}

/** Exit codes, documented in `fustor --help` and docs/cli.md. */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130

/** FUSTOR_HOME: `--home`, else the environment variable, else ~/.fustor. */
export function fustorHome(io: CliIo, flag?: string): string {
  if (flag) return resolve(io.cwd, flag)
  const fromEnv = io.env.FUSTOR_HOME
  return fromEnv ? resolve(io.cwd, fromEnv) : join(homedir(), '.fustor')
}

/** A usage mistake: wrong flags or arguments. Printed with the command's usage line; exit 2. */
export class UsageError extends Error {}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`)
}
