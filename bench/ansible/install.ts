// Debian's ansible, installed when missing, so `npm run bench` works on a fresh machine.
import { existsSync } from 'node:fs'
import { $ } from 'zx'

export async function ensureAnsible(log: (line: string) => void): Promise<void> {
  if (existsSync('/usr/bin/ansible-playbook')) return
  log("installing Debian's ansible package (once)")
  await $({ quiet: true })`apt-get update -qq`
  await $({ quiet: true, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y -qq ansible`
}
