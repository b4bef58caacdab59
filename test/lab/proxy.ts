// The lab's caching apt proxy (apt-proxy-server.ts): a process in the root namespace, listening on the bridge
// address only, proxying the Debian archives this machine's apt sources name, and nothing else.
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CACHE_ROOT } from './config.js'
import { commandLine, isRunning, stopProcess, waitFor } from './processes.js'

export interface ProxyPlan {
  stateDir: string
  bridgeAddress: string
  proxyPort: number
}

const SERVER = fileURLToPath(new URL('./apt-proxy-server.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
// Package files never change: their cache outlives the lab, so that a new lab installs without the mirror.
export const ARCHIVE_CACHE = join(CACHE_ROOT, 'apt-archive')

const indexesDir = (lab: ProxyPlan) => join(lab.stateDir, 'apt-indexes')
export const proxyLogFile = (lab: ProxyPlan) => join(lab.stateDir, 'apt-proxy.log')

export function proxyUrl(lab: ProxyPlan): string {
  return `http://${lab.bridgeAddress}:${lab.proxyPort}/`
}

/** The archives the lab's hosts may reach: the `URIs:` of the deb822 sources the hosts get. */
export function archivesOf(aptSources: string): string[] {
  return [...aptSources.matchAll(/^URIs:\s*(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/))
}

/** Starts the proxy and returns its PID once it accepts connections. */
export async function startProxy(lab: ProxyPlan, aptSources: string, archiveCache = ARCHIVE_CACHE): Promise<number> {
  for (const dir of [archiveCache, indexesDir(lab)]) mkdirSync(dir, { recursive: true })
  const args = [
    '--import', 'tsx', SERVER,
    '--listen', `${lab.bridgeAddress}:${lab.proxyPort}`,
    '--cache', archiveCache,
    '--indexes', indexesDir(lab),
    '--log', proxyLogFile(lab),
    ...archivesOf(aptSources).flatMap((url) => ['--archive', url]),
  ]
  const output = openSync(proxyLogFile(lab), 'a')
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', output, output] })
  child.unref()
  closeSync(output)
  const pid = child.pid
  if (!pid) throw new Error('the apt proxy did not start')
  const listening = await waitFor(() => canConnect(lab.bridgeAddress, lab.proxyPort), 15_000, 200)
  if (!listening) throw new Error(`the apt proxy does not listen on ${lab.bridgeAddress}:${lab.proxyPort}:\n${tail(proxyLogFile(lab))}`)
  return pid
}

export function isLabProxy(lab: ProxyPlan, pid: number): boolean {
  const args = commandLine(pid)
  return args.includes(SERVER) && args.includes(indexesDir(lab))
}

export async function stopProxy(lab: ProxyPlan, pid: number | undefined) {
  await stopProcess(pid, (p) => isLabProxy(lab, p), 5000)
}

export function proxyIsRunning(lab: ProxyPlan, pid: number | undefined): boolean {
  return isRunning(pid) && isLabProxy(lab, pid)
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-10).join('\n')
  } catch {
    return '(no log)'
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}
