// What the converge makes true on every host, written once: the kubeplay play, the Ansible variables and the
// floor's bash script all take it from here, so the three do the same work.
import type { Host, Inventory } from '../lib/index.js'

/** In the image before timing (bench/lab.ts installs them once), so runners are timed, not downloads. */
export const PACKAGES = ['keepalived', 'nginx', 'libnginx-mod-stream', 'curl']

export const MODULES = ['overlay', 'br_netfilter']
/** As kubeplay tells a module is in the kernel: built-in ones leave no /sys/module entry on every kernel. */
export const MODULE_PRESENT: Record<string, string> = {
  overlay: '[ -d /sys/module/overlay ] || grep -qw overlay /proc/filesystems',
  br_netfilter: '[ -d /sys/module/br_netfilter ] || [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]',
}
export const MODULES_FILE = '/etc/modules-load.d/kubernetes.conf'

export const SYSCTLS: Record<string, number> = {
  'net.bridge.bridge-nf-call-iptables': 1,
  'net.bridge.bridge-nf-call-ip6tables': 1,
  'net.ipv4.ip_forward': 1,
}
export const SYSCTL_FILE = '/etc/sysctl.d/99-kubernetes.conf'

/** Three templated files; a change to one restarts its service. */
export const TEMPLATES = [
  { path: '/etc/keepalived/check_apiserver.sh', mustache: 'keepalived/check_apiserver.sh.mustache', jinja: 'check_apiserver.sh.j2', mode: '0755', restarts: 'keepalived' },
  { path: '/etc/keepalived/keepalived.conf', mustache: 'keepalived/keepalived.conf.mustache', jinja: 'keepalived.conf.j2', mode: '0600', restarts: 'keepalived' },
  // modules-enabled/*.conf are included at the top level of nginx.conf, where a stream block must be.
  { path: '/etc/nginx/modules-enabled/60-kube-apiserver.conf', mustache: 'nginx/kube-apiserver.conf.mustache', jinja: 'kube-apiserver.conf.j2', mode: '0644', restarts: 'nginx' },
] as const

export const SERVICES = ['keepalived', 'nginx']

const VRRP_PASSWORD = 'benchpw1'

/** The variables of the three templates for one host (mustache and Jinja templates use the same names). */
export function templateVars(host: Host, inventory: Inventory) {
  const index = inventory.hosts.findIndex((h) => h.name === host.name)
  const { apiPort, lbPort } = inventory.cluster
  return {
    hostname: host.name,
    interface: inventory.vip.interface,
    routerId: inventory.vip.routerId,
    priority: 150 - index,
    password: VRRP_PASSWORD,
    vip: inventory.vip.address,
    lbPort,
    apiPort,
    masters: (inventory.groups.masters ?? []).map((name) => {
      const master = inventory.hosts.find((h) => h.name === name)!
      return { name, address: master.address, apiPort }
    }),
  }
}

// The scale play: ten operations that are all no-ops once converged, each one Ansible module too.
export const SCALE_DIR = '/etc/kubeplay-bench'
export const SCALE_FILES = ['a', 'b', 'c', 'd'].map((n) => `${SCALE_DIR}/${n}.conf`)
export const SCALE_LINE = { path: `${SCALE_DIR}/e.conf`, line: 'feature = on' }
export const SCALE_BLOCK = { path: '/etc/hosts', marker: 'kubeplay-bench', content: '# bench block\n' }
export const SCALE_ABSENT = `${SCALE_DIR}/old.conf`
export const SCALE_SYSCTL = { key: 'net.ipv4.ip_forward', value: 1 }
/** Each tool its own file: they write it differently and would otherwise undo each other's every run. */
export const scaleSysctlFile = (tool: 'kubeplay' | 'ansible' | 'floor') => `/etc/sysctl.d/90-${tool}-bench.conf`
export const SCALE_SERVICE = 'ssh'

export function scaleFileContent(hostName: string, path: string): string {
  return `# kubeplay bench\nhost = ${hostName}\nfile = ${path}\n`
}
