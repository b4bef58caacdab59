// The idempotent operations, pyinfra style: `await files.file('/etc/x', { content })` on the current host.
// Each reads facts (read-only, one round trip), decides what differs, changes only that (one round trip).
export * as files from './files/index.js'
export * as apt from './apt/index.js'
export * as systemd from './systemd.js'
export * as sysctl from './sysctl.js'
export * as modules from './modules.js'
export * as swap from './swap.js'
export * as system from './system.js'
export * as command from './command.js'
