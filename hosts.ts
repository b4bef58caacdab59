// The inventory: the example topology of the original guide. Edit it for your cluster, or pass
// `--inventory other.ts` to any task. These 172.26.133.x addresses are an example: no test connects to them.
import { defineInventory } from './lib/inventory.js'

export default defineInventory({
  ssh: {
    user: 'root',
    // key: '~/.ssh/id_ed25519',        // default: ssh-agent, then ~/.ssh/id_ed25519 and id_rsa
    // knownHosts: '~/.ssh/known_hosts', // default
    // jump: 'admin@bastion.example.com:22',
  },
  hosts: {
    'kube-master01': { address: '172.26.133.161' },
    'kube-master02': { address: '172.26.133.162' },
    'kube-master03': { address: '172.26.133.163' },
    'kube-node01': { address: '172.26.133.164' },
    'kube-node02': { address: '172.26.133.165' },
    'kube-node03': { address: '172.26.133.166' },
  },
  groups: {
    masters: ['kube-master01', 'kube-master02', 'kube-master03'],
    nodes: ['kube-node01', 'kube-node02', 'kube-node03'],
  },
  // keepalived moves this address between the masters; kubeadm's controlPlaneEndpoint is vip:lbPort.
  vip: { address: '172.26.133.160', interface: 'eth0', routerId: 51 },
  cluster: {
    kubernetesVersion: '1.34.2',
    podSubnet: '10.244.0.0/16', // flannel's default
    serviceSubnet: '10.96.0.0/12',
    apiPort: 6443, // kube-apiserver on every master
    lbPort: 16443, // nginx on every master, balancing over the API servers
    etcd: 'stacked', // or 'external': an etcd cluster as a systemd service on the masters
  },
})
