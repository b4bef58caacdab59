// An apt repository with its own signing key: the key in /etc/apt/keyrings/<name>.gpg and a source file whose
// signed-by names it. A change makes the next apt.packages on the host update the lists first.
import { currentHost, type OpReport } from '../../context.js'
import { TaskError } from '../../errors.js'
import { fileQuery } from '../../facts/file.js'
import { gather, type FactQuery } from '../../facts/query.js'
import { operate, type OperationOptions } from '../../operation.js'
import { fileStep } from '../files/write.js'
import { changeOf, sh } from '../steps.js'
import { dearmor } from './dearmor.js'
import { aptRunState } from './run-state.js'

export interface RepositoryOptions extends OperationOptions {
  /** Names the key and source files: [a-z0-9._-]. */
  name: string
  url: string
  /** "bookworm", or "/" for a flat repository such as pkgs.k8s.io. */
  suite: string
  components?: string[]
  /** The signing key, armored or binary: given, or downloaded on the host (curl or wget) from `url`. */
  key: { url: string; content?: undefined } | { content: string | Buffer; url?: undefined }
  arch?: string
  /** list (default): one-line sources.list.d/<name>.list; sources: deb822 sources.list.d/<name>.sources. */
  format?: 'list' | 'sources'
}

const KEYRINGS = '/etc/apt/keyrings'

export function repository(options: RepositoryOptions): Promise<OpReport> {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(options.name)) throw new TaskError(`apt.repository: invalid name ${JSON.stringify(options.name)}`)
  const keyring = `${KEYRINGS}/${options.name}.gpg`
  const format = options.format ?? 'list'
  const sourcePath = `/etc/apt/sources.list.d/${options.name}.${format}`
  const source = format === 'list' ? oneLineSource(options, keyring) : deb822Source(options, keyring)
  return operate(`apt repository ${options.name}`, async () => {
    const [keyringsDir, keyFile, sourceFile, downloaded] = await gather(
      fileQuery(KEYRINGS),
      fileQuery(keyring),
      fileQuery(sourcePath, { content: true }),
      ...(options.key.url ? [keyDownloadQuery(options.name, options.key.url)] : []),
    )
    const key = dearmor(downloaded ?? options.key.content!)
    const change = changeOf([
      keyringsDir.exists ? null : { summary: `create ${KEYRINGS}`, script: sh`install -d -m 0755 -- ${KEYRINGS}` },
      fileStep(keyFile, { path: keyring, content: key, mode: 0o644, owner: 'root', group: 'root' }),
      fileStep(sourceFile, { path: sourcePath, content: source, mode: 0o644, owner: 'root', group: 'root' }),
    ])
    return change && { ...change, apply: () => change.apply().then(() => { aptRunState(currentHost()).listsStale = true }) }
  }, options)
}

function oneLineSource(o: RepositoryOptions, keyring: string): string {
  const optionList = [...(o.arch ? [`arch=${o.arch}`] : []), `signed-by=${keyring}`].join(' ')
  return `deb [${optionList}] ${[o.url, o.suite, ...(o.components ?? [])].join(' ')}\n`
}

function deb822Source(o: RepositoryOptions, keyring: string): string {
  return [
    'Types: deb',
    `URIs: ${o.url}`,
    `Suites: ${o.suite}`,
    ...(o.components?.length ? [`Components: ${o.components.join(' ')}`] : []),
    ...(o.arch ? [`Architectures: ${o.arch}`] : []),
    `Signed-By: ${keyring}`,
  ].join('\n') + '\n'
}

// Read-only on the host: the key comes back base64-encoded, to be compared with (and written as) the keyring.
function keyDownloadQuery(name: string, url: string): FactQuery<Buffer> {
  const script = [
    'set -o pipefail',
    `{ if command -v curl >/dev/null 2>&1; then ${sh`curl -fsSL --max-time 60 -- ${url}`}`,
    `elif command -v wget >/dev/null 2>&1; then ${sh`wget -q -T 60 -O - -- ${url}`}`,
    `else echo 'neither curl nor wget is installed' >&2; exit 127; fi; } 2>&1 | base64 -w0`,
  ].join('\n')
  return {
    name: `key of apt repository ${name}`,
    script,
    parse: (output, code) => {
      if (code !== 0) {
        const said = Buffer.from(output.trim(), 'base64').toString('utf8').trim()
        throw new TaskError(`cannot download the key of apt repository ${name} from ${url} (exit code ${code})${said ? `: ${said}` : ''}`)
      }
      return Buffer.from(output.trim(), 'base64')
    },
  }
}
