// Runs a task or play file the way an operator does (`tsx tasks/x.ts --flags`) and captures what it prints.
import { spawn } from 'node:child_process'
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
  return new Promise((resolve, reject) => {
    const { FORCE_COLOR: _, ...inherited } = process.env
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      env: { ...inherited, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      const logFile = /^log: (.+)$/m.exec(stdout)?.[1]
      resolve({ code, stdout, stderr, output: stdout + stderr, logFile, log: () => (logFile ? readFileSync(logFile, 'utf8') : '') })
    })
  })
}

/** Writes an inventory module under .kubeplay/test/ and returns its path. */
export function writeInventory(name: string, inventory: unknown): string {
  const dir = join('.kubeplay', 'test')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.ts`)
  writeFileSync(path, `export default ${JSON.stringify(inventory, null, 2)}\n`)
  return path
}
