// Bringing a lab up and down. Both first clear whatever a crashed earlier run of the same lab left behind.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type LabIdentity, type LabPlan, STATE_ROOT, labStateDir, machinePrefix, planLab } from './config.js'
import { labProblems } from './health.js'
import { hostDir, mountsUnder, prepareHost, startHost, stopHost } from './host.js'
import { ensureImage, imageDir, imageIdentity, imageRecipe, pruneImages } from './image.js'
import { writeInventory } from './inventory-file.js'
import { raiseInotifyLimit, restoreInotifyLimitIfLastLab } from './limits.js'
import { assertBridgeAvailable, createBridge, deleteLink } from './network.js'
import { withLock } from './lock.js'
import { waitFor } from './processes.js'
import { startProxy, stopProxy } from './proxy.js'
import { sh } from './shell.js'
import { runOnHost } from './ssh.js'
import { type LabState, readState, updateHost, writeState } from './state.js'

export type Log = (line: string) => void

export interface UpOptions { hosts: number; fresh?: boolean; log: Log }

export interface UpResult { state: LabState; reused: boolean; imageBuildSeconds?: number; sshReadySeconds?: number }

export async function labUp(identity: LabIdentity, options: UpOptions): Promise<UpResult> {
  const plan = planLab(identity, options.hosts)
  return withLock(lockFile(identity), options.log, () => up(identity, plan, options))
}

async function up(identity: LabIdentity, plan: LabPlan, options: UpOptions): Promise<UpResult> {
  const existing = readState(plan.stateDir)
  if (existing && !options.fresh && await isReusable(existing, options.hosts)) {
    options.log(`lab ${plan.name} is already up with ${options.hosts} hosts`)
    return { state: existing, reused: true }
  }
  await down(identity, options.log)
  const others = otherLabs(plan.name)
  refuseClash(plan, others)
  await assertBridgeAvailable(plan.bridge, plan.subnet)

  const image = await ensureImage(options.log)
  pruneImages(image.dir, others.map((o) => o.image), options.log)
  const state: LabState = {
    ...plan,
    routerId: freeRouterId(plan.routerId, others),
    image: image.dir,
    imageInode: imageIdentity(image.dir),
    hosts: plan.hosts.map((h) => ({ ...h, root: join(hostDir(plan, h), 'root') })),
    startedAt: new Date().toISOString(),
  }
  writeState(state) // from here on, `down` can undo every step even if this process dies
  raiseInotifyLimit(options.hosts + others.reduce((sum, other) => sum + other.hosts.length, 0))
  await createBridge(state.bridge, state.bridgeAddress, state.prefixLength)
  state.bridgeCreated = true
  state.proxyPid = await startProxy(state, imageRecipe().aptSources)
  writeState(state)
  await sh`ssh-keygen -q -t ed25519 -N '' -C ${`kubeplay-lab-${state.name}`} -f ${state.keyFile}`

  options.log(`starting ${state.hosts.length} hosts on ${state.bridge} (${state.subnet})`)
  const started = Date.now()
  const hostKeys = await Promise.all(state.hosts.map((host) => prepareHost(state, host)))
  writeFileSync(state.knownHostsFile, state.hosts.map((h, i) => `${h.address} ${hostKeys[i]}\n`).join(''))
  await Promise.all(state.hosts.map((host) => startHost(state, host, (change) => updateHost(state, host.name, change))))
  await waitForSsh(state)
  const sshReadySeconds = (Date.now() - started) / 1000
  options.log(`${state.hosts.length} hosts answer ssh after ${sshReadySeconds.toFixed(1)} s`)
  await warmAptIndexes(state, options.log)
  await writeInventory(state)
  return { state, reused: false, imageBuildSeconds: image.builtInSeconds, sshReadySeconds }
}

async function isReusable(lab: LabState, hosts: number): Promise<boolean> {
  if (lab.hosts.length !== hosts || lab.image !== imageDir(imageRecipe())) return false
  if (lab.hosts.some((h) => h.poweredOff || h.networkCut)) return false
  return (await labProblems(lab)).length === 0 && existsSync(lab.inventoryFile)
}

/** One `apt-get update` at `up`: a mirror that cannot be reached fails the lab here, not in the first test. */
async function warmAptIndexes(lab: LabState, log: Log) {
  const first = lab.hosts[0]
  for (let attempt = 1; attempt <= 3; attempt++) {
    const result = await runOnHost(lab, first, 'apt-get update -q', 180_000)
    if (result.exitCode === 0) return
    log(`warming the apt proxy from ${first.name} failed (try ${attempt} of 3): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`)
  }
  throw new Error(`the lab's apt proxy cannot reach the Debian mirror: apt-get update on ${first.name} failed 3 times`)
}

export async function waitForSsh(lab: LabState, hosts = lab.hosts, timeoutMs = 90_000) {
  const failed: string[] = []
  await Promise.all(hosts.map(async (host) => {
    const ready = await waitFor(async () => (await runOnHost(lab, host, 'true', 10_000)).exitCode === 0, timeoutMs, 300)
    if (!ready) failed.push(host.name)
  }))
  if (failed.length > 0) {
    const last = await runOnHost(lab, hosts.find((h) => h.name === failed[0])!, 'true', 10_000)
    throw new Error(`hosts do not answer ssh after ${timeoutMs / 1000} s: ${failed.join(', ')} (${last.stderr.trim()})`)
  }
}

function otherLabs(name: string): LabState[] {
  if (!existsSync(STATE_ROOT)) return []
  return readdirSync(STATE_ROOT).flatMap((entry) => {
    const other = entry === name ? undefined : readState(join(STATE_ROOT, entry))
    return other ? [other] : []
  })
}

// Another lab with the same bridge, subnet or machine names would tangle the two.
function refuseClash(plan: LabPlan, others: LabState[]) {
  for (const other of others) {
    const clash = other.bridge === plan.bridge ? `bridge ${plan.bridge}`
      : other.subnet === plan.subnet ? `subnet ${plan.subnet}`
      : machinePrefix(other.name) === machinePrefix(plan.name) ? `machine names ${machinePrefix(plan.name)}*`
      : undefined
    if (clash) throw new Error(`lab "${other.name}" already uses ${clash}; give this lab another --name, --bridge or --subnet`)
  }
}

// Labs sit on separate bridges, so VRRP adverts cannot meet; distinct ids still keep captures unambiguous.
function freeRouterId(preferred: number, others: LabState[]): number {
  const used = new Set(others.map((o) => o.routerId))
  let id = preferred
  while (used.has(id)) id = (id % 255) + 1
  return id
}

/** Stops every host and the proxy by their recorded PIDs, removes links, mounts, cgroups, bridge and state. */
export async function labDown(identity: LabIdentity, log: Log) {
  await withLock(lockFile(identity), log, () => down(identity, log))
}

// Next to the state directory, not in it: `down` removes that.
const lockFile = (identity: LabIdentity) => `${labStateDir(identity.name)}.lock`

async function down(identity: LabIdentity, log: Log) {
  const stateDir = labStateDir(identity.name)
  const state = readState(stateDir)
  if (state) {
    log(`stopping lab ${state.name} (${state.hosts.length} hosts)`)
    await Promise.all(state.hosts.map((host) => stopHost(host, { keepDisk: false })))
    await stopProxy(state, state.proxyPid)
  }
  await sweepLeftovers(identity, state)
  const mounts = mountsUnder(stateDir)
  if (mounts.length > 0) throw new Error(`still mounted, state kept: ${mounts.join(', ')}`)
  rmSync(stateDir, { recursive: true, force: true })
  if (state) rmSync(dirname(state.inventoryFile), { recursive: true, force: true })
  restoreInotifyLimitIfLastLab()
}

// Whatever a crash left without a record: mounts under the lab's state dir, its machines' links, its bridge.
async function sweepLeftovers(identity: LabIdentity, state: LabState | undefined) {
  for (const point of mountsUnder(labStateDir(identity.name))) await sh`umount ${point}`
  const prefix = `vb-${machinePrefix(identity.name)}`
  for (const link of readdirSync('/sys/class/net').filter((l) => l.startsWith(prefix))) await deleteLink(link)
  // An interface of that name is this lab's if `up` recorded creating it, or if it carries the lab's address.
  const bridge = state?.bridge ?? identity.bridge
  const owned = await sh({ nothrow: true })`ip -4 -o addr show dev ${bridge}`
  const bridgeAddress = state?.bridgeAddress ?? planLab(identity, 4).bridgeAddress
  if (state?.bridgeCreated || owned.stdout.includes(` ${bridgeAddress}/`)) await deleteLink(bridge)
}
