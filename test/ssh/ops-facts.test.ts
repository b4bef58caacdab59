// Facts against a real sshd on 127.0.0.1. Facts only read, so they run on this machine's real state (dpkg,
// sysctl, /sys/module, /proc/swaps) without changing it; files are made in a temp folder.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  activeSwapQuery, aptPackagesQuery, fileQuery, gather, kernelModulesQuery, readFact, sysctlQuery, systemdUnitQuery,
} from '../../lib/facts/index.js'
import { dearmor } from '../../lib/ops/apt/index.js'
import { Connection } from '../../lib/ssh/connection.js'
import { onHost } from '../support/on-host.js'
import { startSshd, type TestSshd } from '../support/sshd.js'
import { loud } from '../support/hooks.js'

let sshd: TestSshd
let root: Connection
let dir: string

async function facts<T>(body: () => Promise<T>, check = false): Promise<{ value: T; commands: number }> {
  const result = await onHost(root, body, { check })
  if (result.error) throw result.error
  return { value: result.value as T, commands: result.commands }
}

const local = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8' })

test.before(loud('setup of ops-facts.test.ts', async () => {
  sshd = await startSshd()
  root = new Connection(sshd.hostFor('root'), { knownHostsFile: sshd.knownHostsFile, sshConfigFile: false, agentSocket: false })
  dir = mkdtempSync(join(tmpdir(), 'kp-ops-facts-'))
}))

test.after(async () => {
  await root.close()
  await sshd.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('gather: several facts in ONE read-only command, also in check mode; content is kept byte for byte', async () => {
  const tricky = `line\n__kubeplay_fact_0000000000000000__:0\ncontent:\nno final newline`
  writeFileSync(join(dir, 'tricky'), tricky)
  mkdirSync(join(dir, 'sub'), { mode: 0o750 })
  symlinkSync('tricky', join(dir, 'link'))
  const { value, commands } = await facts(() => gather(
    fileQuery(join(dir, 'tricky'), { content: true }),
    fileQuery(join(dir, 'sub')),
    fileQuery(join(dir, 'link')),
    fileQuery(join(dir, 'missing')),
  ), true)
  assert.is(commands, 1)
  const [file, sub, link, missing] = value
  assert.ok(file.exists && file.type === 'file')
  assert.is(file.exists && file.content, tricky)
  assert.is(file.exists && file.size, Buffer.byteLength(tricky))
  assert.is(file.exists && file.sha256, local('sha256sum', [join(dir, 'tricky')]).slice(0, 64))
  assert.equal(sub.exists && [sub.type, sub.mode, sub.owner], ['directory', 0o750, 'root'])
  assert.equal(link.exists && [link.type, link.target], ['symlink', 'tricky'])
  assert.equal(missing, { path: join(dir, 'missing'), exists: false })
})

test('apt packages: versions and status of several names in one dpkg-query; unknown names are not installed', async () => {
  const { value } = await facts(() => readFact(aptPackagesQuery(['bash', 'coreutils', 'kp-no-such-package'])))
  assert.is(value.get('bash')?.version, local('dpkg-query', ['-W', '-f=${Version}', 'bash']))
  assert.is(value.get('bash')?.installed, true)
  assert.is(value.get('coreutils')?.installed, true)
  assert.equal(value.get('kp-no-such-package'), { name: 'kp-no-such-package', installed: false, held: false, status: 'unknown' })
})

test('sysctl: current values, multi-value ones with single spaces; unknown keys left out', async () => {
  const { value } = await facts(() => readFact(sysctlQuery(['net.ipv4.ip_forward', 'net/ipv4/ip_local_port_range', 'kp.no.such.key'])))
  assert.is(value.get('net.ipv4.ip_forward'), readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim())
  assert.is(value.get('net.ipv4.ip_local_port_range'), readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).join(' '))
  assert.not.ok(value.has('kp.no.such.key'))
})

test('kernel modules: built-in overlay counts as present; an unknown one is missing', async () => {
  const { value } = await facts(() => readFact(kernelModulesQuery(['overlay', 'kp_no_such_module'])))
  assert.ok(value.present.has('overlay'))
  assert.ok(value.missing.has('kp_no_such_module'))
  assert.is(value.modprobe, local('bash', ['-c', 'command -v modprobe || true']).trim() !== '')
})

test('swap: /proc/swaps parsed as this machine shows it', async () => {
  const { value } = await facts(() => readFact(activeSwapQuery()))
  const lines = readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1)
  assert.equal(value.map((s) => s.filename), lines.map((l) => l.split(/\s+/)[0]))
})

test('systemd: a host without systemd gives a clear error, not a parse failure', async () => {
  const hasSystemd = local('bash', ['-c', 'test -d /run/systemd/system && echo yes || echo no']).trim() === 'yes'
  const result = await onHost(root, () => readFact(systemdUnitQuery('ssh.service')))
  if (hasSystemd) assert.is(result.error, undefined)
  else assert.match(result.error?.message ?? '', 'is systemd running on the host?')
})

test('dearmor: the same bytes as gpg --dearmor; binary keys pass through; a corrupt checksum is refused', () => {
  const gnupg = mkdtempSync(join(tmpdir(), 'kp-gpg-'))
  try {
    const gpg = (args: string[], input?: string) => execFileSync('gpg', ['--homedir', gnupg, '--batch', '--quiet', ...args], { input })
    gpg(['--passphrase', '', '--quick-gen-key', 'kubeplay facts test <facts@example.invalid>', 'ed25519', 'sign', 'never'])
    const armored = gpg(['--armor', '--export']).toString()
    const binary = gpg(['--export'])
    assert.ok(dearmor(armored).equals(gpg(['--dearmor'], armored)))
    assert.ok(dearmor(armored).equals(binary))
    assert.ok(dearmor(binary).equals(binary))
    const checksumLine = armored.split('\n').findIndex((l) => /^=.{4}$/.test(l))
    const corrupt = armored.split('\n').map((l, i) => (i === checksumLine ? '=AAAA' : l)).join('\n')
    assert.throws(() => dearmor(corrupt), /CRC24/)
  } finally {
    rmSync(gnupg, { recursive: true, force: true })
  }
})

test.run()
