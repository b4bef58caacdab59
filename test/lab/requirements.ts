// What the lab needs from this machine, installed from Debian's packages when missing, so that
// `npm run demo` works on a fresh machine.
import { ensureDebianPackages, type Requirement } from '../support/debian.js'

const REQUIREMENTS: Requirement[] = [
  ['/usr/sbin/debootstrap', 'debootstrap'],
  ['/usr/bin/systemd-nspawn', 'systemd-container'],
  ['/bin/busybox', 'busybox-static'],
  ['/usr/bin/ssh', 'openssh-client'],
  ['/usr/bin/ssh-keygen', 'openssh-client'],
  ['/sbin/ip', 'iproute2'],
]

export async function ensureRequirements(log: (line: string) => void): Promise<void> {
  ensureDebianPackages(REQUIREMENTS, log)
}
