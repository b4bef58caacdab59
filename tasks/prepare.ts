// Step 1 of the guide, on every host: the kernel and network settings Kubernetes needs, the cluster's names,
// and the Kubernetes package repository.
import { apt, files, main, minorVersion, modules, swap, sysctl, system, task, type Inventory } from '../lib/index.js'

export const KUBERNETES_REPO = 'https://pkgs.k8s.io/core:/stable:'

const prepare = task({
  name: 'prepare',
  hosts: ['masters', 'nodes'],
  async run({ host, inventory }) {
    await apt.packages({ names: ['ca-certificates', 'curl', 'gnupg', 'iptables', 'conntrack', 'socat', 'ethtool'] })

    // Operations started together read their facts in one round trip, and still apply in this order.
    await Promise.all([
      // The kubelet refuses to start with swap on.
      swap.off(),
      // containerd's snapshotter needs overlay; bridged pod traffic must pass through iptables.
      modules.load(['overlay', 'br_netfilter'], { file: '/etc/modules-load.d/kubernetes.conf' }),
    ])
    // The bridge sysctls exist only once br_netfilter is loaded.
    await Promise.all([
      sysctl.set({
        'net.bridge.bridge-nf-call-iptables': 1,
        'net.bridge.bridge-nf-call-ip6tables': 1,
        'net.ipv4.ip_forward': 1,
      }, { file: '/etc/sysctl.d/99-kubernetes.conf' }),
      system.hostname(host.name),
      files.block('/etc/hosts', {
        marker: 'kubeplay: cluster hosts',
        content: inventory.hosts.map((h) => `${h.address} ${h.name}`).join('\n'),
      }),
    ])

    const repo = kubernetesRepository(inventory)
    if (repo) await apt.repository({ name: 'kubernetes', url: repo.url, suite: '/', key: { url: repo.keyUrl } })
  },
})

/** pkgs.k8s.io for the cluster's minor version, a mirror of it, or none when the site brings the packages. */
export function kubernetesRepository(inventory: Inventory): { url: string; keyUrl: string } | undefined {
  const configured = inventory.packages.kubernetesRepo
  if (configured === 'none') return undefined
  const url = configured?.url ?? `${KUBERNETES_REPO}/${minorVersion(inventory.cluster.kubernetesVersion)}/deb/`
  return { url, keyUrl: configured?.keyUrl ?? `${url.replace(/\/?$/, '/')}Release.key` }
}

export default prepare
await main(import.meta, prepare)
