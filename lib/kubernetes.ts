// Facts about Kubernetes releases the playbook needs, derived from the inventory's version.
import { hostsIn, type Host, type Inventory } from './inventory.js'

/** The pause (sandbox) image kubeadm uses for a Kubernetes minor version (kubeadm's constants.PauseVersion). */
export function pauseImage(kubernetesVersion: string): string {
  const minor = Number(kubernetesVersion.replace(/^v/, '').split('.')[1])
  const tag = minor >= 34 ? '3.10.1' : minor >= 31 ? '3.10' : minor >= 29 ? '3.9' : '3.8'
  return `registry.k8s.io/pause:${tag}`
}

/** The upstream server a registry name stands for in containerd's certs.d hosts.toml. */
export function registryServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`
}

/** The master that runs `kubeadm init` and answers for the cluster: the first of the masters group. */
export function firstMaster(inventory: Inventory): Host {
  const [first] = hostsIn(inventory, 'masters')
  return first
}
