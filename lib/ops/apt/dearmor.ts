// What `gpg --dearmor` does, without gpg on the host: ASCII-armored OpenPGP data to its binary packets.
import { TaskError } from '../../errors.js'

const BEGIN = /^-----BEGIN PGP [A-Z ]+-----$/
const END = /^-----END PGP [A-Z ]+-----$/

export function isArmored(key: string | Buffer): boolean {
  const head = (typeof key === 'string' ? key : key.subarray(0, 100).toString('latin1')).trimStart()
  return head.startsWith('-----BEGIN PGP ')
}

/** The binary keyring for apt's signed-by: dearmored when armored, else the bytes as given. */
export function dearmor(key: string | Buffer): Buffer {
  if (!isArmored(key)) return Buffer.from(key)
  const lines = key.toString().split(/\r?\n/).map((l) => l.trimEnd())
  let i = lines.findIndex((l) => BEGIN.test(l)) + 1
  while (i < lines.length && /^[A-Za-z-]+: /.test(lines[i])) i++ // armor headers ("Comment: …")
  if (lines[i] === '') i++
  const body: string[] = []
  let checksum: string | undefined
  for (; i < lines.length && !END.test(lines[i]); i++) {
    if (lines[i].startsWith('=') && lines[i].length === 5) checksum = lines[i].slice(1)
    else body.push(lines[i])
  }
  if (i >= lines.length) throw new TaskError('the ASCII-armored key has no END line')
  const data = Buffer.from(body.join(''), 'base64')
  if (checksum !== undefined && crc24(data) !== Buffer.from(checksum, 'base64').readUIntBE(0, 3)) {
    throw new TaskError('the ASCII-armored key is corrupt: its CRC24 checksum does not match')
  }
  return data
}

// RFC 4880, 6.1.
function crc24(data: Buffer): number {
  let crc = 0xb704ce
  for (const byte of data) {
    crc ^= byte << 16
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1
      if (crc & 0x1000000) crc ^= 0x1864cfb
    }
  }
  return crc & 0xffffff
}
