// The few ~/.ssh/config settings kubeplay honours: HostName, User, Port, IdentityFile, ProxyJump.
//
// Precedence, per setting: the inventory wins wherever it sets a value; ~/.ssh/config fills only what the
// inventory leaves unset; then OpenSSH's defaults. parseInventory() always fills `address`, `user` (root) and
// `port` (22), so for an inventory Host the ssh config contributes IdentityFile (tried after the inventory key)
// and ProxyJump (when the host has no `jump`). Sections are matched against the inventory host *name*, as
// `ssh <name>` would; `Match exec` is never evaluated.
import { readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import SSHConfig from 'ssh-config'

export interface SshConfigEntry {
  hostName?: string
  user?: string
  port?: number
  identityFiles: string[]
  proxyJump?: string
}

/** What a connection needs, after merging the inventory with the ssh config. */
export interface SshTarget {
  address: string
  user: string
  port: number
  /** Key files to try, in order: the inventory key, then IdentityFile entries. */
  keyFiles: string[]
  /** [user@]host[:port], possibly a comma-separated chain (first hop first). */
  jump?: string
}

/** The inventory's side: any field may be unset. */
export interface HostSettings {
  name: string
  address?: string
  user?: string
  port?: number
  key?: string
  jump?: string
}

export const defaultSshConfigFile = () => `${homedir()}/.ssh/config`

/** Reads the entry for `alias` from an ssh config file; a missing file gives an empty entry. */
export function readSshConfig(alias: string, file: string = defaultSshConfigFile()): SshConfigEntry {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return { identityFiles: [] }
  }
  return sshConfigEntry(text, alias)
}

export function sshConfigEntry(configText: string, alias: string): SshConfigEntry {
  const values = SSHConfig.parse(configText).compute(alias, { ignoreCase: true, matchExec: false })
  const first = (key: string) => {
    const value = values[key]
    return Array.isArray(value) ? value[0] : value
  }
  const user = first('user')
  const port = first('port')
  const hostName = first('hostname')
  const proxyJump = first('proxyjump')
  const expand = (path: string) => expandTokens(path, { alias, hostName: hostName ?? alias, user })
  return {
    hostName: hostName === undefined ? undefined : expandTokens(hostName, { alias, hostName: alias, user }),
    user,
    port: port === undefined ? undefined : Number(port),
    identityFiles: [values.identityfile ?? []].flat().filter((f) => f.toLowerCase() !== 'none').map(expand),
    proxyJump: proxyJump === undefined || proxyJump.toLowerCase() === 'none' ? undefined : proxyJump,
  }
}

/** Merges inventory settings (winning) with an ssh config entry (filling gaps) and OpenSSH defaults. */
export function resolveTarget(host: HostSettings, entry: SshConfigEntry): SshTarget {
  const keyFiles = [...new Set([host.key, ...entry.identityFiles].filter((f): f is string => !!f).map(expandHome))]
  return {
    address: host.address ?? entry.hostName ?? host.name,
    user: host.user ?? entry.user ?? userInfo().username,
    port: host.port ?? entry.port ?? 22,
    keyFiles,
    jump: host.jump ?? entry.proxyJump,
  }
}

/** Parses one jump hop "[user@]host[:port]" (also "[v6addr]:port"). */
export function parseJump(spec: string): { user?: string; address: string; port?: number } {
  const at = spec.lastIndexOf('@')
  const user = at >= 0 ? spec.slice(0, at) : undefined
  const rest = spec.slice(at + 1)
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(rest)
  if (bracketed) return { user, address: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : undefined }
  const hostPort = /^([^:]+):(\d+)$/.exec(rest)
  if (hostPort) return { user, address: hostPort[1], port: Number(hostPort[2]) }
  return { user, address: rest }
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path
}

// The ssh_config(5) tokens that make sense here: %d %h %n %r %u %%.
function expandTokens(value: string, context: { alias: string; hostName: string; user?: string }): string {
  const tokens: Record<string, string> = {
    d: homedir(),
    h: context.hostName,
    n: context.alias,
    r: context.user ?? userInfo().username,
    u: userInfo().username,
    '%': '%',
  }
  return expandHome(value.replace(/%([dhnru%])/g, (_, token: string) => tokens[token]))
}
