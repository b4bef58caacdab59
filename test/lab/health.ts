// What is wrong with a running lab, if anything: used by `up` (reuse or rebuild), `status` and assertLabUp.
import { isHostNspawn } from './host.js'
import { imageIdentity } from './image.js'
import { bridgeOf, linkExists, linkIsUp, routeDevice } from './network.js'
import { isNamespaceInit, isRunning } from './processes.js'
import { proxyIsRunning } from './proxy.js'
import type { HostState, LabState } from './state.js'
import { sh } from './shell.js'

export type HostCondition = 'running' | 'powered-off' | 'network-cut' | 'down'

export function hostCondition(lab: LabState, host: HostState): HostCondition {
  const alive = isRunning(host.nspawnPid) && isHostNspawn(host, host.nspawnPid) && isRunning(host.initPid) && isNamespaceInit(host.initPid)
  if (!alive) return host.poweredOff ? 'powered-off' : 'down'
  if (bridgeOf(host.link) !== lab.bridge) return 'down'
  if (!linkIsUp(host.link)) return host.networkCut ? 'network-cut' : 'down'
  return 'running'
}

export async function labProblems(lab: LabState): Promise<string[]> {
  const problems: string[] = []
  if (!linkExists(lab.bridge)) return [`bridge ${lab.bridge} does not exist`]
  if (!linkIsUp(lab.bridge)) problems.push(`bridge ${lab.bridge} is down`)
  const bridgeAddresses = await sh({ nothrow: true })`ip -4 -o addr show dev ${lab.bridge}`
  if (!bridgeAddresses.stdout.includes(` ${lab.bridgeAddress}/`)) problems.push(`bridge ${lab.bridge} lacks its address ${lab.bridgeAddress}`)
  // The safety check: a lab address must be reached through the lab's bridge, never the default route.
  const addresses = [lab.vip, ...lab.hosts.map((h) => h.address)]
  const devices = await Promise.all(addresses.map(routeDevice))
  addresses.forEach((address, i) => {
    if (devices[i] !== lab.bridge) problems.push(`${address} would be sent through ${devices[i] ?? 'no device'}, not ${lab.bridge}`)
  })
  if (imageIdentity(lab.image) !== lab.imageInode) problems.push(`base image ${lab.image} was removed or replaced under the running hosts`)
  if (!proxyIsRunning(lab, lab.proxyPid)) problems.push(`apt proxy (PID ${lab.proxyPid ?? 'none'}) is not running`)
  for (const host of lab.hosts) {
    const condition = hostCondition(lab, host)
    if (condition === 'down') problems.push(`host ${host.name} is down`)
  }
  return problems
}
