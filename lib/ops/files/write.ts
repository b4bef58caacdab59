// The one way every operation puts a file in place: atomically, in one round trip. The content comes on stdin into
// a temp file next to the target, gets its owner and mode, is validated, then renamed over the target.
import { createHash } from 'node:crypto'
import { dirname, basename } from 'node:path'
import { TaskError } from '../../errors.js'
import type { FileFact } from '../../facts/file.js'
import type { Step } from '../steps.js'
import { sh } from '../steps.js'
import { attributeDrift, attributesStep, setAttributesScript, type Attributes } from './attributes.js'
import { contentDiff } from './diff.js'

export interface DesiredFile extends Attributes {
  path: string
  content: string | Buffer
  /**
   * A command that checks the new content. With `%s`, it gets the temp file's path and runs before the rename
   * (`visudo -cf %s`). Without, it checks the installed tree (`nginx -t`): the new file is put in place with the
   * old one kept aside, and the old one is restored if the check fails.
   */
  validate?: string
  /** No content diff at all, and the content is never read back. */
  secret?: boolean
}

/** Exit code of the write script when the validator rejected the new content. */
const VALIDATION_FAILED = 97
const VALIDATION_MARK = 'kubeplay-validation-failed'

/** The step that makes the file at `fact.path` as wanted, or null when it already is. */
export function fileStep(fact: FileFact, want: DesiredFile): Step | null {
  if (fact.exists && fact.type !== 'file') {
    throw new TaskError(`${want.path} is a ${fact.type === 'symlink' ? `symbolic link (to ${fact.target})` : fact.type}, not a regular file: not replaced`)
  }
  const content = Buffer.from(want.content)
  if (!fact.exists) {
    return writeStep(want, content, `create ${want.path}`, contentDiff(fact, want.content, want))
  }
  const drift = attributeDrift(fact, want)
  if (fact.sha256 !== sha256(content)) {
    return writeStep(want, content, [`update ${want.path}`, ...drift].join(', '), contentDiff(fact, want.content, want))
  }
  return attributesStep(want.path, drift, want)
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

function writeStep(want: DesiredFile, content: Buffer, summary: string, diff: string): Step {
  const dir = dirname(want.path)
  const tempTemplate = `${dir}/.${basename(want.path)}.kubeplay.XXXXXX`
  const script = [
    sh`p=${want.path}`,
    sh`[ -d ${dir} ] || { echo ${`kubeplay: cannot write ${want.path}: directory ${dir} does not exist`} >&2; exit 1; }`,
    'bak=',
    sh`tmp=$(mktemp -- ${tempTemplate})`,
    // Whatever goes wrong from here on, no temp file stays behind, and a kept-aside old file goes back in place.
    `trap 'rm -f -- "$tmp"; if [ -n "$bak" ] && [ -e "$bak" ]; then mv -f -- "$bak" "$p"; fi' EXIT`,
    "trap 'exit 143' TERM INT HUP", // an aborted run (TERM) still runs the EXIT trap above
    content.length ? `head -c ${content.length} > "$tmp"` : ': > "$tmp"',
    `[ "$(stat -c %s -- "$tmp")" = ${content.length} ] || { echo "kubeplay: short input for $p" >&2; exit 1; }`,
    setAttributesScript('tmp', want),
    want.validate ? validatedMove(want.validate) : 'mv -f -- "$tmp" "$p"',
  ].join('\n')
  return {
    summary,
    diff,
    script,
    input: content,
    explain: (result, ctx) => {
      if (result.code !== VALIDATION_FAILED || !result.stderr.includes(`${VALIDATION_MARK} ${want.path}\n`)) return undefined
      const output = result.stderr.slice(result.stderr.indexOf(`${VALIDATION_MARK} ${want.path}\n`) + VALIDATION_MARK.length + want.path.length + 2)
      return new TaskError(`validation failed on ${ctx.host.name} (task ${ctx.task}): ${want.path} was left unchanged; ` +
        `\`${want.validate}\` said:\n${output.trimEnd() || '(no output)'}`)
    },
  }
}

function validatedMove(validate: string): string {
  const fail = `{ printf '${VALIDATION_MARK} %s\\n%s\\n' "$p" "$out" >&2; exit ${VALIDATION_FAILED}; }`
  if (validate.includes('%s')) {
    return [
      `if ! out=$(${validate.replaceAll('%s', '"$tmp"')} 2>&1); then ${fail}; fi`,
      'mv -f -- "$tmp" "$p"',
    ].join('\n')
  }
  return [
    // Keep the old file aside (a hard link keeps the very inode), put the new one in place, check the tree.
    `if [ -e "$p" ]; then bak="$tmp.old"; ln -f -- "$p" "$bak" 2>/dev/null || cp -p -- "$p" "$bak"; fi`,
    'mv -f -- "$tmp" "$p"',
    `if ! out=$(${validate} 2>&1); then`,
    '  [ -n "$bak" ] || rm -f -- "$p"',
    `  ${fail}`,
    'fi',
    'if [ -n "$bak" ]; then rm -f -- "$bak"; fi',
  ].join('\n')
}
