// A file of the current host copied to the operator's machine (Ansible's fetch), e.g. admin.conf to
// .kubeplay/admin.conf. The content never reaches the run log; the local copy is written atomically, mode 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { currentHost, type OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { operate, type OperationOptions } from '../../operation.js'
import { sh } from '../steps.js'
import { requireAbsolute } from './path.js'

export interface FetchOptions extends OperationOptions {
  /** Rewrites the content before it is stored, e.g. another server address in a kubeconfig. */
  transform?: (content: string) => string
  /** Of the local file; default 0600. */
  mode?: number
}

export function fetch(remotePath: string, localPath: string, options: FetchOptions = {}): Promise<OpReport> {
  requireAbsolute(remotePath)
  return operate(`fetch ${remotePath} to ${localPath}`, async () => {
    const ctx = currentHost()
    const read = await ctx.run(sh`base64 -w0 -- ${remotePath}`, { readonly: true, nothrow: true, secretOutput: true })
    if (!read.ok) {
      // In check mode the file may not exist yet: an earlier step would have created it.
      if (ctx.check) return { summary: `copy ${remotePath} from ${ctx.host.name}`, apply: async () => {} }
      throw new TaskError(`cannot fetch ${remotePath} from ${ctx.host.name} (task ${ctx.task}): ${read.stderr.trim()}`)
    }
    const content = (options.transform ?? ((c: string) => c))(Buffer.from(read.stdout.trim(), 'base64').toString('utf8'))
    const mode = options.mode ?? 0o600
    const exists = existsSync(localPath)
    if (exists && readFileSync(localPath, 'utf8') === content && (statSync(localPath).mode & 0o777) === mode) return null
    return {
      summary: `${exists ? 'update' : 'create'} ${localPath} from ${ctx.host.name}:${remotePath}`,
      apply: async () => writeLocal(localPath, content, mode),
    }
  }, options, [localPath])
}

function writeLocal(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.kubeplay-tmp`
  writeFileSync(temp, content, { mode })
  chmodSync(temp, mode) // the umask may have taken bits away
  renameSync(temp, path)
}
