// The lab's state file: what `up` created (PIDs, cgroups, mounts), so that `down`, `status` and the tests
// find exactly that lab, also after a crash. Written after every step that starts something.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { HostPlan, LabPlan } from './config.js'

export interface HostState extends HostPlan {
  root: string
  nspawnPid?: number
  /** The host's systemd (PID 1 inside): it can outlive a force-killed nspawn. */
  initPid?: number
  /** One directory per cgroup v1 hierarchy (and the unified one) holding this host's processes. */
  cgroups?: string[]
  /** Set by powerOff/cutNetwork so that assertLabUp knows a host is down on purpose. */
  poweredOff?: boolean
  networkCut?: boolean
}

export interface LabState extends Omit<LabPlan, 'hosts'> {
  image: string
  /** Inode of the image directory when the hosts were mounted on it. */
  imageInode?: number
  proxyPid?: number
  /** Set once `up` has created the bridge: only then does `down` delete an interface of that name. */
  bridgeCreated?: boolean
  hosts: HostState[]
  startedAt: string
}

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json')
}

export function readState(stateDir: string): LabState | undefined {
  const file = stateFile(stateDir)
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as LabState
}

export function writeState(state: LabState) {
  mkdirSync(state.stateDir, { recursive: true })
  const file = stateFile(state.stateDir)
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2))
  renameSync(`${file}.tmp`, file)
}

export function updateHost(state: LabState, name: string, change: Partial<HostState>) {
  const host = state.hosts.find((h) => h.name === name)
  if (!host) throw new Error(`lab ${state.name} has no host "${name}"`)
  Object.assign(host, change)
  writeState(state)
}
