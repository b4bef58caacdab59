// Big labs need more inotify instances than the default 128: each booted systemd takes several.
// The original value is kept in one file shared by all labs and put back when the last lab goes down.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { STATE_ROOT } from './config.js'
import { stateFile } from './state.js'

const INOTIFY = '/proc/sys/fs/inotify/max_user_instances'
const ORIGINAL = join(STATE_ROOT, 'inotify-max-user-instances.original')
const BIG_LAB_LIMIT = 4096
const HOSTS_THE_DEFAULT_CARRIES = 12

/** `hostCount`: of every lab that will be up, this one's included (their hosts share the one per-user limit). */
export function raiseInotifyLimit(hostCount: number) {
  if (hostCount <= HOSTS_THE_DEFAULT_CARRIES) return
  const current = Number(readFileSync(INOTIFY, 'utf8'))
  if (current >= BIG_LAB_LIMIT) return
  if (!existsSync(ORIGINAL)) writeFileSync(ORIGINAL, String(current))
  writeFileSync(INOTIFY, String(BIG_LAB_LIMIT))
}

/** Called after a lab's state is removed: restores the limit once no lab is left. */
export function restoreInotifyLimitIfLastLab() {
  if (!existsSync(ORIGINAL)) return
  const labsLeft = readdirSync(STATE_ROOT).filter((entry) => existsSync(stateFile(join(STATE_ROOT, entry))))
  if (labsLeft.length > 0) return
  writeFileSync(INOTIFY, readFileSync(ORIGINAL, 'utf8').trim())
  rmSync(ORIGINAL)
}
