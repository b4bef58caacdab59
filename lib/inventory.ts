// The inventory: typed in hosts.ts, validated before any host is touched.
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
// zod's v3 API (shipped in zod 4): its classic v4 API loads ~90 modules (every locale) at start-up, ~60 ms of
// every run under tsx; v3 loads a handful.
import { z } from 'zod/v3'

const hostName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -)')
const address = z.string().refine((s) => isIP(s) !== 0, 'is not a valid IP address')
const port = z.number().int('must be an integer').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535')
const cidr = z.string().refine(isCidr, 'is not a valid CIDR subnet (e.g. 10.244.0.0/16)')
// A jump host: [user@]host[:port]
const jump = z.string().regex(/^([a-z_][a-z0-9_.-]*@)?[A-Za-z0-9.:_-]+(:\d+)?$/, 'must look like [user@]host[:port]')

const ssh = z.strictObject({
  user: z.string().min(1).optional(),
  port: port.optional(),
  key: z.string().min(1).optional(),
  jump: jump.optional(),
})

const hostSpec = ssh.extend({
  address,
  vars: z.record(z.string(), z.unknown()).optional(),
})

const sshDefaults = ssh.extend({
  knownHosts: z.string().min(1).optional(),
  connectTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  // Name of an environment variable holding the sudo password for non-root users.
  sudoPasswordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
})

const cluster = z.strictObject({
  kubernetesVersion: z.string().regex(/^v?1\.\d{1,2}\.\d{1,3}$/, 'must be a Kubernetes version like 1.34.2'),
  podSubnet: cidr.default('10.244.0.0/16'),
  serviceSubnet: cidr.default('10.96.0.0/12'),
  apiPort: port.default(6443),
  lbPort: port.default(16443),
  etcd: z.enum(['stacked', 'external']).default('stacked'),
  name: hostName.default('kubernetes'),
})

const packages = z.strictObject({
  // Where kubelet/kubeadm/kubectl come from: pkgs.k8s.io (default), a mirror of it, or 'none' when the
  // site installs them some other way (air-gapped sites, the lab's stand-ins).
  kubernetesRepo: z.union([
    z.literal('none'),
    z.strictObject({ url: z.string().url('must be a URL'), keyUrl: z.string().url('must be a URL').optional() }),
  ]).optional(),
  registryMirrors: z.record(z.string(), z.array(z.string().url('must be a URL'))).optional(),
})

const inventoryShape = z.strictObject({
  ssh: sshDefaults.optional(),
  hosts: z.record(z.string(), hostSpec),
  groups: z.object({ masters: z.array(z.string()), nodes: z.array(z.string()) }).catchall(z.array(z.string())),
  vip: z.strictObject({
    address,
    interface: z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, 'must be a network interface name'),
    routerId: z.number().int().min(1, 'must be between 1 and 255').max(255, 'must be between 1 and 255'),
    /** VRRP to the other masters' addresses instead of multicast (clouds and switches that drop multicast). */
    unicast: z.boolean().optional(),
  }),
  cluster,
  packages: packages.optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
})
export const inventorySchema = inventoryShape.superRefine(checkRelations)

export type InventoryInput = z.input<typeof inventoryShape>
type Parsed = z.output<typeof inventoryShape>

export interface Host {
  name: string
  address: string
  /** As the inventory gives them; unset ones come from ~/.ssh/config, then OpenSSH's defaults. */
  user?: string
  port?: number
  key?: string
  jump?: string
  groups: string[]
  vars: Record<string, unknown>
}

export interface Inventory {
  hosts: Host[]
  groups: Record<string, string[]>
  vip: Parsed['vip']
  cluster: Parsed['cluster']
  packages: NonNullable<Parsed['packages']>
  ssh: NonNullable<Parsed['ssh']>
  vars: Record<string, unknown>
  /** The file it was loaded from, when known. */
  source?: string
}

export class InventoryError extends Error {
  constructor(readonly problems: string[], source?: string) {
    super(`invalid inventory${source ? ` ${source}` : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'InventoryError'
  }
}

/** Used in hosts.ts: checks the inventory's shape at compile time and its meaning at load time. */
export function defineInventory(input: InventoryInput): InventoryInput {
  return input
}

export function parseInventory(input: unknown, source?: string): Inventory {
  const result = inventorySchema.safeParse(input)
  if (!result.success) {
    throw new InventoryError(result.error.issues.map(formatIssue), source)
  }
  const inv = result.data
  const hosts = Object.entries(inv.hosts).map(([name, spec]): Host => ({
    name,
    address: spec.address,
    user: spec.user ?? inv.ssh?.user,
    port: spec.port ?? inv.ssh?.port,
    key: spec.key ?? inv.ssh?.key,
    jump: spec.jump ?? inv.ssh?.jump,
    groups: Object.keys(inv.groups).filter((g) => inv.groups[g].includes(name)),
    vars: { ...inv.vars, ...spec.vars },
  }))
  return {
    hosts,
    groups: inv.groups,
    vip: inv.vip,
    cluster: inv.cluster,
    packages: inv.packages ?? {},
    ssh: inv.ssh ?? {},
    vars: inv.vars ?? {},
    source,
  }
}

function formatIssue(issue: z.ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(top level)'
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${path === '(top level)' ? k : `${path}.${k}`}: unknown field (a typo?)`).join('\n  - ')
  }
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return `${path}: is required`
  return `${path}: ${issue.message}`
}

function checkRelations(inv: Parsed, ctx: z.RefinementCtx) {
  const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message })
  const names = Object.keys(inv.hosts)
  for (const name of names) {
    if (!hostName.safeParse(name).success) problem(['hosts', name], 'host name must be a lowercase DNS label (a-z, 0-9, -)')
  }
  if (names.length === 0) problem(['hosts'], 'at least one host is required')

  const byAddress = new Map<string, string>()
  for (const [name, spec] of Object.entries(inv.hosts)) {
    const other = byAddress.get(spec.address)
    if (other) problem(['hosts', name, 'address'], `${spec.address} is also the address of ${other}`)
    else byAddress.set(spec.address, name)
  }
  const vipOwner = byAddress.get(inv.vip.address)
  if (vipOwner) problem(['vip', 'address'], `${inv.vip.address} is the address of host ${vipOwner}; the VIP must be a free address`)

  for (const [group, members] of Object.entries(inv.groups)) {
    const seen = new Set<string>()
    members.forEach((member, i) => {
      if (!(member in inv.hosts)) problem(['groups', group, i], `names unknown host "${member}"`)
      if (seen.has(member)) problem(['groups', group, i], `lists "${member}" twice`)
      seen.add(member)
    })
  }
  const masters = inv.groups.masters ?? []
  if (masters.length === 0) problem(['groups', 'masters'], 'at least one master is required')
  else if (masters.length % 2 === 0) problem(['groups', 'masters'], `has ${masters.length} masters; use an odd number (1, 3, 5) so etcd keeps quorum`)
  for (const m of masters) {
    if ((inv.groups.nodes ?? []).includes(m)) problem(['groups', 'nodes'], `"${m}" is already a master`)
  }
  if (inv.cluster.apiPort === inv.cluster.lbPort) problem(['cluster', 'lbPort'], 'must differ from cluster.apiPort: both listen on the masters')
  if (inv.cluster.podSubnet === inv.cluster.serviceSubnet) problem(['cluster', 'serviceSubnet'], 'must not equal cluster.podSubnet')
}

function isCidr(s: string): boolean {
  const m = /^(.+)\/(\d{1,3})$/.exec(s)
  if (!m) return false
  const family = isIP(m[1])
  const bits = Number(m[2])
  return family !== 0 && bits <= (family === 4 ? 32 : 128)
}

/** Kubernetes minor version as pkgs.k8s.io names it, e.g. "v1.34". */
export function minorVersion(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.')
  return `v${major}.${minor}`
}

export function hostsIn(inv: Inventory, group: string): Host[] {
  return inv.hosts.filter((h) => h.groups.includes(group))
}

/** Loads an inventory module (hosts.ts) and validates its default export. */
export async function loadInventory(file: string): Promise<Inventory> {
  const path = resolve(file)
  if (!existsSync(path)) throw new InventoryError([`${file}: file not found`])
  let mod: { default?: unknown }
  try {
    mod = await import(pathToFileURL(path).href)
  } catch (err) {
    throw new InventoryError([`${file}: cannot be loaded: ${(err as Error).message}`])
  }
  if (mod.default === undefined) throw new InventoryError([`${file}: has no default export (export default defineInventory({...}))`])
  return parseInventory(mod.default, file)
}
