// The whole play, in the guide's order: `tsx tasks/site.ts`.
import { main, play } from '../lib/index.js'
import containerd from './containerd.js'
import etcd from './etcd.js'
import kubeadm from './kubeadm.js'
import keepalived from './keepalived.js'
import kubernetesPackages from './kubernetes-packages.js'
import nginx from './nginx.js'
import prepare from './prepare.js'

const site = play('site', [prepare, kubernetesPackages, containerd, etcd, nginx, keepalived, ...kubeadm.tasks])

export default site
await main(import.meta, site)
