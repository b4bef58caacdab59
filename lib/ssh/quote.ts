// POSIX shell quoting, safe for sh, dash and bash alike.
// (zx's `quote` emits bash-only $'…' strings, which dash, the default /bin/sh on Debian, does not understand.)

const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/

/** Quotes one word so that any POSIX shell reads it back literally: it's → 'it'\''s'. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}
