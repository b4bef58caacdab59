// The lab's caches: which archives the apt proxy serves, and which base images `lab:up` removes.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pruneImages } from '../lab/image.js'
import { archivesOf } from '../lab/proxy.js'

test('the apt proxy serves every URI of the deb822 sources, several on one line too', () => {
  const sources = [
    'Types: deb', 'URIs: http://deb.debian.org/debian', 'Suites: bookworm', '',
    'Types: deb', 'URIs: http://deb.debian.org/debian-security http://mirror.example/debian-security', 'Suites: bookworm-security',
  ].join('\n')
  assert.equal(archivesOf(sources), ['http://deb.debian.org/debian', 'http://deb.debian.org/debian-security', 'http://mirror.example/debian-security'])
})

test('lab:up removes base images of older recipes, keeping the current one, those in use and anything else', () => {
  const cache = mkdtempSync(join(tmpdir(), 'kubeplay-cache-'))
  try {
    const dirs = ['base-aaaa', 'base-bbbb', 'base-cccc', 'base-dddd.partial', 'apt-archive'].map((d) => join(cache, d))
    for (const dir of dirs) mkdirSync(dir)
    const removed: string[] = []
    pruneImages(join(cache, 'base-aaaa'), [join(cache, 'base-cccc')], (line) => removed.push(line))
    assert.equal(dirs.map((d) => existsSync(d)), [true, false, true, true, true])
    assert.is(removed.length, 1)
    assert.match(removed[0], 'base-bbbb')
  } finally {
    rmSync(cache, { recursive: true, force: true })
  }
})

test.run()
