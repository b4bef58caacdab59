// The TCP side of a connection: connect with a deadline, no Nagle delay, and readable errors.
import { connect, type Socket } from 'node:net'
import type { ServerHostKeyAlgorithm } from 'ssh2'
import { describeEndpoint, UnreachableError, type Endpoint } from './errors.js'
import type { KnownHostKey } from './known-hosts.js'

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'unknown host name',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
}

/** Resolves with a connected socket (setNoDelay: without it every exec stalls ~40 ms), or UnreachableError. */
export function openTcpSocket(endpoint: Endpoint, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.address, port: endpoint.port })
    socket.setNoDelay(true)
    const fail = (reason: string) => {
      clearTimeout(timer)
      socket.destroy()
      reject(new UnreachableError(endpoint, `${describeEndpoint(endpoint)}: unreachable: ${reason}`))
    }
    const onError = (err: NodeJS.ErrnoException) => fail(REASONS[err.code ?? ''] ?? err.message)
    const timeoutMs = Math.max(1, deadline - Date.now())
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs / 1000} s`), timeoutMs)
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', onError)
      resolve(socket)
    })
  })
}

// OpenSSH's order. Like OpenSSH, prefer the key types already known for the host, so that a host known by its
// RSA key is not reported as "changed" just because ed25519 would have been negotiated first.
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
]

export function hostKeyAlgorithmsPreferring(known: KnownHostKey[]): ServerHostKeyAlgorithm[] {
  const preferred = known.flatMap((key): ServerHostKeyAlgorithm[] =>
    key.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGORITHMS.filter((a) => a === key.type))
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])]
}
