// What a lab can leave behind on this machine. Empty after `lab:down`: checked by verify-clean.ts and the tests.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type LabIdentity, REPO_ROOT, labStateDir, machinePrefix } from './config.js'
import { mountsUnder } from './host.js'
import { commandLine, isRunning } from './processes.js'

export function labLeftovers(identity: LabIdentity): string[] {
  const stateDir = labStateDir(identity.name)
  const found: string[] = []
  if (existsSync(stateDir)) found.push(`state directory ${stateDir}`)
  const inventoryDir = join(REPO_ROOT, '.kubeplay', 'labs', identity.name)
  if (existsSync(inventoryDir)) found.push(`inventory directory ${inventoryDir}`)
  for (const point of mountsUnder(stateDir)) found.push(`mount ${point}`)
  const links = readdirSync('/sys/class/net')
  if (links.includes(identity.bridge)) found.push(`bridge ${identity.bridge}`)
  for (const link of links.filter((l) => l.startsWith(`vb-${machinePrefix(identity.name)}`))) found.push(`link ${link}`)
  for (const pid of labProcesses(identity)) found.push(`process ${pid}: ${commandLine(pid).join(' ')}`)
  for (const dir of labCgroups(identity.name)) found.push(`cgroup ${dir}`)
  return found
}

// Ours by construction: an nspawn of this lab's machines, a process under the lab's state directory
// (the apt proxy's files), or anything in the lab's cgroups (a host's systemd that outlived its nspawn).
function labProcesses(identity: LabIdentity): number[] {
  const machine = `--machine=${machinePrefix(identity.name)}`
  const stateDir = `${labStateDir(identity.name)}/`
  const cgroup = `/kubeplay-lab/${identity.name}/`
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    if (pid === process.pid || !isRunning(pid)) return false
    const args = commandLine(pid)
    if (args.some((a) => a.startsWith(machine) || a.startsWith(stateDir))) return true
    try {
      return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(cgroup)
    } catch {
      return false
    }
  })
}

function labCgroups(name: string): string[] {
  const found: string[] = []
  const search = (dir: string, depth: number) => {
    if (depth > 6 || !existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const path = join(dir, entry.name)
      if (entry.name === 'kubeplay-lab') {
        if (existsSync(join(path, name))) found.push(join(path, name))
      } else {
        search(path, depth + 1)
      }
    }
  }
  search('/sys/fs/cgroup', 0)
  return found
}
