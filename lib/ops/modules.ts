// Kernel modules: persisted in a modules-load.d file, and loaded now unless already in the kernel.
import type { OpReport } from '../context.js'
import { TaskError } from '../errors.js'
import { fileQuery } from '../facts/file.js'
import { kernelModulesQuery } from '../facts/modules.js'
import { gather } from '../facts/query.js'
import { currentHost } from '../context.js'
import { operate, type OperationOptions } from '../operation.js'
import { fileStep } from './files/write.js'
import { requireAbsolute } from './files/path.js'
import { changeOf, sh } from './steps.js'

export interface ModulesOptions extends OperationOptions {
  /** The file that loads them at boot (the whole file is owned by this operation). */
  file?: string
}

export function load(names: string[], options: ModulesOptions = {}): Promise<OpReport> {
  const path = requireAbsolute(options.file ?? '/etc/modules-load.d/kubernetes.conf')
  for (const name of names) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new TaskError(`invalid kernel module name ${JSON.stringify(name)}`)
  }
  const content = `# Managed by kubeplay: modules.load\n${names.map((n) => `${n}\n`).join('')}`
  return operate(`modules ${names.join(' ')}`, async () => {
    const [file, modules] = await gather(fileQuery(path, { content: true }), kernelModulesQuery(names))
    const missing = [...modules.missing]
    if (missing.length && !modules.modprobe) {
      throw new TaskError(`kernel module${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not loaded on ${currentHost().host.name}, ` +
        'and modprobe is not installed there (install kmod, or load the module in the host\'s kernel)')
    }
    return changeOf([
      fileStep(file, { path, content, mode: 0o644, owner: 'root', group: 'root' }),
      missing.length ? { summary: `load ${missing.join(', ')}`, script: sh`modprobe -a -- ${missing}` } : null,
    ])
  }, options, [path, ...names.map((name) => `module:${name}`)])
}
