// Debian's ansible, installed when missing, so `npm run bench` works on a fresh machine.
import { ensureDebianPackages } from '../../test/support/debian.js'

export async function ensureAnsible(log: (line: string) => void): Promise<void> {
  ensureDebianPackages([['/usr/bin/ansible-playbook', 'ansible']], log)
}
