// The scale play: ten operations, all no-ops on converged hosts, one task. Each maps to one Ansible module.
import { files, main, play, sysctl, systemd, task } from '../lib/index.js'
import { SCALE_ABSENT, SCALE_BLOCK, SCALE_DIR, SCALE_FILES, SCALE_LINE, SCALE_SERVICE, SCALE_SYSCTL, scaleFileContent, scaleSysctlFile } from './spec.js'

const tenOperations = task({
  name: 'ten-operations',
  hosts: 'all',
  async run({ host }) {
    await files.directory(SCALE_DIR)
    for (const path of SCALE_FILES) await files.file(path, { content: scaleFileContent(host.name, path) })
    await files.line(SCALE_LINE.path, { line: SCALE_LINE.line })
    await files.block(SCALE_BLOCK.path, { marker: SCALE_BLOCK.marker, content: SCALE_BLOCK.content })
    await files.absent(SCALE_ABSENT)
    await sysctl.set({ [SCALE_SYSCTL.key]: SCALE_SYSCTL.value }, { file: scaleSysctlFile('kubeplay') })
    await systemd.service(SCALE_SERVICE, { enabled: true, state: 'started' })
  },
})

const scale = play('bench-scale', [tenOperations])
export default scale
await main(import.meta, scale)
