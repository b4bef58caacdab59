// One lab host: an overlay of the base image with its own identity, booted by systemd-nspawn on the bridge.
import { spawn } from 'node:child_process'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { sh } from './shell.js'
import { createHostCgroups, processesIn, removeCgroups } from './cgroups.js'
import { deleteLink } from './network.js'
import { commandLine, isNamespaceInit, isRunning, parentOf, sleep, stopProcess, waitFor } from './processes.js'
import { proxyUrl } from './proxy.js'
import type { HostState, LabState } from './state.js'
import type { HostPlan } from './config.js'

const POWEROFF_GRACE_MS = 20_000

export const hostDir = (lab: Pick<LabState, 'stateDir'>, host: Pick<HostPlan, 'name'>) => join(lab.stateDir, 'hosts', host.name)

/** Mounts the host's overlay and writes its identity into it. Returns its ssh host public key. */
export async function prepareHost(lab: LabState, host: HostState): Promise<string> {
  const dir = hostDir(lab, host)
  for (const sub of ['upper', 'work', 'root', 'containerd']) mkdirSync(join(dir, sub), { recursive: true })
  if (!isMounted(host.root)) {
    await sh`mount -t overlay overlay -o ${`lowerdir=${lab.image},upperdir=${dir}/upper,workdir=${dir}/work`} ${host.root}`
  }
  const file = (path: string, content: string, mode = 0o644) => {
    const full = join(host.root, path)
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, content)
    chmodSync(full, mode)
  }
  file('etc/hostname', `${host.name}\n`)
  file('etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444)
  file('etc/hosts', hostsFile(lab, host))
  file('etc/systemd/network/10-lab-host0.network', networkFile(lab, host))
  file('etc/apt/apt.conf.d/00lab', aptConfig(lab))
  file('root/.ssh/authorized_keys', readFileSync(`${lab.keyFile}.pub`, 'utf8'), 0o600)
  chmodSync(join(host.root, 'root/.ssh'), 0o700)

  const hostKey = join(host.root, 'etc/ssh/ssh_host_ed25519_key')
  if (!existsSync(hostKey)) await sh`ssh-keygen -q -t ed25519 -N '' -C ${`root@${host.name}`} -f ${hostKey}`
  return readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
}

function hostsFile(lab: LabState, self: HostState): string {
  const lines = ['127.0.0.1 localhost', `127.0.1.1 ${self.name}`, '::1 localhost ip6-localhost ip6-loopback']
  for (const h of lab.hosts) lines.push(`${h.address} ${h.name}`)
  return `${lines.join('\n')}\n`
}

// Sorts before nspawn's own 80-container-host0.network, which would give host0 a 169.254 address.
function networkFile(lab: LabState, host: HostState): string {
  return `[Match]\nName=host0\n\n[Network]\nAddress=${host.address}/${lab.prefixLength}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`
}

// Every wait bounded: a stalled download costs a retry, not the test run.
function aptConfig(lab: LabState): string {
  return [
    `Acquire::http::Proxy "${proxyUrl(lab)}";`,
    'Acquire::https::Proxy "DIRECT";',
    'Acquire::http::Timeout "30";',
    'Acquire::Retries "3";',
    'DPkg::Lock::Timeout "120";',
    'APT::Install-Recommends "false";',
    '',
  ].join('\n')
}

export function isMounted(path: string): boolean {
  return mountsUnder(path).includes(path)
}

/** Mount points at or below a directory, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.replace(/\/$/, '')
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && (point === prefix || point.startsWith(`${prefix}/`)))
    .sort((a, b) => b.length - a.length)
}

export function isHostNspawn(host: HostState, pid: number): boolean {
  const args = commandLine(pid)
  return args.some((a) => a.endsWith('systemd-nspawn')) && args.includes(`--machine=${host.machine}`)
}

/** Boots the host and records its PIDs in the state; resolves once its PID 1 exists. */
export async function startHost(lab: LabState, host: HostState, save: (change: Partial<HostState>) => void) {
  const cgroups = createHostCgroups(lab.name, host.name)
  save({ cgroups, poweredOff: false, networkCut: false })
  const nspawnArgs = [
    '--boot', '--register=no', '--keep-unit', '--quiet',
    `--machine=${host.machine}`, `--hostname=${host.name}`, `--directory=${host.root}`,
    `--network-bridge=${lab.bridge}`,
    `--bind=${join(hostDir(lab, host), 'containerd')}:/var/lib/containerd`,
    '--system-call-filter=add_key keyctl request_key',
    '--console=read-only', '--resolv-conf=off', '--timezone=off', '--link-journal=no',
  ]
  // The shell joins the host's cgroups, then becomes nspawn: the recorded PID is nspawn's.
  const joinCgroupsThenExec = 'for procs in $LAB_CGROUP_PROCS; do echo $$ > "$procs"; done; exec systemd-nspawn "$@"'
  const console = openSync(join(hostDir(lab, host), 'console.log'), 'a')
  const child = spawn('sh', ['-c', joinCgroupsThenExec, 'sh', ...nspawnArgs], {
    detached: true,
    stdio: ['ignore', console, console],
    env: { ...process.env, LAB_CGROUP_PROCS: cgroups.map((c) => join(c, 'cgroup.procs')).join(' ') },
  })
  child.unref()
  closeSync(console)
  if (!child.pid) throw new Error(`${host.name}: systemd-nspawn did not start`)
  const nspawnPid = child.pid
  save({ nspawnPid })
  let initPid: number | undefined
  const booted = await waitFor(() => {
    initPid = processesIn(cgroups).find((pid) => parentOf(pid) === nspawnPid && isNamespaceInit(pid))
    return !!initPid || !isRunning(nspawnPid)
  }, 15_000)
  if (!booted || !initPid) {
    throw new Error(`${host.name}: systemd-nspawn exited or never started the host's systemd; see ${join(hostDir(lab, host), 'console.log')}`)
  }
  save({ initPid })
}

/**
 * Orderly poweroff (SIGTERM to nspawn), then whatever is left in the host's cgroups by PID, then its link,
 * mounts and cgroups. Safe on a host that is already half gone.
 */
export async function stopHost(host: HostState, options: { keepDisk: boolean }) {
  await stopProcess(host.nspawnPid, (pid) => isHostNspawn(host, pid), POWEROFF_GRACE_MS)
  const cgroups = host.cgroups ?? []
  await killLeftovers(cgroups)
  await deleteLink(host.link)
  if (!options.keepDisk) {
    for (const point of mountsUnder(join(host.root, '..'))) await sh`umount ${point}`
  }
  removeCgroups(cgroups)
}

// A force-killed nspawn can leave the host's systemd running: it is still in the host's cgroups.
async function killLeftovers(cgroups: string[]) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = processesIn(cgroups)
    if (left.length === 0) return
    for (const pid of left) {
      try { process.kill(pid, 'SIGKILL') } catch { /* exited meanwhile */ }
    }
    await sleep(100)
  }
  throw new Error(`processes ${processesIn(cgroups).join(', ')} survive SIGKILL in ${cgroups[0]}`)
}
