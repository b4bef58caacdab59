// A lock file holding the owner's PID: a second `up`/`down` of the same lab, or a second image build, waits.
// A lock whose owner is gone (crashed) is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { isRunning, sleep } from './processes.js'

export async function withLock<T>(file: string, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(file), { recursive: true })
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      break
    } catch {
      const owner = Number(readFileSync(file, 'utf8'))
      if (!isRunning(owner)) { rmSync(file, { force: true }); continue }
      if (attempt === 0) log(`waiting for process ${owner}, which holds ${file}`)
      await sleep(1000)
    }
  }
  try {
    return await work()
  } finally {
    rmSync(file, { force: true })
  }
}
