// The whole play, in the guide's order: `tsx tasks/site.ts`.
import { main, play } from '../lib/index.js'
import containerd from './containerd.js'
import keepalived from './keepalived.js'
import nginx from './nginx.js'
import prepare from './prepare.js'

const site = play('site', [prepare, containerd, nginx, keepalived])

export default site
await main(import.meta, site)
