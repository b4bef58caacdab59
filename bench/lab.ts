// The bench's lab: brought up with the host count a part needs, the converge's packages put in the image once
// (installed through the lab's apt proxy before any timing), and hosts made fresh again between runs.
import { $ } from 'zx'
import { LAB, REPO_ROOT } from './config.js'
import { MODULES_FILE, PACKAGES, SERVICES, SYSCTL_FILE, SYSCTLS, TEMPLATES } from './spec.js'
import { labInfo, runOn, type LabInfo } from '../test/lab/lab.js'

/** Ansible's apt module needs python-apt on the host; a real Debian server usually has it. */
const IMAGE_PACKAGES = [...PACKAGES, 'python3-apt']
const FSTAB_SWAP_LINE = '/swapfile none swap sw 0 0'

const labFlags = ['--name', LAB.name, '--bridge', LAB.bridge, '--subnet', LAB.subnet]

/** Starts (or reuses, when it runs with that many hosts) the bench's lab. */
export async function labWithHosts(count: number, log: (line: string) => void): Promise<LabInfo> {
  const current = tryLabInfo()
  if (current?.hosts.length !== count) log(`lab ${LAB.name}: starting ${count} hosts`)
  await $({ cwd: REPO_ROOT, quiet: true })`npx tsx test/lab/cli.ts up --hosts ${count} ${labFlags}`
  return labInfo({ name: LAB.name })
}

export async function labDown(): Promise<void> {
  await $({ cwd: REPO_ROOT, quiet: true })`npx tsx test/lab/cli.ts down ${labFlags}`
}

function tryLabInfo(): LabInfo | undefined {
  try {
    return labInfo({ name: LAB.name })
  } catch {
    return undefined
  }
}

/** Installs the converge's packages on every host that lacks them, through the lab's apt proxy, once per lab. */
export async function installImagePackages(lab: LabInfo, log: (line: string) => void): Promise<void> {
  const missing = []
  for (const host of lab.hosts) {
    const query = await run(host.name, `dpkg-query -W -f='\${Status}\\n' ${IMAGE_PACKAGES.join(' ')} 2>/dev/null | grep -c 'install ok installed'`)
    if (Number(query.stdout.trim()) !== IMAGE_PACKAGES.length) missing.push(host.name)
  }
  if (missing.length === 0) return
  log(`installing ${IMAGE_PACKAGES.join(' ')} on ${missing.length} hosts (once per lab)`)
  await Promise.all(missing.map(async (host) => {
    const install = await run(host, `apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${IMAGE_PACKAGES.join(' ')}`)
    if (install.exitCode !== 0) throw new Error(`${host}: installing the image packages failed:\n${install.stderr.slice(-2000)}`)
  }))
}

/**
 * What "fresh" means here: the packages are installed (as if in the image) and nothing is configured: no
 * template, no modules or sysctl file, the sysctls at 0, a swap line in fstab, the services disabled and stopped.
 */
export async function makeFresh(lab: LabInfo): Promise<void> {
  const script = [
    `systemctl disable --now -q ${SERVICES.join(' ')} 2>/dev/null || true`,
    `rm -f ${[...TEMPLATES.map((t) => t.path), MODULES_FILE, SYSCTL_FILE].join(' ')}`,
    `sysctl -q -w ${Object.keys(SYSCTLS).map((k) => `${k}=0`).join(' ')}`,
    `sed -i -E 's|^# (${FSTAB_SWAP_LINE})$|\\1|' /etc/fstab`,
    `grep -qx '${FSTAB_SWAP_LINE}' /etc/fstab || echo '${FSTAB_SWAP_LINE}' >> /etc/fstab`,
  ].join('\n')
  await Promise.all(lab.hosts.map(async (host) => {
    const result = await run(host.name, script)
    if (result.exitCode !== 0) throw new Error(`${host.name}: making it fresh failed: ${result.stderr}`)
  }))
}

/**
 * What the converge left on each host, in one line per fact: the templates byte for byte with their modes, the
 * modules and sysctl files by their settings (each tool may format them its own way), the live sysctls, swap,
 * the services. The three tools must leave the same, or they did not do the same work.
 */
export async function convergedState(lab: LabInfo): Promise<Record<string, string>> {
  const settings = (file: string) => `echo "${file}: $(grep -hv '^#' ${file} 2>/dev/null | tr -d ' ' | sort | tr '\\n' ' ')"`
  const script = [
    ...TEMPLATES.map((t) => `echo "${t.path}: $(stat -c %a ${t.path} 2>&1) $(sha256sum < ${t.path} 2>&1 | cut -c1-16)"`),
    settings(MODULES_FILE),
    settings(SYSCTL_FILE),
    `sysctl ${Object.keys(SYSCTLS).join(' ')}`,
    `echo "swap: $(swapon --show=NAME --noheadings | wc -l) active, $(grep -c '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab) in fstab"`,
    ...SERVICES.map((s) => `echo "${s}: $(systemctl is-enabled ${s}) $(systemctl is-active ${s})"`),
  ].join('\n')
  const states = await Promise.all(lab.hosts.map(async (host) => [host.name, (await run(host.name, script)).stdout.trim()] as const))
  return Object.fromEntries(states)
}

async function run(host: string, command: string) {
  return runOn(host, command, { lab: { name: LAB.name }, timeoutMs: 300_000 })
}
