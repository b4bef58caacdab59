// npm run lab:up [-- --hosts N] | lab:down | lab:status [-- --json]; all take --name, --bridge, --subnet.
import { parseArgs } from 'node:util'
import { DEFAULT_HOSTS, labIdentity, labStateDir } from './config.js'
import { labInfo } from './lab.js'
import { labDown, labUp } from './lifecycle.js'
import { labProblems } from './health.js'
import { ensureRequirements } from './requirements.js'
import { readState } from './state.js'

const USAGE = `usage: tsx test/lab/cli.ts <up|down|status> [options]
  up      [--hosts N] [--fresh]   start the lab (default ${DEFAULT_HOSTS} hosts); reuses a healthy lab unless --fresh
  down                            stop every host and remove all the lab's state
  status  [--json]                hosts, addresses and states, VIP, ssh key and known-hosts file
  --name NAME      lab name      (env KUBEPLAY_LAB_NAME, default kubeplay)
  --bridge IFNAME  bridge        (env KUBEPLAY_LAB_BRIDGE, default kplab0)
  --subnet CIDR    IPv4 subnet   (env KUBEPLAY_LAB_SUBNET, default 10.77.0.0/24)`

const log = (line: string) => console.log(`lab: ${line}`)

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      hosts: { type: 'string' }, fresh: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      name: { type: 'string' }, bridge: { type: 'string' }, subnet: { type: 'string' },
    },
  })
  const command = positionals[0]
  if (values.help || !command) return console.log(USAGE)
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (bridges, mounts, systemd-nspawn)')
  const identity = labIdentity({ name: values.name, bridge: values.bridge, subnet: values.subnet })

  if (command === 'up') {
    const hosts = values.hosts === undefined ? DEFAULT_HOSTS : Number(values.hosts)
    await ensureRequirements(log)
    const result = await labUp(identity, { hosts, fresh: values.fresh, log })
    if (result.imageBuildSeconds !== undefined) log(`base image built in ${result.imageBuildSeconds.toFixed(0)} s`)
    log(`inventory: ${result.state.inventoryFile}`)
  } else if (command === 'down') {
    await labDown(identity, log)
    log(`lab ${identity.name} is down`)
  } else if (command === 'status') {
    await printStatus(identity.name, !!values.json)
  } else {
    throw new Error(`unknown command "${command}"\n${USAGE}`)
  }
}

async function printStatus(name: string, json: boolean) {
  const state = readState(labStateDir(name))
  if (!state) {
    if (json) console.log(JSON.stringify({ name, up: false }))
    else console.log(`lab ${name} is not up`)
    process.exitCode = 3
    return
  }
  const info = labInfo({ name })
  const problems = await labProblems(state)
  if (json) return console.log(JSON.stringify({ ...info, up: problems.length === 0, problems }, null, 2))
  console.log(`lab ${info.name}: bridge ${info.bridge} ${info.bridgeAddress}, subnet ${info.subnet}, VIP ${info.vip}, apt proxy ${info.proxy}`)
  for (const h of info.hosts) console.log(`  ${h.name.padEnd(14)} ${h.group.padEnd(8)} ${h.address.padEnd(15)} ${h.state}`)
  console.log(`ssh key:     ${info.keyFile}\nknown_hosts: ${info.knownHostsFile}\ninventory:   ${info.inventoryFile}`)
  for (const p of problems) console.log(`problem: ${p}`)
  if (problems.length > 0) process.exitCode = 1
}

main().catch((err: Error) => {
  console.error(`lab: ${err.message}`)
  process.exit(1)
})
