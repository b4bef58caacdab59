// Kernel parameters: persisted in a sysctl.d file, and the values that differ applied now.
import type { OpReport } from '../context.js'
import { TaskError } from '../errors.js'
import { fileQuery } from '../facts/file.js'
import { gather } from '../facts/query.js'
import { normalizeKey, normalizeValue, sysctlQuery } from '../facts/sysctl.js'
import { operate, type OperationOptions } from '../operation.js'
import { fileStep } from './files/write.js'
import { requireAbsolute } from './files/path.js'
import { changeOf, sh } from './steps.js'

export interface SysctlOptions extends OperationOptions {
  /** The file that persists the values (the whole file is owned by this operation). */
  file?: string
}

const KEY = /^[A-Za-z0-9_.\/-]+$/

export function set(values: Record<string, string | number>, options: SysctlOptions = {}): Promise<OpReport> {
  const path = requireAbsolute(options.file ?? '/etc/sysctl.d/99-kubernetes.conf')
  const wanted = new Map(Object.entries(values).map(([key, value]) => {
    if (!KEY.test(key)) throw new TaskError(`invalid sysctl key ${JSON.stringify(key)}`)
    return [normalizeKey(key), normalizeValue(String(value))]
  }))
  const content = `# Managed by kubeplay: sysctl.set\n${[...wanted].map(([k, v]) => `${k} = ${v}\n`).join('')}`
  return operate(`sysctl ${[...wanted.keys()].join(' ')}`, async () => {
    const [file, current] = await gather(fileQuery(path, { content: true }), sysctlQuery([...wanted.keys()]))
    // A key the kernel lacks now may come with a module loaded earlier in the same run: try to set it.
    const differing = [...wanted].filter(([key, value]) => current.get(key) !== value)
    return changeOf([
      fileStep(file, { path, content, mode: 0o644, owner: 'root', group: 'root' }),
      differing.length === 0 ? null : {
        summary: `set ${differing.map(([k, v]) => `${k} = ${v} (was ${current.get(k) ?? 'unknown'})`).join(', ')}`,
        script: sh`sysctl -q -w ${differing.map(([k, v]) => `${k}=${v}`)}`,
      },
    ])
  }, options, [path, ...[...wanted.keys()].map((key) => `sysctl:${key}`)])
}
