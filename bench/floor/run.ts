// The floor's side: one `ssh host bash -s < script` per host, all hosts at once, one OpenSSH connection each.
import { readFileSync, writeFileSync } from 'node:fs'
import type { Inventory } from '../../lib/index.js'
import { shellQuote } from '../../lib/ssh/quote.js'
import { measure, type Measured } from '../measure.js'
import { workPath } from '../paths.js'
import { convergeScript, scaleScript } from './checks.js'

export interface FloorRun extends Measured {
  changed: number
  failed: number
}

/** Writes each host's script and a driver that runs them all in parallel; returns the driver's path. */
export async function writeFloor(kind: 'converge' | 'scale', inventory: Inventory, sshOptions: string[]): Promise<string> {
  const lines = ['pids=']
  for (const host of inventory.hosts) {
    const script = workPath('floor', `${kind}-${host.name}.sh`)
    writeFileSync(script, kind === 'converge' ? await convergeScript(host, inventory) : scaleScript(host))
    const ssh = ['ssh', ...sshOptions, `root@${host.address}`].map(shellQuote).join(' ')
    lines.push(`${ssh} "CHECK=$CHECK bash -s" < ${shellQuote(script)} 2>&1 | sed 's/^/${host.name}: /' & pids="$pids $!"`)
  }
  lines.push('status=0', 'for p in $pids; do wait "$p" || status=1; done', 'exit $status')
  const driver = workPath('floor', `${kind}-all.sh`)
  writeFileSync(driver, `${lines.join('\n')}\n`)
  return driver
}

export async function runFloor(driver: string, check: boolean, logFile: string): Promise<FloorRun> {
  const measured = await measure({ group: 'floor', command: 'bash', args: ['-o', 'pipefail', driver], env: { CHECK: check ? '1' : '0' }, logFile })
  const output = readFileSync(logFile, 'utf8')
  const changed = [...output.matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)
  return { ...measured, changed, failed: measured.exitCode === 0 ? 0 : 1 }
}
