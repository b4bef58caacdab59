// The converge, written with kubeplay: packages present, the prepare settings, three templates with restart
// handlers, services enabled and running. `tsx bench/kubeplay-play.ts --inventory <lab hosts.ts>` runs it alone.
import { apt, files, main, modules, play, swap, sysctl, systemd, task } from '../lib/index.js'
import { MODULES, MODULES_FILE, PACKAGES, SERVICES, SYSCTL_FILE, SYSCTLS, TEMPLATES, templateVars } from './spec.js'

const packages = task({
  name: 'packages',
  hosts: 'all',
  async run() {
    await apt.packages({ names: PACKAGES })
  },
})

const prepare = task({
  name: 'prepare',
  hosts: 'all',
  async run() {
    await Promise.all([swap.off(), modules.load(MODULES, { file: MODULES_FILE })])
    // The bridge sysctls exist only once br_netfilter is loaded.
    await sysctl.set(SYSCTLS, { file: SYSCTL_FILE })
  },
})

const services = task({
  name: 'services',
  hosts: 'all',
  handlers: Object.fromEntries(SERVICES.map((name) => [`restart ${name}`, () => systemd.service(name, { state: 'restarted' })])),
  async run({ host, inventory }) {
    const vars = templateVars(host, inventory)
    await Promise.all(TEMPLATES.map((t) => files.template(t.path, t.mustache, vars, { mode: t.mode, notify: `restart ${t.restarts}` })))
    await Promise.all(SERVICES.map((name) => systemd.service(name, { enabled: true, state: 'started' })))
  },
})

const converge = play('bench-converge', [packages, prepare, services])
export default converge
await main(import.meta, converge)
