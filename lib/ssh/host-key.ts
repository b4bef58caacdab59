// The server's host key against known_hosts: a known key passes, a changed one never does, an unknown one only
// when the run accepts new keys (then it is recorded).
import { HostKeyChangedError, HostKeyUnknownError, type Endpoint } from './errors.js'
import { appendKnownHost, fingerprint, keyTypeOf, type KnownHosts } from './known-hosts.js'
import type { HostKeyInfo } from './options.js'

/** Resolves when the key may be used (known, or recorded now); rejects with the error to report. */
export async function checkHostKey(
  knownHosts: KnownHosts, key: Buffer, endpoint: Endpoint, { address, port }: { address: string; port: number },
  { acceptNew, knownHostsFile }: { acceptNew: boolean; knownHostsFile: string }, met: (info: HostKeyInfo) => void,
): Promise<void> {
  const type = keyTypeOf(key)
  const status = knownHosts.verify(address, port, key)
  const info: HostKeyInfo = { type, fingerprint: fingerprint(key), accepted: false }
  met(info)
  if (status === 'match') return
  if (status === 'changed') {
    const known = knownHosts.lookup(address, port).map((entry) => `${entry.type} ${fingerprint(entry.key)} (line ${entry.line})`)
    throw new HostKeyChangedError(endpoint, fingerprint(key), type, known, knownHostsFile)
  }
  if (!acceptNew) throw new HostKeyUnknownError(endpoint, fingerprint(key), type, knownHostsFile)
  await appendKnownHost(knownHostsFile, address, port, key)
  info.accepted = true
}
