// Reaching lab hosts with the OpenSSH client, host-key verification on, against the lab's known_hosts.
import { $ } from 'zx'

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

export interface RemoteResult { exitCode: number | null; stdout: string; stderr: string }

/**
 * Runs a shell command on the host as root; never throws, look at exitCode. A command cut off by the timeout
 * says so in stderr (ssh itself exits 255 on the SIGTERM, and with LogLevel=ERROR it would say nothing).
 */
export async function runOnHost(lab: SshLab, host: SshTarget, command: string, timeoutMs = 120_000): Promise<RemoteResult> {
  const started = Date.now()
  const output = await $({ nothrow: true, quiet: true, timeout: timeoutMs })`ssh ${sshOptions(lab)} ${`root@${host.address}`} ${command}`
  const timedOut = output.exitCode !== 0 && Date.now() - started >= timeoutMs
  const stderr = timedOut ? `${output.stderr}[timed out after ${timeoutMs / 1000} s: ssh was stopped]\n` : output.stderr
  return { exitCode: output.exitCode, stdout: output.stdout, stderr }
}
