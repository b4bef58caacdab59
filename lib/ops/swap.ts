// Swap off: now (swapoff -a) and at boot (the swap lines of /etc/fstab commented out). The kubelet requires it.
import type { OpReport } from '../context.js'
import { isFstabSwapLine, swapFacts } from '../facts/swap.js'
import { operate, type OperationOptions } from '../operation.js'
import { fileStep } from './files/write.js'
import { changeOf } from './steps.js'

export function off(options: OperationOptions = {}): Promise<OpReport> {
  return operate('swap off', async () => {
    const { active, fstab, fstabSwapLines } = await swapFacts()
    const commentedOut = fstab.exists && fstab.content !== undefined && fstabSwapLines.length > 0
      ? fstab.content.split('\n').map((line) => (isFstabSwapLine(line) ? `# ${line}` : line)).join('\n')
      : undefined
    return changeOf([
      active.length ? { summary: `swapoff ${active.map((s) => s.filename).join(', ')}`, script: 'swapoff -a' } : null,
      fstab.exists && commentedOut !== undefined ? {
        ...fileStep(fstab, { path: fstab.path, content: commentedOut, mode: fstab.mode, owner: String(fstab.uid), group: String(fstab.gid) })!,
        summary: `comment out ${fstabSwapLines.length} swap line${fstabSwapLines.length > 1 ? 's' : ''} in /etc/fstab`,
      } : null,
    ])
  }, options, ['swap', '/etc/fstab'])
}
