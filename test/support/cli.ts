// Runs a task or play file the way an operator does (`tsx tasks/x.ts --flags`) and captures what it prints.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** stdout + stderr */
  output: string
  /** The run log's path, from the last line the CLI prints. */
  logFile?: string
  log(): string
}

export function runKubeplay(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<CliRun> {
  return startKubeplay(file, args, env, timeoutMs).done
}

export interface StartedRun {
  child: ChildProcess
  /** Output so far. */
  output(): string
  done: Promise<CliRun>
}

/**
 * Starts a run and returns at once (to signal it mid-run). Runs lock hosts with a lock file per test process
 * unless `env` names one: on the local sshd every "host" is this machine, shared with other test runs.
 */
export function startKubeplay(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): StartedRun {
  const { FORCE_COLOR: _, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    env: { ...inherited, NO_COLOR: '1', KUBEPLAY_RUN_LOCK: testRunLock(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const done = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      const logFile = /^log: (.+)$/m.exec(stdout)?.[1]
      resolve({ code, stdout, stderr, output: stdout + stderr, logFile, log: () => (logFile ? readFileSync(logFile, 'utf8') : '') })
    })
  })
  return { child, output: () => stdout + stderr, done }
}

/** The run lock path the runs of this test process use. */
export function testRunLock(): string {
  return `/run/kubeplay-test-${process.pid}.lock`
}

/** Writes an inventory module under .kubeplay/test/ and returns its path. */
export function writeInventory(name: string, inventory: unknown): string {
  const dir = join('.kubeplay', 'test')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.ts`)
  writeFileSync(path, `export default ${JSON.stringify(inventory, null, 2)}\n`)
  return path
}
