// Files the bench writes: under bench/.work (not committed).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { WORK_DIR } from './config.js'

export function workPath(...parts: string[]): string {
  const path = join(WORK_DIR, ...parts)
  mkdirSync(join(path, '..'), { recursive: true })
  return path
}
