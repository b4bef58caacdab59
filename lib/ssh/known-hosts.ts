// OpenSSH known_hosts: parse, look up, verify, append (see sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT").
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export type HostKeyStatus = 'match' | 'unknown' | 'changed'

export interface KnownHostKey {
  /** The host field as written: "a,b,[c]:2222" or "|1|salt|hmac". */
  hosts: string
  /** Key type as written, e.g. ssh-ed25519. */
  type: string
  /** Raw key blob: what ssh2's hostVerifier receives. */
  key: Buffer
  /** 1-based line number, for messages. */
  line: number
  /** @revoked keys never match; @cert-authority lines are skipped (certificates are not supported). */
  revoked: boolean
}

/** The name OpenSSH stores and matches: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** OpenSSH-style fingerprint: "SHA256:" + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
}

/** The key type encoded at the start of a key blob (uint32 length + name). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return ''
  const length = key.readUInt32BE(0)
  return key.subarray(4, 4 + length).toString('latin1')
}

export function parseKnownHosts(text: string): KnownHostKey[] {
  const keys: KnownHostKey[] = []
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/)
    if (fields[0] === '' || fields[0].startsWith('#')) return
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined
    if (marker !== undefined && marker !== '@revoked') return
    const [hosts, type, base64] = fields
    if (!hosts || !type || !base64) return
    const key = Buffer.from(base64, 'base64')
    if (keyTypeOf(key) !== type) return // malformed or truncated line
    keys.push({ hosts, type, key, line: index + 1, revoked: marker === '@revoked' })
  })
  return keys
}

export class KnownHosts {
  constructor(readonly keys: KnownHostKey[], readonly file?: string) {}

  /** Reads a known_hosts file; a missing file is an empty one. */
  static async read(file: string): Promise<KnownHosts> {
    try {
      return new KnownHosts(parseKnownHosts(await readFile(file, 'utf8')), file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new KnownHosts([], file)
      throw err
    }
  }

  /** The trusted (not revoked) keys recorded for host:port. */
  lookup(host: string, port: number): KnownHostKey[] {
    return this.entriesFor(host, port).filter((entry) => !entry.revoked)
  }

  /** 'changed' when keys are recorded for host:port but the offered one is not among them, or is revoked. */
  verify(host: string, port: number, key: Buffer): HostKeyStatus {
    const entries = this.entriesFor(host, port)
    if (this.keys.some((entry) => entry.revoked && entry.key.equals(key))) return 'changed'
    if (entries.some((entry) => !entry.revoked && entry.key.equals(key))) return 'match'
    return entries.some((entry) => !entry.revoked) ? 'changed' : 'unknown'
  }

  private entriesFor(host: string, port: number): KnownHostKey[] {
    const name = knownHostsName(host, port)
    return this.keys.filter((entry) => hostsFieldMatches(entry.hosts, name))
  }
}

/** Appends "name type base64" to a known_hosts file, creating it (0600) and its folder (0700) when missing. */
export async function appendKnownHost(file: string, host: string, port: number, key: Buffer, options: { hash?: boolean } = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  const existing = await readFile(file, 'utf8').catch(() => '')
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n'
  const name = knownHostsName(host, port)
  const hosts = options.hash ? hashHostName(name) : name
  await appendFile(file, `${separator}${hosts} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 })
}

/** "|1|salt|hmac" as written by `ssh-keygen -H` / HashKnownHosts yes. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hmac = createHmac('sha1', salt).update(name).digest()
  return `|1|${salt.toString('base64')}|${hmac.toString('base64')}`
}

function hostsFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [salt] = hosts.slice(3).split('|')
    return hashHostName(name, Buffer.from(salt, 'base64')) === hosts
  }
  // A comma list of patterns with * and ?; a matching !pattern vetoes the line.
  let matched = false
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!')
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

function globMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')
  return new RegExp(`^${source}$`, 'i').test(name)
}
