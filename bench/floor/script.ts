// The floor: what a hand-written bash script checks (and, unless CHECK=1, changes) on one host, sent in one
// `ssh host bash -s`. It does what the plays do, with none of a runner's own cost.
import { createHash } from 'node:crypto'
import { shellQuote } from '../../lib/ssh/quote.js'

/** One check: when `ok` (a shell condition) fails, `apply` runs (not in check mode) and `notify` is recorded. */
export interface Ensure {
  what: string
  ok: string
  apply: string
  notify?: string
  /** The service this check starts, for the handlers (see floorScript). */
  started?: string
}

const HEAD = `set -eu
check=\${CHECK:-0}
changed=0
notified=' '
started=' '
note() { changed=$((changed + 1)); echo "change: $1"; }`

export function floorScript(checks: Ensure[], handlers: Record<string, string> = {}): string {
  const body = checks.map((c) => [
    `if ! { ${c.ok}; }; then`,
    `  note ${shellQuote(c.what)}`,
    c.notify ? `  case "$notified" in *" ${c.notify} "*) ;; *) notified="\${notified}${c.notify} " ;; esac` : '',
    c.started ? `  started="\${started}${c.started} "` : '',
    `  if [ "$check" = 0 ]; then`,
    `    ${c.apply}`,
    '  fi',
    'fi',
  ].filter(Boolean).join('\n'))
  // A handler named after a service this script started (after the change that notified it) is not needed:
  // kubeplay skips such restarts too.
  const runHandlers = Object.entries(handlers).map(([name, command]) =>
    `case "$notified" in *" ${name} "*) case "$started" in *" ${name} "*) ;; *) note ${shellQuote(name)}; [ "$check" = 1 ] || ${command} ;; esac ;; esac`)
  return [HEAD, ...body, ...runHandlers, 'echo "changed=$changed"', ''].join('\n')
}

/** A file with exactly this content, mode, owner root:root; written atomically. */
export function fileIs(path: string, content: string, mode: string, notify?: string): Ensure {
  const p = shellQuote(path)
  const sha = createHash('sha256').update(content).digest('hex')
  const octal = mode.replace(/^0/, '')
  const b64 = Buffer.from(content).toString('base64')
  return {
    what: `file ${path}`,
    ok: `[ -f ${p} ] && [ "$(sha256sum < ${p})" = "${sha}  -" ] && [ "$(stat -c '%a %U %G' ${p})" = '${octal} root root' ]`,
    apply: `printf %s ${b64} | base64 -d > ${p}.floor && chown root:root ${p}.floor && chmod ${mode} ${p}.floor && mv -f ${p}.floor ${p}`,
    notify,
  }
}
