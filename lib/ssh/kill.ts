// Stopping commands on a host. sshd (OpenSSH 9.2 at least) ignores the SSH "signal" request and closing a channel
// does not stop its command, so each command's bash carries a tag in its command line, and a command of its own
// finds it by that tag.
import { shellQuote } from './quote.js'

/** Kills the commands with these tags: their process group when their bash leads one, else it and its children. */
export function killByTagScript(tags: string[]): string {
  const patterns = tags.map((tag) => `[${tag[0]}]${tag.slice(1)}$`) // [k]ubeplay-…: never matches this command itself
  return [
    'targets=',
    `for pattern in ${patterns.map(shellQuote).join(' ')}; do`,
    '  for p in $(pgrep -f -- "$pattern"); do',
    '    pg=$(ps -o pgid= -p "$p" | tr -d " ")',
    '    if [ "$pg" = "$p" ]; then t="-$p"; else t="$p $(pgrep -P "$p" | tr "\\n" " ")"; fi',
    '    kill -TERM -- $t; targets="$targets $t"',
    '  done',
    'done 2>/dev/null',
    // TERM first, so that scripts clean up (a file write removes its temp file); KILL what is left.
    '[ -z "$targets" ] || { sleep 2; kill -KILL -- $targets 2>/dev/null; }; true',
  ].join('\n')
}
