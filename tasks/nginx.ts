// Step 3, on the masters: nginx balances TCP on the load-balancer port over every master's API server.
// kubeadm's controlPlaneEndpoint is VIP:lbPort, so the API stays reachable while any one master is up.
import { apt, files, hostsIn, main, systemd, task } from '../lib/index.js'

const STREAM_CONF = '/etc/nginx/kube-apiserver.conf'

const nginx = task({
  name: 'nginx',
  hosts: 'masters',
  handlers: {
    'reload nginx': () => systemd.service('nginx', { state: 'reloaded' }),
  },
  async run({ inventory }) {
    // Debian's nginx has the stream module only as this separate, unrecommended package.
    await apt.packages({ names: ['nginx', 'libnginx-mod-stream'] })

    // The default site listens on port 80, which the masters have no reason to serve.
    await files.absent('/etc/nginx/sites-enabled/default', { notify: 'reload nginx' })

    const { apiPort, lbPort } = inventory.cluster
    const masters = hostsIn(inventory, 'masters').map((m) => ({ name: m.name, address: m.address, apiPort }))
    await files.template(STREAM_CONF, 'nginx/kube-apiserver.conf.mustache', { masters, apiPort, lbPort }, {
      validate: 'nginx -t', notify: 'reload nginx',
    })
    // The stream block must sit at the top level of nginx.conf, outside http { }: its end is.
    await files.line('/etc/nginx/nginx.conf', { line: `include ${STREAM_CONF};`, validate: 'nginx -t', notify: 'reload nginx' })

    await systemd.service('nginx', { enabled: true, state: 'started' })
  },
})

export default nginx
await main(import.meta, nginx)
