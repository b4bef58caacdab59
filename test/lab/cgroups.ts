// A cgroup subtree per host, in every cgroup v1 hierarchy (and the unified one), under the cgroup the lab
// was started from. nspawn gives the host a cgroup namespace rooted there, so that systemd and containerd
// inside manage their own cgroups without seeing other hosts'.
import { existsSync, readFileSync, readdirSync, rmdirSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

interface Hierarchy { mountPoint: string; controllers: string[]; version: 1 | 2 }

function hierarchies(): Hierarchy[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').flatMap((line): Hierarchy[] => {
    const [mountFields, fsFields] = line.split(' - ')
    if (!fsFields) return []
    const mountPoint = mountFields.split(' ')[4]
    const [fsType, , superOptions] = fsFields.split(' ')
    if (fsType === 'cgroup2') return [{ mountPoint, controllers: [], version: 2 }]
    if (fsType !== 'cgroup') return []
    return [{ mountPoint, controllers: superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro'), version: 1 }]
  })
}

/** This process's cgroup in each hierarchy, e.g. /sys/fs/cgroup/memory/some/path. */
function ownCgroups(): string[] {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((l) => l.split(':'))
  return hierarchies().flatMap((h) => {
    const line = lines.find(([, controllers]) =>
      h.version === 2 ? controllers === '' : controllers !== '' && controllers.split(',').every((c) => h.controllers.includes(c)))
    return line ? [join(h.mountPoint, line[2])] : []
  })
}

/** Creates the host's cgroup in every hierarchy; returns the directories. */
export function createHostCgroups(lab: string, host: string): string[] {
  return ownCgroups().map((base) => {
    let dir = base
    for (const part of ['kubeplay-lab', lab, host]) {
      const parent = dir
      dir = join(dir, part)
      if (!existsSync(dir)) mkdirSync(dir)
      inheritCpuset(parent, dir)
    }
    return dir
  })
}

// A new cpuset cgroup has no CPUs or memory nodes: nothing can join it until they are copied from its parent.
function inheritCpuset(parent: string, dir: string) {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const path = join(dir, file)
    if (existsSync(path) && readFileSync(path, 'utf8').trim() === '') writeFileSync(path, readFileSync(join(parent, file), 'utf8'))
  }
}

/** Every PID in these cgroups and the cgroups below them (systemd inside creates its own). */
export function processesIn(dirs: string[]): number[] {
  const pids = new Set<number>()
  const walk = (dir: string) => {
    if (!existsSync(dir)) return
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(pid))
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name))
  }
  dirs.forEach(walk)
  return [...pids]
}

/** Removes the host's cgroups, deepest first, then the lab's and the lab root's once they are empty. */
export function removeCgroups(dirs: string[]) {
  const removeTree = (dir: string) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name))
    rmdirSync(dir)
  }
  for (const dir of dirs) {
    removeTree(dir)
    for (const parent of [join(dir, '..'), join(dir, '../..')]) {
      try { rmdirSync(parent) } catch { /* still used by another host or lab */ }
    }
  }
}
