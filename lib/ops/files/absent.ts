import type { OpReport } from '../../context.js'
import { fileFact } from '../../facts/file.js'
import { operate, type OperationOptions } from '../../operation.js'
import { changeOf, sh } from '../steps.js'
import { requireAbsolute } from './path.js'

/** Nothing at this path: a file or link is removed, a directory with all it holds. */
export function absent(path: string, options: OperationOptions = {}): Promise<OpReport> {
  requireAbsolute(path)
  if (path.replace(/\/+$/, '') === '') throw new Error('files.absent refuses to remove /')
  return operate(`absent ${path}`, async () => {
    const fact = await fileFact(path)
    if (!fact.exists) return null
    const isDirectory = fact.type === 'directory'
    return changeOf([{
      summary: isDirectory ? `remove directory ${path} and its content` : `remove ${path}`,
      script: isDirectory ? sh`rm -rf -- ${path}` : sh`rm -f -- ${path}`,
    }])
  }, options, [path])
}
