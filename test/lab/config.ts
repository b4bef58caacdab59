// The lab's identity and everything derived from it: host names, addresses, machine and link names, paths.
// Pure functions only: nothing here touches the system.
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const CACHE_ROOT = '/var/cache/kubeplay-lab'
export const STATE_ROOT = '/var/lib/kubeplay-lab'
export const DEFAULT_HOSTS = 7
export const MAX_HOSTS = 200

export interface LabIdentity {
  name: string
  bridge: string
  subnet: string
}

export type HostGroup = 'masters' | 'nodes' | 'spare'

export interface HostPlan {
  name: string
  group: HostGroup
  address: string
  /** nspawn's machine name: short, so that its `vb-<machine>` link name fits the kernel's 15 characters. */
  machine: string
  link: string
}

export interface LabPlan extends LabIdentity {
  bridgeAddress: string
  prefixLength: number
  vip: string
  routerId: number
  proxyPort: number
  stateDir: string
  keyFile: string
  knownHostsFile: string
  inventoryFile: string
  hosts: HostPlan[]
}

const DEFAULTS: LabIdentity = { name: 'kubeplay', bridge: 'kplab0', subnet: '10.77.0.0/24' }

/** Flags win over environment variables, which win over the defaults. */
export function labIdentity(flags: Partial<LabIdentity> = {}, env = process.env): LabIdentity {
  const identity: LabIdentity = {
    name: flags.name ?? env.KUBEPLAY_LAB_NAME ?? DEFAULTS.name,
    bridge: flags.bridge ?? env.KUBEPLAY_LAB_BRIDGE ?? DEFAULTS.bridge,
    subnet: flags.subnet ?? env.KUBEPLAY_LAB_SUBNET ?? DEFAULTS.subnet,
  }
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(identity.name)) throw new Error(`lab name "${identity.name}": use 1-31 of a-z, 0-9, -`)
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(identity.bridge)) throw new Error(`bridge "${identity.bridge}": not a valid interface name (max 15 chars)`)
  parseSubnet(identity.subnet)
  return identity
}

export function labStateDir(name: string): string {
  return join(STATE_ROOT, name)
}

export function planLab(identity: LabIdentity, hostCount: number): LabPlan {
  if (!Number.isInteger(hostCount) || hostCount < 4 || hostCount > MAX_HOSTS) {
    throw new Error(`--hosts ${hostCount}: use 4 to ${MAX_HOSTS} (3 masters, 1 spare, the rest nodes)`)
  }
  const { network, prefixLength } = parseSubnet(identity.subnet)
  const usable = 2 ** (32 - prefixLength) - 2
  if (10 + hostCount > usable) throw new Error(`subnet ${identity.subnet} is too small for ${hostCount} hosts`)
  const address = (offset: number) => formatIPv4(network + offset)
  const stateDir = labStateDir(identity.name)
  return {
    ...identity,
    bridgeAddress: address(1),
    prefixLength,
    vip: address(10),
    routerId: 1 + (parseInt(shortHash(identity.name, 4), 16) % 255),
    proxyPort: 31000 + (parseInt(shortHash(`${identity.name}/proxy`, 4), 16) % 1000),
    stateDir,
    keyFile: join(stateDir, 'id_ed25519'),
    knownHostsFile: join(stateDir, 'known_hosts'),
    inventoryFile: join(REPO_ROOT, '.kubeplay', 'labs', identity.name, 'hosts.ts'),
    hosts: hostNames(hostCount).map(({ name, group }, i) => {
      const machine = `${machinePrefix(identity.name)}${String(i + 1).padStart(2, '0')}`
      return { name, group, address: address(11 + i), machine, link: `vb-${machine}` }
    }),
  }
}

/** Machine names of one lab share this prefix; another lab's differ (checked at `up`). */
export function machinePrefix(labName: string): string {
  return `kpl${shortHash(labName, 4)}-`
}

function hostNames(count: number): { name: string; group: HostGroup }[] {
  const two = (n: number) => String(n).padStart(2, '0')
  const masters = [1, 2, 3].map((n) => ({ name: `kube-master${two(n)}`, group: 'masters' as const }))
  const nodes = Array.from({ length: count - 4 }, (_, i) => ({ name: `kube-node${two(i + 1)}`, group: 'nodes' as const }))
  return [...masters, ...nodes, { name: 'kube-spare01', group: 'spare' }]
}

function parseSubnet(subnet: string): { network: number; prefixLength: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet)
  const octets = m ? m.slice(1, 5).map(Number) : []
  const prefixLength = m ? Number(m[5]) : NaN
  if (!m || octets.some((o) => o > 255) || prefixLength < 8 || prefixLength > 26) {
    throw new Error(`subnet "${subnet}": use an IPv4 network like 10.77.0.0/24 (prefix /8 to /26)`)
  }
  const [a, b, c, d] = octets
  const value = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
  const mask = (0xffffffff << (32 - prefixLength)) >>> 0
  if ((value & mask) >>> 0 !== value) throw new Error(`subnet "${subnet}": host bits are set; did you mean ${formatIPv4((value & mask) >>> 0)}/${prefixLength}?`)
  return { network: value, prefixLength }
}

function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.')
}

export function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length)
}
