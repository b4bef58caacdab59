// Swap: what is active now (/proc/swaps) and what /etc/fstab turns on at boot.
import { fileQuery, type FileFact } from './file.js'
import { gather, type FactQuery } from './query.js'

export interface ActiveSwap {
  /** Device or file; /proc/swaps escapes spaces as \040. */
  filename: string
  type: string
  sizeKiB: number
}

export interface SwapFacts {
  active: ActiveSwap[]
  fstab: FileFact
  /** The fstab lines that are not comments and mount swap. */
  fstabSwapLines: string[]
}

export function activeSwapQuery(): FactQuery<ActiveSwap[]> {
  return { name: 'active swap', script: 'cat /proc/swaps', parse: parseProcSwaps }
}

export function parseProcSwaps(output: string): ActiveSwap[] {
  return output.split('\n').slice(1).filter((l) => l.trim()).map((line) => {
    const [filename, type, size] = line.trim().split(/\s+/)
    return { filename, type, sizeKiB: Number(size) }
  })
}

export function isFstabSwapLine(line: string): boolean {
  const fields = line.trim().split(/\s+/)
  return !line.trimStart().startsWith('#') && fields.length >= 3 && fields[2] === 'swap'
}

export async function swapFacts(): Promise<SwapFacts> {
  const [active, fstab] = await gather(activeSwapQuery(), fileQuery('/etc/fstab', { content: true }))
  const fstabSwapLines = fstab.exists && fstab.content !== undefined ? fstab.content.split('\n').filter(isFstabSwapLine) : []
  return { active, fstab, fstabSwapLines }
}
