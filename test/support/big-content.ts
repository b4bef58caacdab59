// Deterministic bulk content for file-write tests: the test and the play it runs compute the same bytes.
import { createHash } from 'node:crypto'

export function bigContent(megabytes: number): Buffer {
  const block = createHash('sha512').update('kubeplay').digest()
  return Buffer.concat(Array.from({ length: Math.ceil((megabytes * 1024 * 1024) / block.length) }, () => block)).subarray(0, megabytes * 1024 * 1024)
}
