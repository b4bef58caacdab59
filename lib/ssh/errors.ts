// Typed connection errors: the runner reports UnreachableError as "unreachable", everything else as "failed".

/** Where a connection goes, for messages: "kube-master01 (172.26.133.161:22)". */
export interface Endpoint {
  name: string
  address: string
  port: number
}

export function describeEndpoint(endpoint: Endpoint): string {
  const where = `${endpoint.address}:${endpoint.port}`
  return endpoint.name === endpoint.address ? where : `${endpoint.name} (${where})`
}

export class SshError extends Error {
  constructor(readonly endpoint: Endpoint, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Connect timeout, refused, no route, handshake timeout, or the host vanished mid-run. */
export class UnreachableError extends SshError {}

/** The connection was up and died (keepalive timeout, reset, server shut down). */
export class ConnectionLostError extends UnreachableError {}

export class HostKeyUnknownError extends SshError {
  constructor(endpoint: Endpoint, readonly fingerprint: string, readonly keyType: string, readonly knownHostsFile: string) {
    const scanTarget = endpoint.port === 22 ? endpoint.address : `-p ${endpoint.port} ${endpoint.address}`
    super(endpoint, [
      `${describeEndpoint(endpoint)}: unknown host key ${keyType} ${fingerprint} (not in ${knownHostsFile}).`,
      `Check this fingerprint on the server (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then either`,
      `  run again with --accept-new-host-keys, or`,
      `  ssh-keyscan ${scanTarget} >> ${knownHostsFile}`,
    ].join('\n'))
  }
}

export class HostKeyChangedError extends SshError {
  constructor(
    endpoint: Endpoint,
    readonly fingerprint: string,
    readonly keyType: string,
    readonly knownFingerprints: string[],
    readonly knownHostsFile: string,
  ) {
    const entry = endpoint.port === 22 ? endpoint.address : `[${endpoint.address}]:${endpoint.port}`
    super(endpoint, [
      `${describeEndpoint(endpoint)}: HOST KEY CHANGED. Someone may be intercepting the connection, or the server was reinstalled.`,
      `  known (${knownHostsFile}): ${knownFingerprints.join(', ')}`,
      `  offered now: ${keyType} ${fingerprint}`,
      `If the change is expected, remove the old key and accept the new one:`,
      `  ssh-keygen -R '${entry}' -f ${knownHostsFile}`,
      `  then run again with --accept-new-host-keys`,
    ].join('\n'))
  }
}

/** SSH authentication failed, or sudo refused (no password, wrong password). */
export class AuthError extends SshError {}

/** A command ran longer than its timeout; it was sent SIGKILL and its channel closed. */
export class CommandTimeoutError extends SshError {
  constructor(endpoint: Endpoint, readonly command: string, readonly timeoutMs: number) {
    super(endpoint, `${describeEndpoint(endpoint)}: command timed out after ${timeoutMs} ms: ${command}`)
  }
}

/** The run was interrupted (a second Ctrl-C) while this command ran: it was sent SIGKILL and its channel closed. */
export class CommandAbortedError extends SshError {
  constructor(endpoint: Endpoint, readonly command: string, reason: string) {
    super(endpoint, `${describeEndpoint(endpoint)}: command aborted (${reason}): ${command}`)
  }
}

/** What a failed connect attempt means for the operator: unreachable, refused credentials, or else. */
export function connectFailure(err: Error & { level?: string }, endpoint: Endpoint, user: string, offered: string[], timeoutMs: number): SshError {
  const where = describeEndpoint(endpoint)
  if (err instanceof SshError) return err
  if (err.level === 'client-authentication') {
    return new AuthError(endpoint, `${where}: authentication failed for user ${user} (offered: ${offered.join(', ')})`, { cause: err })
  }
  if (err.level === 'client-timeout') {
    return new UnreachableError(endpoint, `${where}: unreachable: no SSH handshake within ${timeoutMs / 1000} s (is sshd listening there?)`, { cause: err })
  }
  if (err.level === 'client-socket' || /No response from server/.test(err.message)) {
    return new UnreachableError(endpoint, `${where}: unreachable: connection lost during the SSH handshake (${err.message})`, { cause: err })
  }
  return new SshError(endpoint, `${where}: SSH connection failed: ${err.message}`, { cause: err })
}
