import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseJump, readSshConfig, resolveTarget, sshConfigEntry } from '../../lib/ssh/config.js'

const CONFIG = `
Host kube-*
  User admin
  IdentityFile ~/.ssh/kube_%n
  ProxyJump ops@bastion:2200

Host kube-master01
  HostName 10.0.0.11
  Port 2222
  IdentityFile /keys/master

Host *
  IdentityFile ~/.ssh/id_fallback
  User ignored-because-first-value-wins
`

test('an entry gathers HostName, User, Port, IdentityFile, ProxyJump; first value wins', () => {
  const entry = sshConfigEntry(CONFIG, 'kube-master01')
  assert.is(entry.hostName, '10.0.0.11')
  assert.is(entry.user, 'admin')
  assert.is(entry.port, 2222)
  assert.is(entry.proxyJump, 'ops@bastion:2200')
  assert.equal(entry.identityFiles, [`${homedir()}/.ssh/kube_kube-master01`, '/keys/master', `${homedir()}/.ssh/id_fallback`])
})

test('an unmatched host gets only the Host * settings', () => {
  const entry = sshConfigEntry(CONFIG, 'other')
  assert.equal(entry, { hostName: undefined, user: 'ignored-because-first-value-wins', port: undefined, identityFiles: [`${homedir()}/.ssh/id_fallback`], proxyJump: undefined })
})

test('the inventory wins; the ssh config fills what it leaves unset', () => {
  const entry = sshConfigEntry(CONFIG, 'kube-master01')
  const fromInventory = resolveTarget({ name: 'kube-master01', address: '172.26.133.161', user: 'root', port: 22, key: '/inv/key' }, entry)
  assert.equal(fromInventory, {
    address: '172.26.133.161', user: 'root', port: 22, jump: 'ops@bastion:2200',
    keyFiles: ['/inv/key', `${homedir()}/.ssh/kube_kube-master01`, '/keys/master', `${homedir()}/.ssh/id_fallback`],
  })
  const bare = resolveTarget({ name: 'kube-master01', jump: 'root@10.0.0.1' }, entry)
  assert.is(bare.address, '10.0.0.11')
  assert.is(bare.user, 'admin')
  assert.is(bare.port, 2222)
  assert.is(bare.jump, 'root@10.0.0.1')
})

test('ProxyJump none and IdentityFile none are ignored', () => {
  const entry = sshConfigEntry('Host a\n  ProxyJump none\n  IdentityFile none\n', 'a')
  assert.is(entry.proxyJump, undefined)
  assert.equal(entry.identityFiles, [])
})

test('readSshConfig: a missing file is an empty entry; a file is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-ssh-config-'))
  try {
    assert.equal(readSshConfig('x', join(dir, 'missing')), { identityFiles: [] })
    writeFileSync(join(dir, 'config'), CONFIG)
    assert.is(readSshConfig('kube-master01', join(dir, 'config')).port, 2222)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('parseJump: [user@]host[:port]', () => {
  assert.equal(parseJump('bastion'), { user: undefined, address: 'bastion' })
  assert.equal(parseJump('ops@10.0.0.1:2200'), { user: 'ops', address: '10.0.0.1', port: 2200 })
  assert.equal(parseJump('[fd00::1]:22'), { user: undefined, address: 'fd00::1', port: 22 })
})

test.run()
