// `npm run demo`: the README's main job on the embedded default, the local lab. Starts the lab if needed, puts the
// STAND-INS for what cannot run here (kubeadm, kubelet, kubectl; kubeadm init starts a stand-in API server) on the
// cluster hosts, then runs the whole play, tasks/site.ts, against the lab. Extra arguments go to the play.
import { labIdentity } from './config.js'
import { assertLabUp } from './lab.js'
import { labUp } from './lifecycle.js'
import { ensureRequirements } from './requirements.js'
import { loadInventory } from '../../lib/inventory.js'
import { runCli } from '../../lib/cli.js'
import { installKubernetesStandins } from '../support/standins.js'
import site from '../../tasks/site.js'

const log = (line: string) => console.log(`demo: ${line}`)

await ensureRequirements(log)
const { state } = await labUp(labIdentity(), { hosts: 7, log })
const lab = await assertLabUp()
const inventory = await loadInventory(lab.inventoryFile)
const cluster = lab.hosts.filter((h) => h.group !== 'spare')
log(`installing the kubeadm/kubelet/kubectl STAND-INS on ${cluster.length} hosts (the real ones cannot be had here)`)
await Promise.all(cluster.map((h) => installKubernetesStandins(h.name, inventory.cluster.kubernetesVersion)))
log(`running tasks/site.ts --inventory ${state.inventoryFile}`)
process.exitCode = await runCli(['--inventory', state.inventoryFile, ...process.argv.slice(2)], site)
