// The scale play: ten operations, all no-ops on converged hosts, one task. Each maps to one Ansible module.
import { files, main, play, sysctl, systemd, task } from '../lib/index.js'
import { SCALE_ABSENT, SCALE_BLOCK, SCALE_DIR, SCALE_FILES, SCALE_LINE, SCALE_SERVICE, SCALE_SYSCTL, scaleFileContent, scaleSysctlFile } from './spec.js'

const tenOperations = task({
  name: 'ten-operations',
  hosts: 'all',
  async run({ host }) {
    // Ten operations on different things: their facts are read in one command, and they apply in this order.
    await Promise.all([
      files.directory(SCALE_DIR),
      ...SCALE_FILES.map((path) => files.file(path, { content: scaleFileContent(host.name, path) })),
      files.line(SCALE_LINE.path, { line: SCALE_LINE.line }),
      files.block(SCALE_BLOCK.path, { marker: SCALE_BLOCK.marker, content: SCALE_BLOCK.content }),
      files.absent(SCALE_ABSENT),
      sysctl.set({ [SCALE_SYSCTL.key]: SCALE_SYSCTL.value }, { file: scaleSysctlFile('kubeplay') }),
      systemd.service(SCALE_SERVICE, { enabled: true, state: 'started' }),
    ])
  },
})

const scale = play('bench-scale', [tenOperations])
export default scale
await main(import.meta, scale)
