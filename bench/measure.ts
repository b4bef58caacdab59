// Runs a command and measures it: wall time, and the CPU time of it and every process it starts, including
// daemons that outlive it (Ansible's ssh ControlMasters), through a cgroup v1 cpuacct group per tool.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'

const CPUACCT = '/sys/fs/cgroup/cpuacct'
const groupRoot = join(CPUACCT, `kubeplay-bench-${process.pid}`)

export interface Measured {
  exitCode: number
  wallMs: number
  /** CPU of the tool's processes on this machine (the runner), not of the hosts. */
  cpuMs: number | undefined
}

export interface RunSpec {
  /** The cpuacct group: one per tool, so a daemon one run leaves is charged to its own tool. */
  group: string
  command: string
  args: string[]
  env?: Record<string, string>
  stdin?: string
  /** stdout and stderr go here (the file is truncated first). */
  logFile: string
  cwd?: string
}

export async function measure(spec: RunSpec): Promise<Measured> {
  const group = cgroupFor(spec.group)
  const before = group ? cpuNs(group) : 0
  const output = openSync(spec.logFile, 'w')
  const started = performance.now()
  // The wrapper puts itself in the group, then becomes the command: every descendant is counted.
  const args = group ? ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', group, spec.command, ...spec.args] : ['-c', 'exec "$@"', 'sh', spec.command, ...spec.args]
  const child = spawn('sh', args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', output, output],
  })
  if (spec.stdin !== undefined) child.stdin!.end(spec.stdin)
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
  const wallMs = performance.now() - started
  closeSync(output)
  return { exitCode, wallMs, cpuMs: group ? (cpuNs(group) - before) / 1e6 : undefined }
}

function cgroupFor(name: string): string | undefined {
  if (!existsSync(CPUACCT)) return undefined
  const dir = join(groupRoot, name)
  try {
    mkdirSync(dir, { recursive: true })
    return dir
  } catch {
    return undefined
  }
}

function cpuNs(group: string): number {
  return Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8').trim())
}

/** The pids still in a tool's group (daemons left behind), so the caller can end them. */
export function leftoverPids(name: string): number[] {
  const procs = join(groupRoot, name, 'cgroup.procs')
  if (!existsSync(procs)) return []
  return readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number)
}

/**
 * Removes the groups, and empty ones that earlier bench runs (dead processes) left. A group that still holds a
 * process stays (the kernel refuses) and is reported.
 */
export function removeGroups(names: string[]): string[] {
  removeStaleGroups()
  const kept: string[] = []
  for (const name of names) {
    const dir = join(groupRoot, name)
    if (!existsSync(dir)) continue
    try {
      rmdirSync(dir)
    } catch {
      kept.push(dir)
    }
  }
  try {
    if (existsSync(groupRoot)) rmdirSync(groupRoot)
  } catch {
    kept.push(groupRoot)
  }
  return kept
}

function removeStaleGroups() {
  if (!existsSync(CPUACCT)) return
  for (const entry of readdirSync(CPUACCT)) {
    const pid = Number(/^kubeplay-bench-(\d+)$/.exec(entry)?.[1])
    if (!pid || pid === process.pid || isRunning(pid)) continue
    try {
      for (const group of readdirSync(join(CPUACCT, entry), { withFileTypes: true })) {
        if (group.isDirectory()) rmdirSync(join(CPUACCT, entry, group.name))
      }
      rmdirSync(join(CPUACCT, entry))
    } catch {
      // still holds a process: left alone
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
