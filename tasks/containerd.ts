// Step 2, on every host: the container runtime. containerd from the distribution, configured for the kubelet:
// systemd cgroups, the pause image of our Kubernetes version, registry mirrors, and crictl pointed at it.
import { $, apt, files, main, systemd, task } from '../lib/index.js'
import { pauseImage, registryServer } from '../lib/kubernetes.js'

const containerd = task({
  name: 'containerd',
  hosts: ['masters', 'nodes'],
  handlers: {
    'restart containerd': () => systemd.service('containerd', { state: 'restarted' }),
  },
  async run({ inventory }) {
    await apt.packages({ names: ['containerd', 'runc'] })

    // containerd 1.x reads config version 2; 2.x reads version 3.
    const major = await containerdMajorVersion()
    await files.directory('/etc/containerd', { mode: '0755' })
    await files.template('/etc/containerd/config.toml', `containerd/config-v${major >= 2 ? 3 : 2}.toml.mustache`, {
      pauseImage: pauseImage(inventory.cluster.kubernetesVersion),
    }, { validate: 'containerd --config %s config dump >/dev/null', notify: 'restart containerd' })

    for (const [registry, mirrors] of Object.entries(inventory.packages.registryMirrors ?? {})) {
      await files.directory(`/etc/containerd/certs.d/${registry}`, { mode: '0755' })
      await files.template(`/etc/containerd/certs.d/${registry}/hosts.toml`, 'containerd/hosts.toml.mustache', {
        registry, server: registryServer(registry), mirrors: mirrors.map((url) => ({ url })),
      })
    }

    await files.template('/etc/crictl.yaml', 'containerd/crictl.yaml', {})
    await systemd.service('containerd', { enabled: true, state: 'started' })
  },
})

/** The installed major version, or in check mode before the install, the one apt would install. */
async function containerdMajorVersion(): Promise<number> {
  const { stdout } = await $`containerd --version 2>/dev/null || apt-cache policy containerd | sed -n 's/^ *Candidate: //p'`.readonly()
  const match = /(\d+)\.\d+\.\d+/.exec(stdout)
  return match ? Number(match[1]) : 1
}

export default containerd
await main(import.meta, containerd)
