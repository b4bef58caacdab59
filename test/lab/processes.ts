// Processes the lab started, identified by the PIDs it recorded and checked before any signal is sent:
// a recycled PID must never be killed.
import { readFileSync } from 'node:fs'

export function isRunning(pid: number | undefined): pid is number {
  if (!pid) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return []
  }
}

export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** True for the PID 1 of a PID namespace below ours, such as a host's systemd. */
export function isNamespaceInit(pid: number): boolean {
  try {
    const nspid = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].trim().split(/\s+/) ?? []
    return nspid.length > 1 && nspid[nspid.length - 1] === '1'
  } catch {
    return false
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(intervalMs)
  }
}

/**
 * Sends SIGTERM to a process that `isOurs` confirms, waits up to graceMs, then SIGKILL.
 * Returns false if the PID is no longer (or never was) ours: nothing is signalled then.
 */
export async function stopProcess(pid: number | undefined, isOurs: (pid: number) => boolean, graceMs: number): Promise<boolean> {
  if (!isRunning(pid) || !isOurs(pid)) return false
  process.kill(pid, 'SIGTERM')
  if (await waitFor(() => !isRunning(pid), graceMs)) return true
  if (isRunning(pid) && isOurs(pid)) process.kill(pid, 'SIGKILL')
  await waitFor(() => !isRunning(pid), 5000)
  return true
}
