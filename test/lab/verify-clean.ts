// After `npm run lab:down`: exits 1, listing them, if the lab left mounts, links, processes, cgroups or state.
// Takes the same --name/--bridge/--subnet flags (and KUBEPLAY_LAB_* variables) as cli.ts.
import { parseArgs } from 'node:util'
import { labIdentity } from './config.js'
import { labLeftovers } from './leftovers.js'

const { values } = parseArgs({ options: { name: { type: 'string' }, bridge: { type: 'string' }, subnet: { type: 'string' } } })
const identity = labIdentity(values)
const leftovers = labLeftovers(identity)
if (leftovers.length > 0) {
  console.error(`lab ${identity.name} left behind:\n  - ${leftovers.join('\n  - ')}`)
  process.exit(1)
}
console.log(`lab ${identity.name}: nothing left behind (no state, mounts, links, bridge, processes or cgroups)`)
