// What a Connection takes and gives: its options, a command's result, its counters, the host key it met.
import type { Connection } from './connection.js'

export interface ConnectionOptions {
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string
  /** Record unknown host keys (OpenSSH's StrictHostKeyChecking=accept-new). A changed key always fails. */
  acceptNewHostKeys?: boolean
  /** TCP connect plus SSH handshake and authentication. Default 10000. */
  connectTimeoutMs?: number
  /** Default 5000; a dead host fails after keepaliveCountMax + 1 unanswered intervals (default 2: ~15 s). */
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
  /** Default timeout of exec(); default 30 minutes. */
  commandTimeoutMs?: number
  /** Memoized by the caller and shared by all connections of a run: asked at most once per run. */
  sudoPassword?: () => Promise<string | undefined>
  /** Connect through this (already configured) connection instead of host.jump / ProxyJump. */
  jump?: Connection
  /** Jump connections by spec ("user@bastion:22"), shared across the run; their owner closes them. */
  jumpPool?: Map<string, Connection>
  /** ssh config file to read, or false to ignore it. Default ~/.ssh/config. */
  sshConfigFile?: string | false
  /** ssh-agent socket, or false for none. Default $SSH_AUTH_SOCK. */
  agentSocket?: string | false
  /** Concurrent channels (execs) on this connection. Default 5: OpenSSH allows 10 and frees them late. */
  maxChannels?: number
}

export interface ExecOptions {
  stdin?: string | Buffer
  timeoutMs?: number
  /** For a non-root user, commands run through sudo unless this is false. */
  sudo?: boolean
}

export interface ExecResult {
  stdout: string
  stderr: string
  code: number
  signal?: string
}

export interface ConnectionStats {
  connects: number
  commands: number
  bytesSent: number
  bytesReceived: number
}

export interface HostKeyInfo {
  type: string
  fingerprint: string
  /** True when this run recorded it (acceptNewHostKeys). */
  accepted: boolean
}

export const DEFAULTS = { connectTimeoutMs: 10_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 2, commandTimeoutMs: 30 * 60_000 }
