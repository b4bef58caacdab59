// Playbook part 1 on the lab: prepare → containerd → nginx → keepalived, converged for real on Debian hosts.
// The kube-apiserver on the masters is a STAND-IN (test/standins/apiserver.py: TLS, /healthz only).
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { powerOff, powerOn, runOn, sshArgs, type LabInfo } from '../lab/lab.js'
import { buildBusyboxImage, BUSYBOX_IMAGE } from '../lab/oci-image.js'
import { freshLab } from '../support/fresh-lab.js'
import { runKubeplay, type CliRun } from '../support/cli.js'
import { waitFor as waitUntil } from '../lab/processes.js'
import { getHealthz } from '../support/lab-http.js'
import { installStandinApiserver, startStandinApiserver, stopStandinApiserver } from '../support/standins.js'
import { loud } from '../support/hooks.js'

let lab: LabInfo
let masters: string[]
let work: string
const runs: CliRun[] = []

// This issue's part of the play; the kubeadm part has its own tests against stand-ins.
const PART1 = 'prepare,containerd,nginx,keepalived'

async function site(args: string[], only = PART1, env: Record<string, string> = {}) {
  const report = join(work, `report-${runs.length}.json`)
  const run = await runKubeplay('tasks/site.ts', ['--inventory', lab.inventoryFile, '--only', only, '--report', report, ...args], env, 900_000)
  runs.push(run)
  return { run, report: existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined }
}

/** A fingerprint of what the play could change on a host: packages, files under /etc, running units. */
async function snapshot(host: string): Promise<string> {
  const r = await runOn(host, `dpkg-query -W -f '\${Package} \${Version}\\n' | md5sum; ` +
    `find /etc -xdev \\( -type f -o -type l \\) -printf '%p %m %U %s %T@\\n' 2>/dev/null | sort | md5sum; ` +
    `systemctl list-units --type=service --state=running --no-legend --plain | awk '{print $1}' | md5sum; swapon --show; sysctl -n net.ipv4.ip_forward`)
  assert.is(r.exitCode, 0, r.stderr)
  return r.stdout
}

async function vipHolder(): Promise<string[]> {
  const holders: string[] = []
  for (const m of masters) {
    const r = await runOn(m, `ip -o -4 addr show | grep -qw ${lab.vip} && echo yes || true`, { timeoutMs: 5000 })
    if (r.stdout.trim() === 'yes') holders.push(m)
  }
  return holders
}

test.before(loud('setup of playbook-part1.test.ts', async () => {
  lab = await freshLab()
  masters = lab.hosts.filter((h) => h.group === 'masters').map((h) => h.name)
  work = mkdtempSync(join(tmpdir(), 'kp-play1-'))
}))

test('check mode on a fresh lab lists what it would change and changes nothing', async () => {
  const before = await Promise.all(lab.hosts.map((h) => snapshot(h.name)))
  const { run, report } = await site(['--check'])
  assert.is(run.code, 0, run.output)
  assert.ok(report.totals.changed > 0, 'check mode found nothing to change on a fresh lab')
  assert.match(run.stdout, /would change: packages .*keepalived/)
  assert.match(run.stdout, /would change: file \/etc\/nginx\/kube-apiserver\.conf/)
  const after = await Promise.all(lab.hosts.map((h) => snapshot(h.name)))
  assert.equal(after, before, 'check mode changed a host')
})

test('the play converges the lab', async () => {
  const { run, report } = await site([])
  assert.is(run.code, 0, run.output)
  assert.is(report.totals.failed + report.totals.unreachable, 0)
  for (const h of lab.hosts.filter((x) => x.group !== 'spare')) assert.ok(report.hosts[h.name].changed > 0, `${h.name} changed nothing`)
})

test('a second run reports 0 changed on every host', async () => {
  const { run, report } = await site([])
  assert.is(run.code, 0, run.output)
  for (const [name, counts] of Object.entries<any>(report.hosts)) assert.is(counts.changed, 0, `${name} changed on the second run`)
})

test('check mode after converging reports 0 changes', async () => {
  const { run, report } = await site(['--check'])
  assert.is(run.code, 0, run.output)
  assert.is(report.totals.changed, 0)
})

test('the hosts are prepared as the guide says', async () => {
  for (const h of lab.hosts.filter((x) => x.group !== 'spare')) {
    const r = await runOn(h.name, 'hostname; swapon --noheadings | wc -l; sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; ' +
      'cat /etc/modules-load.d/kubernetes.conf; grep -c kube- /etc/hosts; grep -h SystemdCgroup /etc/containerd/config.toml; systemctl is-active containerd')
    assert.is(r.exitCode, 0, r.stderr)
    const [hostname, swaps, forward, bridgeNf, ...rest] = r.stdout.trim().split('\n')
    assert.is(hostname, h.name)
    assert.is(swaps, '0')
    assert.is(forward, '1')
    assert.is(bridgeNf, '1')
    assert.ok(rest.includes('overlay') && rest.includes('br_netfilter'))
    assert.ok(rest.some((l) => /SystemdCgroup = true/.test(l)))
    assert.is(rest.at(-1), 'active')
  }
})

test('containerd runs a locally built image in a systemd cgroup, as the kubelet will ask it to', async () => {
  const host = lab.hosts.find((h) => h.group === 'nodes')!
  const tarball = await buildBusyboxImage(work)
  await $`scp ${sshArgs(host.name).slice(0, -1)} ${tarball} ${`root@${host.address}:/root/busybox-oci.tar`}`.quiet()
  const config = await runOn(host.name, "containerd config dump | grep -E 'SystemdCgroup|sandbox_image'")
  assert.match(config.stdout, /SystemdCgroup = true/)
  assert.match(config.stdout, /sandbox_image = "registry\.k8s\.io\/pause:3\.10\.1"/)
  assert.is((await runOn(host.name, 'ctr image import /root/busybox-oci.tar')).exitCode, 0)
  const name = `kubeplay-test-${Date.now()}`
  const run = await runOn(host.name, `ctr run --rm --runc-systemd-cgroup --cgroup system.slice:kubeplay:${name} ${BUSYBOX_IMAGE} ${name} /bin/busybox cat /proc/self/cgroup`, { timeoutMs: 60_000 })
  assert.is(run.exitCode, 0, run.stderr)
  assert.match(run.stdout, new RegExp(`memory:/system\\.slice/kubeplay-${name}\\.scope`))
})

test('stand-in API servers: the VIP is on master 1 and VIP:16443 reaches an API server', async () => {
  for (const m of masters) {
    await installStandinApiserver(m)
    await startStandinApiserver(m)
  }
  const on = await waitUntil(async () => (await vipHolder()).join() === masters[0], 20_000)
  assert.ok(on, `the VIP is on ${await vipHolder()} instead of ${masters[0]}`)
  // nginx marked the API servers failed while keepalived's health check asked before they ran (fail_timeout 10s).
  let answer = await getHealthz(lab.vip, 16443)
  await waitUntil(async () => (answer = await getHealthz(lab.vip, 16443)).ok, 20_000)
  assert.ok(answer.ok, JSON.stringify(answer))
  assert.ok(masters.includes(answer.host!), `answered by ${answer.host}`)
  const port80 = await runOn(masters[0], 'ss -Hltn "sport = :80" | wc -l')
  assert.is(port80.stdout.trim(), '0', 'the default site still listens on port 80')
})

test('stand-in API servers: with one stopped, every request through the balancer still succeeds', async () => {
  // First every API server must be live in nginx's eyes: it keeps one that failed (before the stand-ins ran,
  // keepalived's health check already asked) out of the pool for fail_timeout (10 s).
  const seen = new Set<string>()
  const allLive = await waitUntil(async () => {
    const answer = await getHealthz(lab.vip, 16443)
    if (answer.ok) seen.add(answer.host!)
    return seen.size === masters.length
  }, 30_000, 100)
  assert.ok(allLive, `only ${[...seen]} answered through the balancer`)
  await stopStandinApiserver(masters[1])
  try {
    const answers = []
    for (let i = 0; i < 30; i++) answers.push(await getHealthz(lab.vip, 16443))
    const failed = answers.filter((a) => !a.ok)
    if (failed.length) {
      const holder = (await vipHolder())[0] ?? masters[0]
      const nginxLog = (await runOn(holder, 'tail -n 15 /var/log/nginx/error.log')).stdout
      assert.unreachable(`${failed.length} of 30 requests failed: ${JSON.stringify(failed[0])}\nnginx on ${holder}:\n${nginxLog}`)
    }
    assert.not.ok(answers.some((a) => a.host === masters[1]), 'a stopped API server answered')
  } finally {
    await startStandinApiserver(masters[1])
  }
})

test('stand-in API servers: master 1 powered off, the VIP moves within 10 s and requests go on succeeding', async () => {
  assert.equal(await vipHolder(), [masters[0]])
  await powerOff(masters[0])
  const started = Date.now()
  const movedIn = await waitUntil(async () => (await getHealthz(lab.vip, 16443, 1000)).ok, 10_000, 100)
  assert.ok(movedIn, 'no answer through the VIP 10 s after master 1 went down')
  const holders = await vipHolder()
  assert.equal(holders, [masters[1]], `the VIP is on ${holders}`)
  console.log(`    VIP answered again ${Date.now() - started} ms after master 1 was powered off`)
  const answers = []
  for (let i = 0; i < 20; i++) answers.push(await getHealthz(lab.vip, 16443))
  assert.ok(answers.every((a) => a.ok), JSON.stringify(answers.filter((a) => !a.ok)))
})

test('stand-in API servers: master 1 back, it takes the VIP again once its balancer answers', async () => {
  await powerOn(masters[0])
  // keepalived and nginx come back on boot; the stand-in does not, but master 1's balancer reaches the others.
  const back = await waitUntil(async () => (await vipHolder()).join() === masters[0], 30_000, 500)
  assert.ok(back, `the VIP stayed on ${await vipHolder()}`)
  assert.ok((await getHealthz(lab.vip, 16443)).ok)
  await startStandinApiserver(masters[0])
})

function brokenTemplates(file: string, edit: (text: string) => string): string {
  const dir = join(work, `files-${file.replace(/\W/g, '-')}`)
  cpSync(new URL('../../files', import.meta.url), dir, { recursive: true })
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')))
  return dir
}

test('a broken nginx config fails validation, names host, task and file, and nginx goes on serving the old one', async () => {
  const before = await runOn(masters[0], 'md5sum /etc/nginx/kube-apiserver.conf')
  const dir = brokenTemplates('nginx/kube-apiserver.conf.mustache', (t) => t.replace('least_conn;', 'least_conn;\n        no_such_directive on;'))
  const { run, report } = await site([], 'nginx', { KUBEPLAY_FILES_DIR: dir })
  assert.is(run.code, 2, run.output)
  const message = report.hosts[masters[0]].errors[0].message as string
  assert.match(message, new RegExp(`validation failed on ${masters[0]} \\(task nginx\\): /etc/nginx/kube-apiserver\\.conf was left unchanged`))
  assert.match(message, /no_such_directive/)
  assert.is((await runOn(masters[0], 'md5sum /etc/nginx/kube-apiserver.conf')).stdout, before.stdout)
  assert.is((await runOn(masters[0], 'systemctl is-active nginx')).stdout.trim(), 'active')
  assert.ok((await getHealthz(lab.vip, 16443)).ok)
})

test('a broken keepalived config fails its config test and keepalived keeps the VIP with the old one', async () => {
  const before = await runOn(masters[0], 'md5sum /etc/keepalived/keepalived.conf')
  const dir = brokenTemplates('keepalived/keepalived.conf.mustache', (t) => t.replace('advert_int 1', 'advert_int 1\n    virtual_router_id 999999'))
  const { run, report } = await site([], 'keepalived', { KUBEPLAY_FILES_DIR: dir })
  assert.is(run.code, 2, run.output)
  const message = report.hosts[masters[0]].errors[0].message as string
  assert.match(message, new RegExp(`validation failed on ${masters[0]} \\(task keepalived\\): /etc/keepalived/keepalived\\.conf was left unchanged`))
  assert.is((await runOn(masters[0], 'md5sum /etc/keepalived/keepalived.conf')).stdout, before.stdout)
  assert.is((await runOn(masters[0], 'systemctl is-active keepalived')).stdout.trim(), 'active')
  assert.equal(await vipHolder(), [masters[0]])
})

test('vip.unicast: VRRP to the other masters only; exactly one master holds the VIP, also when its holder stops', async () => {
  const unicastInventory = join(dirname(lab.inventoryFile), 'hosts-unicast.ts')
  writeFileSync(unicastInventory, `import lab from ${JSON.stringify(pathToFileURL(lab.inventoryFile).href)}\n` +
    'export default { ...lab, vip: { ...lab.vip, unicast: true } }\n')
  const keepalived = async (inventoryFile: string) => {
    const run = await runKubeplay('tasks/keepalived.ts', ['--inventory', inventoryFile], {}, 300_000)
    runs.push(run)
    assert.is(run.code, 0, run.output)
  }
  // Which master holds the VIP depends on the health checks of the moment; that exactly one does is the point.
  const seen: string[] = []
  const singleHolder = async (timeoutMs: number, not?: string) => {
    let holder: string | undefined
    const found = await waitUntil(async () => {
      const holders = await vipHolder()
      seen.push(holders.join('+') || '-')
      holder = holders.length === 1 && holders[0] !== not ? holders[0] : undefined
      return holder !== undefined
    }, timeoutMs, 500)
    assert.ok(found, `no single VIP holder${not ? ` other than ${not}` : ''} within ${timeoutMs / 1000} s; seen: ${seen.join(' ')}`)
    return holder!
  }
  const addressOf = (name: string) => lab.hosts.find((h) => h.name === name)!.address

  await keepalived(unicastInventory)
  // Only the peer block is read: the file also holds the password.
  const peers = await runOn(masters[0], "sed -n '/unicast_peer {/,/}/p' /etc/keepalived/keepalived.conf")
  assert.equal(peers.stdout.match(/\d+\.\d+\.\d+\.\d+/g), masters.slice(1).map(addressOf))
  const first = await singleHolder(45_000)

  // The other two must hear each other by unicast, or both would take the VIP.
  await runOn(first, 'systemctl stop keepalived')
  try {
    const second = await singleHolder(20_000, first)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    assert.equal(await vipHolder(), [second], `still exactly one holder three adverts later; seen: ${seen.join(' ')}`)
  } finally {
    await runOn(first, 'systemctl start keepalived')
  }
  await singleHolder(45_000)

  await keepalived(lab.inventoryFile) // back to multicast, as the lab was
  await singleHolder(45_000)
})

test('the keepalived password appears in no output, log or report, and is kept 0600', async () => {
  const store = readdirSync('.kubeplay/secrets').map((f) => join('.kubeplay/secrets', f))
    .find((f) => f.includes(lab.vip))
  assert.ok(store, 'no local secrets file for the lab cluster')
  const { 'keepalived-password': password } = JSON.parse(readFileSync(store!, 'utf8'))
  assert.is(password.length, 8)
  const r = await runOn(masters[0], `stat -c %a /etc/keepalived/keepalived.conf; grep -c ${password} /etc/keepalived/keepalived.conf`)
  assert.equal(r.stdout.trim().split('\n'), ['600', '1'], 'the password is on the host, in a 0600 file')
  assert.ok(runs.length >= 6)
  for (const run of runs) {
    assert.not.ok(run.output.includes(password), 'the password is in the output')
    assert.not.ok(run.log().includes(password), `the password is in ${run.logFile}`)
  }
  for (const f of readdirSync(work).filter((f) => f.endsWith('.json'))) {
    assert.not.ok(readFileSync(join(work, f), 'utf8').includes(password), `the password is in ${f}`)
  }
})

test.after(async () => {
  // Leave the lab usable: master 1 powered on even when a test failed half-way.
  if (lab && (await runOn(masters[0], 'true', { timeoutMs: 5000 })).exitCode !== 0) await powerOn(masters[0]).catch(() => {})
})

test.run()
