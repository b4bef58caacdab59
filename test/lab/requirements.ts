// What the lab needs from this machine, installed from Debian's packages when missing, so that
// `npm run demo` works on a fresh machine.
import { existsSync } from 'node:fs'
import { sh } from './shell.js'

/** A file that shows the package is installed, and the package that brings it. */
const REQUIREMENTS: [string, string][] = [
  ['/usr/sbin/debootstrap', 'debootstrap'],
  ['/usr/bin/systemd-nspawn', 'systemd-container'],
  ['/usr/sbin/apt-cacher-ng', 'apt-cacher-ng'],
  ['/bin/busybox', 'busybox-static'],
  ['/usr/bin/ssh', 'openssh-client'],
  ['/usr/bin/ssh-keygen', 'openssh-client'],
  ['/sbin/ip', 'iproute2'],
]

export async function ensureRequirements(log: (line: string) => void): Promise<void> {
  const missing = [...new Set(REQUIREMENTS.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg))]
  if (missing.length === 0) return
  log(`installing what the lab needs: ${missing.join(' ')}`)
  await sh`apt-get update -qq`
  await sh`env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing}`
}
