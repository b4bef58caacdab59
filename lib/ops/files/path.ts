import { TaskError } from '../../errors.js'

/** Operations take absolute paths only: a relative one would depend on the login's working directory. */
export function requireAbsolute(path: string): string {
  if (!path.startsWith('/')) throw new TaskError(`path ${JSON.stringify(path)} must be absolute`)
  if (path.includes('\n')) throw new TaskError(`path ${JSON.stringify(path)} must not contain a newline`)
  return path
}
