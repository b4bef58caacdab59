// kubeadm's configuration files (API kubeadm.k8s.io/v1beta4), built as objects from the inventory and rendered
// with the yaml library. Pure functions: the golden tests pin what they render.
import { stringify } from 'yaml'
import { hostsIn, type Host, type Inventory } from './inventory.js'

export const KUBEADM_API = 'kubeadm.k8s.io/v1beta4'
export const CRI_SOCKET = 'unix:///run/containerd/containerd.sock'
/** How long the bootstrap token lives; a run that joins a host after that renews it. */
export const TOKEN_TTL = '24h0m0s'

/** Where kubeadm expects the external etcd's CA and the API server's client certificate (kubeadm's own paths). */
export const ETCD_CLIENT = {
  caFile: '/etc/kubernetes/pki/etcd/ca.crt',
  certFile: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
  keyFile: '/etc/kubernetes/pki/apiserver-etcd-client.key',
} as const
export const ETCD_CLIENT_PORT = 2379
export const ETCD_PEER_PORT = 2380

export interface JoinSecrets {
  /** [a-z0-9]{6}.[a-z0-9]{16} */
  token: string
  /** sha256:<hex> of the cluster CA's public key */
  caCertHash: string
  /** 64 hex characters; masters only */
  certificateKey?: string
}

export function controlPlaneEndpoint(inventory: Inventory): string {
  return `${inventory.vip.address}:${inventory.cluster.lbPort}`
}

export function etcdEndpoints(inventory: Inventory): string[] {
  return hostsIn(inventory, 'masters').map((m) => `https://${m.address}:${ETCD_CLIENT_PORT}`)
}

function nodeRegistration(host: Host) {
  return {
    name: host.name,
    criSocket: CRI_SOCKET,
    // The kubelet would otherwise pick the address of the default route, wrong on hosts with several networks.
    kubeletExtraArgs: [{ name: 'node-ip', value: host.address }],
  }
}

export function initConfiguration(inventory: Inventory, host: Host, token: string, certificateKey: string) {
  return {
    apiVersion: KUBEADM_API,
    kind: 'InitConfiguration',
    bootstrapTokens: [{
      token,
      description: 'kubeplay: joins the masters and nodes of the cluster',
      ttl: TOKEN_TTL,
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
    }],
    localAPIEndpoint: { advertiseAddress: host.address, bindPort: inventory.cluster.apiPort },
    nodeRegistration: nodeRegistration(host),
    certificateKey,
  }
}

export function clusterConfiguration(inventory: Inventory) {
  const { cluster, vip } = inventory
  const masters = hostsIn(inventory, 'masters')
  return {
    apiVersion: KUBEADM_API,
    kind: 'ClusterConfiguration',
    clusterName: cluster.name,
    kubernetesVersion: `v${cluster.kubernetesVersion.replace(/^v/, '')}`,
    controlPlaneEndpoint: controlPlaneEndpoint(inventory),
    networking: { podSubnet: cluster.podSubnet, serviceSubnet: cluster.serviceSubnet, dnsDomain: 'cluster.local' },
    apiServer: { certSANs: [vip.address, ...masters.map((m) => m.name), ...masters.map((m) => m.address)] },
    etcd: cluster.etcd === 'external'
      ? { external: { endpoints: etcdEndpoints(inventory), ...ETCD_CLIENT } }
      : { local: { dataDir: '/var/lib/etcd' } },
  }
}

export function kubeletConfiguration() {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // containerd runs with SystemdCgroup = true: both must use the same cgroup driver.
    cgroupDriver: 'systemd',
    containerRuntimeEndpoint: CRI_SOCKET,
  }
}

export function joinConfiguration(inventory: Inventory, host: Host, secrets: JoinSecrets) {
  return {
    apiVersion: KUBEADM_API,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: controlPlaneEndpoint(inventory),
        token: secrets.token,
        caCertHashes: [secrets.caCertHash],
      },
    },
    nodeRegistration: nodeRegistration(host),
    ...(secrets.certificateKey ? {
      controlPlane: {
        localAPIEndpoint: { advertiseAddress: host.address, bindPort: inventory.cluster.apiPort },
        certificateKey: secrets.certificateKey,
      },
    } : {}),
  }
}

/** Several YAML documents in one file, as kubeadm --config takes them. */
export function renderDocuments(...documents: object[]): string {
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n')
}

export function renderInitConfig(inventory: Inventory, host: Host, token: string, certificateKey: string): string {
  return renderDocuments(initConfiguration(inventory, host, token, certificateKey), clusterConfiguration(inventory), kubeletConfiguration())
}

export function renderJoinConfig(inventory: Inventory, host: Host, secrets: JoinSecrets): string {
  return renderDocuments(joinConfiguration(inventory, host, secrets))
}
