// A real OpenSSH server for tests: 127.0.0.1, a free port, its own host key, authorized keys and config file,
// started with a clean environment and stopped by PID. Needs root (test users, sudoers) and openssh-server.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Host } from '../../lib/inventory.js'
import { ensureDebianPackages } from './debian.js'

export const SSHD = '/usr/sbin/sshd'
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const SUDOERS_FILE = '/etc/sudoers.d/kubeplay-test'
const TEST_USERS = { root: 'root', sudoer: 'kpsudo', pwsudoer: 'kppw' } as const
/** kppw's sudo password: quotes, $, backslash and spaces, to prove it never passes through a shell. */
export const PWSUDOER_PASSWORD = `kp'pw" $(id) \\ x`

export interface TestSshd {
  host: '127.0.0.1'
  port: number
  /** "ssh-ed25519 AAAA…" */
  hostKeyPub: string
  /** The raw host key blob, as ssh2's hostVerifier sees it. */
  hostKeyBlob: Buffer
  /** A temp known_hosts file holding this sshd's key for [127.0.0.1]:port. */
  knownHostsFile: string
  /** Private key authorized for every test user. */
  clientKeyPath: string
  users: typeof TEST_USERS
  pwsudoerPassword: string
  /** A temp folder owned by this sshd, removed by stop(). */
  dir: string
  /** An inventory Host for this sshd, logging in as `user`. */
  hostFor(user: string, name?: string, address?: string): Host
  /** sshd's log so far (-e: to stderr). */
  log(): string
  /** Successful logins so far ("Accepted publickey" lines). */
  logins(): number
  stop(): Promise<void>
}

export interface SshdOptions {
  /** Loopback addresses to listen on (all of 127.0.0.0/8 is loopback), so one sshd can play several hosts. */
  addresses?: string[]
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const addresses = options.addresses ?? ['127.0.0.1']
  ensureTestUsers()
  const dir = mkdtempSync(join(tmpdir(), 'kp-sshd-'))
  chmodSync(dir, 0o755) // test users read their authorized keys under it
  const hostKey = join(dir, 'host_ed25519')
  const clientKeyPath = join(dir, 'client_ed25519')
  keygen(hostKey)
  keygen(clientKeyPath)
  const hostKeyPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')

  mkdirSync(join(dir, 'authorized_keys'))
  for (const user of Object.values(TEST_USERS)) {
    writeFileSync(join(dir, 'authorized_keys', user), readFileSync(`${clientKeyPath}.pub`), { mode: 0o644 })
  }
  mkdirSync(join(dir, 'home'), { mode: 0o755 })
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // privilege separation directory

  const port = await freePort()
  const configFile = join(dir, 'sshd_config')
  writeFileSync(configFile, sshdConfig(dir, port, hostKey, addresses))
  const knownHostsFile = join(dir, 'known_hosts')
  writeFileSync(knownHostsFile, addresses.map((a) => `[${a}]:${port} ${hostKeyPub}\n`).join(''), { mode: 0o600 })

  const child = spawn(SSHD, ['-D', '-e', '-f', configFile], {
    env: { PATH: CLEAN_PATH },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { log += chunk })
  await waitForPort(port, child, () => log)

  return {
    host: '127.0.0.1',
    port,
    hostKeyPub,
    hostKeyBlob: Buffer.from(hostKeyPub.split(' ')[1], 'base64'),
    knownHostsFile,
    clientKeyPath,
    users: TEST_USERS,
    pwsudoerPassword: PWSUDOER_PASSWORD,
    dir,
    hostFor: (user, name = 'sshd-test', address = addresses[0]) => ({ name, address, port, user, key: clientKeyPath, groups: [], vars: {} }),
    log: () => log,
    logins: () => log.match(/Accepted publickey for /g)?.length ?? 0,
    stop: async () => {
      await stopProcess(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function sshdConfig(dir: string, port: number, hostKey: string, addresses: string[]): string {
  return `# kubeplay test sshd (test/support/sshd.ts); never the machine's /etc/ssh/sshd_config
Port ${port}
${addresses.map((a) => `ListenAddress ${a}`).join('\n')}
HostKey ${hostKey}
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${dir}/authorized_keys/%u
AllowUsers ${Object.values(TEST_USERS).join(' ')}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The keys live under /tmp (mode 1777), which StrictModes' path check rejects.
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
# Bash sources ~/.bashrc for commands run by sshd; root's here is slow (pyenv). An empty HOME keeps execs at ~3 ms.
SetEnv HOME=${dir}/home
AllowTcpForwarding yes
MaxStartups 100:30:200
Subsystem sftp internal-sftp
LogLevel INFO
`
}

let usersReady = false

/** Creates kpsudo (sudo NOPASSWD) and kppw (sudo with a password); idempotent. */
export function ensureTestUsers(): void {
  if (usersReady) return
  ensurePackages()
  const emptySkel = mkdtempSync(join(tmpdir(), 'kp-skel-'))
  for (const user of [TEST_USERS.sudoer, TEST_USERS.pwsudoer]) {
    if (!succeeds('id', ['-u', user])) {
      run('useradd', ['--create-home', '--skel', emptySkel, '--shell', '/bin/bash', user])
    }
  }
  rmSync(emptySkel, { recursive: true, force: true })
  // With UsePAM no, sshd refuses a locked account ("!" in /etc/shadow): give kpsudo "*" (no password, not locked).
  run('usermod', ['-p', '*', TEST_USERS.sudoer])
  run('chpasswd', [], `${TEST_USERS.pwsudoer}:${PWSUDOER_PASSWORD}\n`)
  const sudoers = `# kubeplay's test users (test/support/sshd.ts)\n${TEST_USERS.sudoer} ALL=(ALL:ALL) NOPASSWD: ALL\n${TEST_USERS.pwsudoer} ALL=(ALL:ALL) ALL\n`
  if (!existsSync(SUDOERS_FILE) || readFileSync(SUDOERS_FILE, 'utf8') !== sudoers) {
    const draft = `${SUDOERS_FILE}.tmp`
    writeFileSync(draft, sudoers, { mode: 0o440 })
    run('visudo', ['-cqf', draft])
    run('mv', [draft, SUDOERS_FILE])
  }
  usersReady = true
}

/** On a fresh machine `npm test` installs what it needs: OpenSSH's server and sudo (Debian packages). */
function ensurePackages(): void {
  ensureDebianPackages([[SSHD, 'openssh-server'], ['/usr/bin/sudo', 'sudo'], ['/usr/bin/ps', 'procps']])
}

function keygen(path: string): void {
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kubeplay-test', '-f', path])
}

function run(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })
}

function succeeds(command: string, args: string[]): boolean {
  try {
    run(command, args)
    return true
  } catch {
    return false
  }
}

/** A port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with code ${child.exitCode}:\n${log()}`)
    if (await accepts(port)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await stopProcess(child)
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 5 s:\n${log()}`)
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** SIGTERM to our sshd's PID (its per-connection children end with their clients), SIGKILL after 3 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}
