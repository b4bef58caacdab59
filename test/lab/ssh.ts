// Reaching lab hosts with the OpenSSH client, host-key verification on, against the lab's known_hosts.
import { $, type ProcessOutput } from 'zx'

export interface SshTarget { address: string }
export interface SshLab { keyFile: string; knownHostsFile: string }

export function sshOptions(lab: SshLab): string[] {
  return [
    '-i', lab.keyFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${lab.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
  ]
}

/** Runs a shell command on the host as root; never throws, look at exitCode. */
export function runOnHost(lab: SshLab, host: SshTarget, command: string, timeoutMs = 120_000): Promise<ProcessOutput> {
  return $({ nothrow: true, quiet: true, timeout: timeoutMs })`ssh ${sshOptions(lab)} ${`root@${host.address}`} ${command}`
}
