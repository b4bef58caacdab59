// The floor's checks for the converge and for the scale play, from the same spec as the plays.
import { renderTemplate } from '../../lib/ops/files/template.js'
import type { Host, Inventory } from '../../lib/index.js'
import { shellQuote } from '../../lib/ssh/quote.js'
import {
  MODULE_PRESENT, MODULES, MODULES_FILE, PACKAGES, SCALE_ABSENT, SCALE_BLOCK, SCALE_DIR, SCALE_FILES, SCALE_LINE, SCALE_SERVICE, SCALE_SYSCTL, SERVICES,
  SYSCTL_FILE, SYSCTLS, TEMPLATES, scaleFileContent, scaleSysctlFile, templateVars,
} from '../spec.js'
import { fileIs, floorScript, type Ensure } from './script.js'

const SWAP_LINE = String.raw`^[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]`

export async function convergeScript(host: Host, inventory: Inventory): Promise<string> {
  const vars = templateVars(host, inventory)
  const templates = await Promise.all(TEMPLATES.map(async (t) => fileIs(t.path, await renderTemplate(t.mustache, vars), t.mode, t.restarts)))
  const checks: Ensure[] = [
    {
      what: `packages ${PACKAGES.join(' ')}`,
      ok: `[ "$(dpkg-query -W -f='\${Status}\\n' ${PACKAGES.join(' ')} 2>/dev/null | grep -c 'install ok installed')" = ${PACKAGES.length} ]`,
      apply: `DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${PACKAGES.join(' ')}`,
    },
    { what: 'swap off', ok: '[ -z "$(tail -n +2 /proc/swaps)" ]', apply: 'swapoff -a' },
    { what: 'swap off at boot', ok: `! grep -Eq '${SWAP_LINE}' /etc/fstab`, apply: `sed -i -E 's/(${SWAP_LINE}.*)$/# \\1/' /etc/fstab` },
    fileIs(MODULES_FILE, `# Managed by kubeplay: modules.load\n${MODULES.map((m) => `${m}\n`).join('')}`, '0644'),
    ...MODULES.map((m) => ({ what: `module ${m}`, ok: MODULE_PRESENT[m], apply: `modprobe ${m}` })),
    fileIs(SYSCTL_FILE, `# Managed by kubeplay: sysctl.set\n${Object.entries(SYSCTLS).map(([k, v]) => `${k} = ${v}\n`).join('')}`, '0644'),
    ...Object.entries(SYSCTLS).map(([k, v]) => ({ what: `sysctl ${k}`, ok: `[ "$(sysctl -n ${k})" = ${v} ]`, apply: `sysctl -q -w ${k}=${v}` })),
    ...templates,
    ...SERVICES.flatMap((s) => [
      { what: `enable ${s}`, ok: `systemctl is-enabled -q ${s}`, apply: `systemctl enable -q ${s}` },
      { what: `start ${s}`, ok: `systemctl is-active -q ${s}`, apply: `systemctl start ${s}`, started: s },
    ]),
  ]
  return floorScript(checks, Object.fromEntries(SERVICES.map((s) => [s, `systemctl restart ${s}`])))
}

export function scaleScript(host: Host): string {
  const block = `# BEGIN ${SCALE_BLOCK.marker}\n${SCALE_BLOCK.content}# END ${SCALE_BLOCK.marker}\n`
  const { key, value } = SCALE_SYSCTL
  const file = scaleSysctlFile('floor')
  const line = shellQuote(SCALE_LINE.line)
  return floorScript([
    { what: `directory ${SCALE_DIR}`, ok: `[ "$(stat -c '%F %a %U %G' ${SCALE_DIR} 2>/dev/null)" = 'directory 755 root root' ]`, apply: `install -d -m 0755 ${SCALE_DIR}` },
    ...SCALE_FILES.map((path) => fileIs(path, scaleFileContent(host.name, path), '0644')),
    { what: `line in ${SCALE_LINE.path}`, ok: `grep -qxF -- ${line} ${SCALE_LINE.path} 2>/dev/null`, apply: `echo ${line} >> ${SCALE_LINE.path}` },
    {
      what: `block in ${SCALE_BLOCK.path}`,
      ok: `hosts=$(cat ${SCALE_BLOCK.path}; echo x); [[ "$hosts" == *${shellQuote(block)}* ]]`,
      apply: `printf %s ${shellQuote(block)} >> ${SCALE_BLOCK.path}`,
    },
    { what: `absent ${SCALE_ABSENT}`, ok: `[ ! -e ${SCALE_ABSENT} ]`, apply: `rm -f ${SCALE_ABSENT}` },
    {
      what: `sysctl ${key}`,
      ok: `[ "$(sysctl -n ${key})" = ${value} ] && grep -qx '${key} = ${value}' ${file} 2>/dev/null`,
      apply: `echo '${key} = ${value}' > ${file} && sysctl -q -w ${key}=${value}`,
    },
    { what: `service ${SCALE_SERVICE}`, ok: `systemctl is-enabled -q ${SCALE_SERVICE} && systemctl is-active -q ${SCALE_SERVICE}`, apply: `systemctl enable --now -q ${SCALE_SERVICE}` },
  ])
}
