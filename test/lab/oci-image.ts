// A tiny OCI image built here, without a registry: one layer holding Debian's static busybox
// (package busybox-static). containerd inside a lab host imports it with `ctr image import`.
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sh } from './shell.js'

const BUSYBOX = '/bin/busybox'
export const BUSYBOX_IMAGE = 'docker.io/kubeplay-lab/busybox:1'

/** Writes the image as an OCI layout tarball and returns its path. */
export async function buildBusyboxImage(outputDir: string): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'kubeplay-oci-'))
  try {
    const rootfs = join(work, 'rootfs')
    mkdirSync(join(rootfs, 'bin'), { recursive: true })
    copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'))
    symlinkSync('busybox', join(rootfs, 'bin/sh'))
    const layout = join(work, 'layout')
    mkdirSync(join(layout, 'blobs/sha256'), { recursive: true })
    const blob = (content: Buffer | string) => {
      const digest = createHash('sha256').update(content).digest('hex')
      writeFileSync(join(layout, 'blobs/sha256', digest), content)
      return { digest: `sha256:${digest}`, size: Buffer.byteLength(content) }
    }

    await sh`tar --numeric-owner --owner=0 --group=0 -C ${rootfs} -cf ${join(work, 'layer.tar')} bin`
    const layer = blob(readFileSync(join(work, 'layer.tar')))
    const config = blob(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }))
    const manifest = blob(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }))
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        annotations: { 'io.containerd.image.name': BUSYBOX_IMAGE, 'org.opencontainers.image.ref.name': '1' },
      }],
    }))
    mkdirSync(outputDir, { recursive: true })
    const tarball = join(outputDir, 'busybox-oci.tar')
    await sh`tar --numeric-owner --owner=0 --group=0 -C ${layout} -cf ${tarball} oci-layout index.json blobs`
    return tarball
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
