import type { OpReport } from '../../context.js'
import { fileFact } from '../../facts/file.js'
import { operate, type OperationOptions } from '../../operation.js'
import { changeOf } from '../steps.js'
import { attributes, type AttributeOptions } from './attributes.js'
import { requireAbsolute } from './path.js'
import { fileStep, type DesiredFile } from './write.js'

export interface FileOptions extends AttributeOptions, OperationOptions, Pick<DesiredFile, 'validate' | 'secret'> {
  content: string | Buffer
}

/** A regular file with this content, mode (default 0644), owner and group (default root), written atomically. */
export function file(path: string, options: FileOptions): Promise<OpReport> {
  return fileWithContent(path, options, async () => options.content)
}

/** As `file`, with the content made when the operation runs (a template renders in its own turn). */
export function fileWithContent(path: string, options: Omit<FileOptions, 'content'>, content: () => Promise<string | Buffer>): Promise<OpReport> {
  requireAbsolute(path)
  return operate(`file ${path}`, async () => {
    const want: DesiredFile = { path, content: await content(), ...attributes(options, 0o644), validate: options.validate, secret: options.secret }
    const fact = await fileFact(path, { content: !options.secret })
    return changeOf([fileStep(fact, want)])
  }, { notify: options.notify }, [path])
}
