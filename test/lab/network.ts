// The lab's bridge in the root namespace. Hosts hang on it through nspawn's `vb-<machine>` links.
// No NAT and no forwarding: the bridge only carries traffic between the hosts and the root namespace.
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { sh } from './shell.js'

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`)
}

/** Administratively up (IFF_UP), whatever the carrier: a bridge without ports has none. */
export function linkIsUp(name: string): boolean {
  if (!linkExists(name)) return false
  return (parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), 16) & 1) === 1
}

/** The bridge a link is a port of. */
export function bridgeOf(link: string): string | undefined {
  const master = `/sys/class/net/${link}/master`
  return existsSync(master) ? basename(readlinkSync(master)) : undefined
}

/** The device the kernel would send a packet to this address through. */
export async function routeDevice(address: string): Promise<string | undefined> {
  const out = await sh`ip -j route get ${address}`.nothrow()
  if (out.exitCode !== 0) return undefined
  return (JSON.parse(out.stdout) as { dev?: string }[])[0]?.dev
}

/**
 * Called before anything is recorded or created: after this lab's own leftovers are cleared, an existing
 * interface of that name or a subnet in use belongs to someone else.
 */
export async function assertBridgeAvailable(bridge: string, subnet: string) {
  if (linkExists(bridge)) throw new Error(`interface ${bridge} already exists and is not this lab's; pick another with --bridge or KUBEPLAY_LAB_BRIDGE`)
  const addresses = await sh`ip -j -4 addr show to ${subnet}`
  const routes = await sh`ip -j -4 route show ${subnet}`
  if (addresses.stdout.includes('"ifname"') || routes.stdout.includes('"dev"')) {
    throw new Error(`subnet ${subnet} is already in use on this machine; pick another with --subnet or KUBEPLAY_LAB_SUBNET`)
  }
}

export async function createBridge(bridge: string, address: string, prefixLength: number) {
  await sh`ip link add name ${bridge} type bridge mcast_snooping 0`
  const ipv6 = `/proc/sys/net/ipv6/conf/${bridge}/disable_ipv6`
  if (existsSync(ipv6)) writeFileSync(ipv6, '1')
  await sh`ip addr add ${address}/${prefixLength} dev ${bridge}`
  await sh`ip link set ${bridge} up`
}

export async function deleteLink(name: string) {
  if (linkExists(name)) await sh`ip link del ${name}`.nothrow()
}

export async function setLinkUp(name: string, up: boolean) {
  await sh`ip link set ${name} ${up ? 'up' : 'down'}`
}
