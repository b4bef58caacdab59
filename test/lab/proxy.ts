// The caching apt proxy (apt-cacher-ng) that hosts install through: it runs in the root namespace, listens on
// the bridge address only, and has its own config so that its Debian backend is this machine's mirror.
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { CACHE_ROOT } from './config.js'
import { commandLine, isRunning, stopProcess, waitFor } from './processes.js'

export interface ProxyPlan {
  name: string
  stateDir: string
  bridgeAddress: string
  proxyPort: number
}

const configDir = (lab: ProxyPlan) => join(lab.stateDir, 'apt-cacher-ng')

export function proxyUrl(lab: ProxyPlan): string {
  return `http://${lab.bridgeAddress}:${lab.proxyPort}/`
}

/** Starts the proxy and returns its PID once it accepts connections. */
export async function startProxy(lab: ProxyPlan, mirror: string): Promise<number> {
  const config = configDir(lab)
  // The cache outlives the lab, so that a new lab installs from it without going to the mirror again.
  const cache = join(CACHE_ROOT, 'apt', lab.name)
  const logs = join(config, 'log')
  for (const dir of [config, cache, logs]) mkdirSync(dir, { recursive: true })
  writeFileSync(join(config, 'backends_debian'), `${mirror.replace(/\/?$/, '/')}\n`)
  writeFileSync(join(config, 'acng.conf'), [
    `CacheDir: ${cache}`,
    `LogDir: ${logs}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `BindAddress: ${lab.bridgeAddress}`,
    `Port: ${lab.proxyPort}`,
    'ForeGround: 1',
    'Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian',
    'ExThreshold: 4',
    'NetworkTimeout: 30',
    // Parallel `apt-get update`s that refresh the same InRelease race on it ("Failure to move file ... out of the
    // way") and one client hangs for minutes. `up` fetches the indexes once through the proxy before any host
    // uses it, and they stay fresh for the lab's lifetime, so hosts only ever read them. (Passing Release files
    // through uncached is no way out: apt-cacher-ng then sends the Host header twice, and a strict mirror
    // answers 400 Bad Request.)
    'FreshIndexMaxAge: 21600',
    '',
  ].join('\n'))
  const output = openSync(join(logs, 'console.log'), 'a')
  const child = spawn('apt-cacher-ng', ['-c', config], { detached: true, stdio: ['ignore', output, output] })
  child.unref()
  closeSync(output)
  const pid = child.pid
  if (!pid) throw new Error('apt-cacher-ng did not start (is the apt-cacher-ng package installed?)')
  const listening = await waitFor(() => canConnect(lab.bridgeAddress, lab.proxyPort), 10_000, 200)
  if (!listening) throw new Error(`apt-cacher-ng does not listen on ${lab.bridgeAddress}:${lab.proxyPort}; see ${join(logs, 'console.log')}`)
  return pid
}

export function isLabProxy(lab: ProxyPlan, pid: number): boolean {
  const args = commandLine(pid)
  return args.some((a) => a.endsWith('apt-cacher-ng')) && args.includes(configDir(lab))
}

export async function stopProxy(lab: ProxyPlan, pid: number | undefined) {
  await stopProcess(pid, (p) => isLabProxy(lab, p), 5000)
}

export function proxyIsRunning(lab: ProxyPlan, pid: number | undefined): boolean {
  return isRunning(pid) && isLabProxy(lab, pid)
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}
