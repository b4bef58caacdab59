// Tears the cluster down on every cluster host: `kubeadm reset`, the CNI's files, kubeplay's kubeadm configs,
// and the external etcd's data and config. Asks first, unless --yes. Packages, containerd, nginx and keepalived
// stay; `tsx tasks/site.ts` builds the cluster again.
import { existsSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { command, files, main, operate, task, TaskError, type HostContext } from '../lib/index.js'

const OPERATOR_KUBECONFIG = '.kubeplay/admin.conf'
const ETCD_MARK = `grep -q '^# kubeplay' /etc/default/etcd 2>/dev/null`

const reset = task({
  name: 'reset',
  hosts: ['masters', 'nodes'],
  anyErrorsFatal: true,
  async run(ctx) {
    await confirm(ctx)
    await command.run('kubeadm reset', 'kubeadm reset --force', {
      unless: 'test ! -e /etc/kubernetes/kubelet.conf && test ! -e /etc/kubernetes/manifests/kube-apiserver.yaml',
    })
    // kubeadm reset leaves the CNI's configuration and state: a later join would use stale pod subnets.
    for (const path of ['/etc/cni/net.d', '/var/lib/cni', '/run/flannel', '/etc/kubernetes/kubeplay']) await files.absent(path)
    await command.run('stop the external etcd, remove its data, certificates and config',
      'systemctl disable --now etcd && rm -rf /var/lib/etcd/default /etc/etcd/pki /etc/default/etcd', { unless: `! ${ETCD_MARK}` })
    if (ctx.host.groups.includes('masters')) await removeOperatorKubeconfig()
  },
})

let answer: Promise<boolean> | undefined

/** Asked once for all hosts; without a terminal, only --yes lets it go on. */
async function confirm(ctx: HostContext): Promise<void> {
  if (ctx.options.yes || ctx.check) return
  answer ??= ask(`This tears down the Kubernetes cluster of ${ctx.inventory.source ?? 'the inventory'} ` +
    `(kubeadm reset, CNI files, etcd data). Type "yes" to go on: `)
  if (!(await answer)) throw new TaskError('reset was not confirmed, nothing was changed (run with --yes to skip the question)')
}

async function ask(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return (await rl.question(`\n${question}`)).trim().toLowerCase() === 'yes'
  } finally {
    rl.close()
  }
}

function removeOperatorKubeconfig() {
  return operate(`absent ${OPERATOR_KUBECONFIG} (on this machine)`, async () => existsSync(OPERATOR_KUBECONFIG)
    ? { summary: `remove ${OPERATOR_KUBECONFIG}`, apply: async () => rmSync(OPERATOR_KUBECONFIG, { force: true }) }
    : null)
}

export default reset
await main(import.meta, reset)
