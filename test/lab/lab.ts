// What tests, the demo and benchmarks use: the running lab's facts, a loud check that it is up before anything
// connects to a lab address, and the faults a failover test needs.
import { type LabIdentity, labIdentity, labStateDir } from './config.js'
import { type HostCondition, hostCondition, labProblems } from './health.js'
import { startHost, stopHost } from './host.js'
import { waitForSsh } from './lifecycle.js'
import { routeDevice, setLinkUp } from './network.js'
import { proxyLogFile, proxyUrl } from './proxy.js'
import { type HostState, type LabState, readState, updateHost } from './state.js'
import { runOnHost, sshOptions } from './ssh.js'
import type { HostGroup } from './config.js'

export interface LabHostInfo {
  name: string
  group: HostGroup
  address: string
  state: HostCondition
}

export interface LabInfo {
  name: string
  bridge: string
  subnet: string
  bridgeAddress: string
  vip: string
  routerId: number
  proxy: string
  proxyLog: string
  keyFile: string
  knownHostsFile: string
  inventoryFile: string
  hosts: LabHostInfo[]
}

/** The lab named by KUBEPLAY_LAB_NAME (default "kubeplay"), or by `lab`. */
function state(lab?: Partial<LabIdentity>): LabState {
  const { name } = labIdentity(lab)
  const found = readState(labStateDir(name))
  if (!found) throw new Error(`lab "${name}" is not up: run \`npm run lab:up\` (no state in ${labStateDir(name)})`)
  return found
}

function host(lab: LabState, name: string): HostState {
  const found = lab.hosts.find((h) => h.name === name)
  if (!found) throw new Error(`lab ${lab.name} has no host "${name}" (hosts: ${lab.hosts.map((h) => h.name).join(', ')})`)
  return found
}

export function labInfo(lab?: Partial<LabIdentity>): LabInfo {
  const s = state(lab)
  return {
    name: s.name,
    bridge: s.bridge,
    subnet: s.subnet,
    bridgeAddress: s.bridgeAddress,
    vip: s.vip,
    routerId: s.routerId,
    proxy: proxyUrl(s),
    proxyLog: proxyLogFile(s),
    keyFile: s.keyFile,
    knownHostsFile: s.knownHostsFile,
    inventoryFile: s.inventoryFile,
    hosts: s.hosts.map((h) => ({ name: h.name, group: h.group, address: h.address, state: hostCondition(s, h) })),
  }
}

/**
 * Throws, listing every problem, unless the lab's bridge is up with its address, every lab address is routed
 * through it, the apt proxy runs and every host runs (hosts taken down by powerOff/cutNetwork excepted).
 */
export async function assertLabUp(lab?: Partial<LabIdentity>): Promise<LabInfo> {
  const s = state(lab)
  const problems = await labProblems(s)
  if (problems.length > 0) throw new Error(`lab "${s.name}" is not up:\n  - ${problems.join('\n  - ')}\nrun \`npm run lab:up\``)
  return labInfo(lab)
}

/** OpenSSH arguments for one host, ending with root@address: `ssh ...sshArgs(host) command`. */
export function sshArgs(hostName: string, lab?: Partial<LabIdentity>): string[] {
  const s = state(lab)
  return [...sshOptions(s), `root@${host(s, hostName).address}`]
}

/**
 * Runs a shell command on a host as root. Never throws on the command's failure: look at exitCode. Throws if
 * the host's address would not go through the lab's bridge (a lab that is down must not send anything out).
 */
export async function runOn(hostName: string, command: string, options: { timeoutMs?: number; lab?: Partial<LabIdentity> } = {}) {
  const s = state(options.lab)
  const h = host(s, hostName)
  const device = await routeDevice(h.address)
  if (device !== s.bridge) throw new Error(`lab "${s.name}" is not up: ${h.address} would go through ${device ?? 'no device'}, not ${s.bridge}`)
  return runOnHost(s, h, command, options.timeoutMs)
}

/** Orderly poweroff: SIGTERM to the host's nspawn, as a power button would. Its disk is kept. */
export async function powerOff(hostName: string, lab?: Partial<LabIdentity>) {
  const s = state(lab)
  const h = host(s, hostName)
  updateHost(s, h.name, { poweredOff: true })
  await stopHost(h, { keepDisk: true })
}

/** Boots a powered-off host again, with its files as they were; resolves once it answers ssh. */
export async function powerOn(hostName: string, lab?: Partial<LabIdentity>) {
  const s = state(lab)
  const h = host(s, hostName)
  await startHost(s, h, (change) => updateHost(s, h.name, change))
  await waitForSsh(s, [h])
}

/** Unplugs the host's cable: its port on the bridge goes down; the host keeps running. */
export async function cutNetwork(hostName: string, lab?: Partial<LabIdentity>) {
  const s = state(lab)
  const h = host(s, hostName)
  updateHost(s, h.name, { networkCut: true })
  await setLinkUp(h.link, false)
}

export async function restoreNetwork(hostName: string, lab?: Partial<LabIdentity>) {
  const s = state(lab)
  const h = host(s, hostName)
  await setLinkUp(h.link, true)
  updateHost(s, h.name, { networkCut: false })
}
