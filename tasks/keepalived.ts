// Step 4, on the masters: keepalived holds the virtual IP on one master and moves it when that master's
// balancer stops answering. The health check only lowers the priority: keepalived keeps running, so a master
// that recovers takes part again (the original guide's check stopped keepalived, and such a master never came back).
import { apt, files, hostsIn, localSecret, main, randomToken, systemd, task, type Host, type Inventory } from '../lib/index.js'

// A failing health check lowers a master's priority by 20 (keepalived.conf): more than the gap between masters.
const TOP_PRIORITY = 150
const PRIORITY_STEP = 10

const keepalived = task({
  name: 'keepalived',
  hosts: 'masters',
  handlers: {
    'restart keepalived': () => systemd.service('keepalived', { state: 'restarted' }),
  },
  async run({ host, inventory }) {
    // VRRP's PASS authentication uses 8 characters at most.
    const password = localSecret(inventory, 'keepalived-password', () => randomToken(8))

    await apt.packages({ names: ['keepalived', 'curl'] })
    await Promise.all([
      files.template('/etc/keepalived/check_apiserver.sh', 'keepalived/check_apiserver.sh.mustache', {
        lbPort: inventory.cluster.lbPort,
      }, { mode: '0755' }),
      files.template('/etc/keepalived/keepalived.conf', 'keepalived/keepalived.conf.mustache', {
        hostname: host.name,
        interface: String(host.vars.vipInterface ?? inventory.vip.interface),
        routerId: inventory.vip.routerId,
        priority: priorityOf(host, inventory),
        password,
        vip: inventory.vip.address,
        unicast: inventory.vip.unicast === true,
        address: host.address,
        peers: hostsIn(inventory, 'masters').filter((m) => m.name !== host.name).map((m) => m.address),
      }, { mode: '0600', secret: true, validate: 'keepalived --config-test --use-file=%s', notify: 'restart keepalived' }),
    ])

    await systemd.service('keepalived', { enabled: true, state: 'started' })
  },
})

/** The host var keepalivedPriority, else by the masters' order: the first master holds the VIP. */
export function priorityOf(host: Host, inventory: Inventory): number {
  if (host.vars.keepalivedPriority !== undefined) return Number(host.vars.keepalivedPriority)
  const index = hostsIn(inventory, 'masters').findIndex((m) => m.name === host.name)
  return TOP_PRIORITY - PRIORITY_STEP * index
}

export default keepalived
await main(import.meta, keepalived)
