// The base image every host overlays: debootstrap minbase bookworm plus systemd and sshd, built once and cached
// under /var/cache/kubeplay-lab/ by a hash of its recipe. A changed recipe gives a new directory; `up` removes
// the old ones that no lab uses.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { sh } from './shell.js'
import { CACHE_ROOT, shortHash } from './config.js'
import { withLock } from './lock.js'

const HOST_SOURCES = '/etc/apt/sources.list.d/debian.sources'

const PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'python3', 'sudo', 'procps',
  'curl', 'ca-certificates', 'gnupg',
  'python3-yaml', // for the stand-ins (test/standins): they parse YAML as strictly as kubeadm does
]

// Units that would slow boot, reach for the network on their own, or hold the dpkg lock during tests.
const MASKED_UNITS = [
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service', 'fstrim.timer',
  'systemd-networkd-wait-online.service', 'getty@tty1.service',
]

const SSHD_CONFIG = `# Lab hosts: one ed25519 host key (generated per host), key logins only.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
PermitRootLogin prohibit-password
UseDNS no
`

// nspawn mounts the host's cgroup v1 controllers read-only; containerd and runc need them writable. The mount
// root is the host's own cgroup (nspawn gives it a cgroup namespace), so this exposes no other host's cgroups.
const CGROUPS_WRITABLE_UNIT = `[Unit]
Description=Make cgroup v1 controllers writable for containerd (kubeplay lab)
DefaultDependencies=no
Before=sysinit.target
ConditionVirtualization=container

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for d in /sys/fs/cgroup/*/; do mountpoint -q "$d" && mount -o remount,bind,rw "$d"; done; true'

[Install]
WantedBy=sysinit.target
`

export interface ImageRecipe {
  suite: string
  mirror: string
  packages: string[]
  maskedUnits: string[]
  sshdConfig: string
  cgroupsUnit: string
  aptSources: string
}

export function imageRecipe(): ImageRecipe {
  const aptSources = readFileSync(HOST_SOURCES, 'utf8')
  const mirror = /^URIs:\s*(\S+)/m.exec(aptSources)?.[1]
  if (!mirror) throw new Error(`${HOST_SOURCES}: no "URIs:" line; the lab takes its Debian mirror from there`)
  return { suite: 'bookworm', mirror, packages: PACKAGES, maskedUnits: MASKED_UNITS, sshdConfig: SSHD_CONFIG, cgroupsUnit: CGROUPS_WRITABLE_UNIT, aptSources }
}

export function imageDir(recipe: ImageRecipe): string {
  return join(CACHE_ROOT, `base-${shortHash(JSON.stringify(recipe), 12)}`)
}

/**
 * Returns the cached image directory, building it first if this recipe has never been built. A complete image
 * is never replaced: running labs overlay it. Concurrent `up`s of two labs wait for one build.
 */
export async function ensureImage(log: (line: string) => void): Promise<{ dir: string; builtInSeconds?: number }> {
  const recipe = imageRecipe()
  const dir = imageDir(recipe)
  const complete = () => existsSync(join(dir, '.complete'))
  if (complete()) return { dir }
  mkdirSync(CACHE_ROOT, { recursive: true })
  return withLock(`${dir}.lock`, log, async () => {
    if (complete()) return { dir }
    const started = Date.now()
    log(`building base image ${dir} (debootstrap, about a minute)`)
    const partial = `${dir}.partial`
    rmSync(partial, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true }) // an incomplete leftover: no lab can be using it
    try {
      await sh`debootstrap --variant=minbase --include=${recipe.packages.join(',')} ${recipe.suite} ${partial} ${recipe.mirror}`
      await configureImage(partial, recipe)
      writeFileSync(join(partial, '.complete'), JSON.stringify(recipe, null, 2))
      renameSync(partial, dir)
    } catch (err) {
      rmSync(partial, { recursive: true, force: true })
      throw err
    }
    return { dir, builtInSeconds: (Date.now() - started) / 1000 }
  })
}

/** Removes the images of older recipes that no lab overlays: each is a quarter of a gigabyte. */
export function pruneImages(current: string, inUse: string[], log: (line: string) => void) {
  const cache = dirname(current)
  for (const entry of readdirSync(cache)) {
    const dir = join(cache, entry)
    if (!/^base-[0-9a-f]+$/.test(entry) || dir === current || inUse.includes(dir)) continue
    log(`removing base image ${dir}: no lab uses it and the recipe has changed`)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Identifies the image directory itself: an overlay keeps using the directory it was mounted on. */
export function imageIdentity(dir: string): number | undefined {
  return existsSync(dir) ? statSync(dir).ino : undefined
}

async function configureImage(root: string, recipe: ImageRecipe) {
  const inRoot = (path: string) => join(root, path)
  // Per-host identity is written at host creation: the image must carry none.
  writeFileSync(inRoot('etc/machine-id'), '')
  rmSync(inRoot('var/lib/dbus/machine-id'), { force: true })
  for (const f of readdirSync(inRoot('etc/ssh')).filter((f) => f.startsWith('ssh_host_'))) rmSync(inRoot(`etc/ssh/${f}`))
  writeFileSync(inRoot('etc/ssh/sshd_config.d/lab.conf'), recipe.sshdConfig)
  writeFileSync(inRoot('etc/hostname'), '')
  writeFileSync(inRoot('etc/resolv.conf'), '# no DNS in the lab: apt goes through the proxy, hosts are in /etc/hosts\n')

  rmSync(inRoot('etc/apt/sources.list'), { force: true })
  writeFileSync(inRoot('etc/apt/sources.list.d/debian.sources'), recipe.aptSources)

  writeFileSync(inRoot('etc/systemd/system/kubeplay-lab-cgroups.service'), recipe.cgroupsUnit)
  await sh`chroot ${root} systemctl enable systemd-networkd.service kubeplay-lab-cgroups.service`
  await sh`chroot ${root} systemctl mask ${recipe.maskedUnits}`
  await sh`chroot ${root} apt-get clean`
  rmSync(inRoot('var/lib/apt/lists'), { recursive: true, force: true })
  mkdirSync(inRoot('var/lib/apt/lists/partial'), { recursive: true })
}
