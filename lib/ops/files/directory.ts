import type { OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { fileFact } from '../../facts/file.js'
import { operate, type OperationOptions } from '../../operation.js'
import { changeOf, sh } from '../steps.js'
import { attributeDrift, attributes, attributesStep, setAttributesScript, type AttributeOptions } from './attributes.js'
import { requireAbsolute } from './path.js'

/** A directory (parents created as needed) with this mode (default 0755), owner and group (default root). */
export function directory(path: string, options: AttributeOptions & OperationOptions = {}): Promise<OpReport> {
  requireAbsolute(path)
  const want = attributes(options, 0o755)
  return operate(`directory ${path}`, async () => {
    const fact = await fileFact(path)
    if (!fact.exists) {
      return changeOf([{
        summary: `create directory ${path}`,
        script: [sh`p=${path}`, 'mkdir -p -- "$p"', setAttributesScript('p', want)].join('\n'),
      }])
    }
    if (fact.type !== 'directory') throw new TaskError(`${path} is a ${fact.type}, not a directory: not replaced`)
    return changeOf([attributesStep(path, attributeDrift(fact, want), want)])
  }, { notify: options.notify }, [path])
}
