// The lab's inventory, written as a typed hosts.ts that the playbook takes with --inventory.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { loadInventory } from '../../lib/inventory.js'
import { REPO_ROOT } from './config.js'
import type { LabState } from './state.js'

export async function writeInventory(lab: LabState) {
  const file = lab.inventoryFile
  mkdirSync(dirname(file), { recursive: true })
  const importPath = relative(dirname(file), `${REPO_ROOT}/lib/inventory.js`)
  const group = (name: string) => lab.hosts.filter((h) => h.group === name).map((h) => h.name)
  const json = (value: unknown) => JSON.stringify(value)
  const text = `// Written by \`npm run lab:up\` for the lab "${lab.name}" (bridge ${lab.bridge}, subnet ${lab.subnet}).
// Rewritten on every lab start: do not edit.
import { defineInventory } from '${importPath}'

export default defineInventory({
  ssh: { user: 'root', key: ${json(lab.keyFile)}, knownHosts: ${json(lab.knownHostsFile)} },
  hosts: {
${lab.hosts.map((h) => `    ${json(h.name)}: { address: ${json(h.address)} },`).join('\n')}
  },
  groups: {
    masters: ${json(group('masters'))},
    nodes: ${json(group('nodes'))},
    spare: ${json(group('spare'))},
  },
  vip: { address: ${json(lab.vip)}, interface: 'host0', routerId: ${lab.routerId} },
  cluster: { kubernetesVersion: '1.34.2' },
  packages: { kubernetesRepo: 'none' },
})
`
  writeFileSync(file, text)
  await loadInventory(file)
}
