// Step 2, on every cluster host: kubelet, kubeadm and kubectl at the cluster's version, held so that an
// `apt upgrade` cannot move them (Kubernetes is upgraded with kubeadm, one minor version at a time).
import { $, apt, main, systemd, task, TaskError } from '../lib/index.js'

const TOOLS = ['kubelet', 'kubeadm', 'kubectl']

const kubernetesPackages = task({
  name: 'kubernetes-packages',
  hosts: ['masters', 'nodes'],
  async run({ inventory }) {
    const version = inventory.cluster.kubernetesVersion.replace(/^v/, '')
    if (inventory.packages.kubernetesRepo === 'none') {
      // The site installs them some other way (an air-gapped mirror, an image): check what it brought.
      await requireInstalled(version)
    } else {
      // pkgs.k8s.io names its packages' versions 1.34.2-1.1: any revision of our version.
      await apt.packages({ names: TOOLS, version: Object.fromEntries(TOOLS.map((t) => [t, `${version}-*`])), hold: true })
    }
    // kubeadm starts it; it must come back after a reboot.
    await systemd.service('kubelet', { enabled: true })
  },
})

async function requireInstalled(version: string): Promise<void> {
  const { stdout } = await $`for t in kubelet kubeadm kubectl; do printf '%s ' "$t"; case $t in
    kubelet) kubelet --version 2>/dev/null ;; kubeadm) kubeadm version -o short 2>/dev/null ;;
    kubectl) kubectl version --client 2>/dev/null | head -n1 ;; esac || echo missing; done`.readonly()
  const found = Object.fromEntries(stdout.trim().split('\n').map((line) => [line.split(' ')[0], line]))
  const wrong = TOOLS.filter((tool) => !new RegExp(`\\bv${version.replaceAll('.', '\\.')}\\b`).test(found[tool] ?? ''))
  if (wrong.length) {
    throw new TaskError(`packages.kubernetesRepo is 'none', so ${TOOLS.join(', ')} ${version} must already be installed; ` +
      `not so for ${wrong.map((t) => `${t} (${(found[t] ?? '').replace(`${t} `, '').trim() || 'missing'})`).join(', ')}`)
  }
}

export default kubernetesPackages
await main(import.meta, kubernetesPackages)
