// Ansible's side: an inventory generated from the lab inventory and bench/spec.ts, and ansible-playbook runs.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { Inventory } from '../../lib/index.js'
import { BENCH_DIR } from '../config.js'
import { measure, type Measured } from '../measure.js'
import { workPath } from '../paths.js'
import {
  MODULE_PRESENT, MODULES, MODULES_FILE, PACKAGES, SCALE_ABSENT, SCALE_BLOCK, SCALE_DIR, SCALE_FILES, SCALE_LINE, SCALE_SERVICE, SCALE_SYSCTL, SERVICES,
  SYSCTL_FILE, SYSCTLS, TEMPLATES, scaleFileContent, scaleSysctlFile, templateVars,
} from '../spec.js'

export const CONTROL_PATH_DIR = workPath('ansible-cp', '.keep').replace(/\/\.keep$/, '')

export function writeAnsibleInventory(inventory: Inventory, keyFile: string, knownHostsFile: string): string {
  const hosts = Object.fromEntries(inventory.hosts.map((host) => [host.name, {
    ansible_host: host.address,
    ...templateVars(host, inventory),
    scale_contents: SCALE_FILES.map((path) => scaleFileContent(host.name, path)),
  }]))
  const vars = {
    ansible_user: 'root',
    ansible_ssh_private_key_file: keyFile,
    ansible_ssh_common_args: `-o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHostsFile} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes`,
    packages: PACKAGES, modules: MODULES, module_checks: MODULES.map((name) => ({ name, present: MODULE_PRESENT[name] })), modules_file: MODULES_FILE, sysctls: SYSCTLS, sysctl_file: SYSCTL_FILE,
    templates: TEMPLATES, services: SERVICES,
    scale_dir: SCALE_DIR, scale_files: SCALE_FILES, scale_line: SCALE_LINE, scale_block: SCALE_BLOCK, scale_absent: SCALE_ABSENT,
    scale_sysctl: { ...SCALE_SYSCTL, file: scaleSysctlFile('ansible') }, scale_service: SCALE_SERVICE,
  }
  const file = workPath(`ansible-inventory-${inventory.hosts.length}.yml`)
  writeFileSync(file, stringify({ all: { hosts, vars } }))
  return file
}

export interface AnsibleRun extends Measured {
  changed: number
  failed: number
}

export async function runAnsible(playbook: 'converge' | 'scale', inventoryFile: string, check: boolean, logFile: string): Promise<AnsibleRun> {
  const measured = await measure({
    group: 'ansible',
    command: 'ansible-playbook',
    args: ['-i', inventoryFile, join(BENCH_DIR, 'ansible', `${playbook}.yml`), ...(check ? ['--check'] : [])],
    env: { ANSIBLE_CONFIG: join(BENCH_DIR, 'ansible', 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: CONTROL_PATH_DIR, ANSIBLE_NOCOLOR: '1' },
    logFile,
  })
  const output = readFileSync(logFile, 'utf8')
  return { ...measured, ...recapTotals(output.slice(output.lastIndexOf('PLAY RECAP'))) }
}

/** Sums "changed=N" and "failed=N + unreachable=N" of the last PLAY RECAP. */
function recapTotals(recap: string): { changed: number; failed: number } {
  const sum = (field: string) => [...recap.matchAll(new RegExp(`${field}=(\\d+)`, 'g'))].reduce((n, m) => n + Number(m[1]), 0)
  return { changed: sum('changed'), failed: sum('failed') + sum('unreachable') }
}
