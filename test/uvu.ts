// Runs uvu on test folders and fails when any test did not pass. uvu exits 0 when a before-hook throws (it
// reports "0 / N" and says nothing else), which would let a suite pass by skipping its work.
// Usage: tsx test/uvu.ts <dir>... [pattern]   (an argument that is not a folder is uvu's file pattern)
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'

const isDir = (arg: string) => existsSync(arg) && statSync(arg).isDirectory()
const dirs = process.argv.slice(2).filter(isDir)
const pattern = process.argv.slice(2).filter((arg) => !isDir(arg))
let total = 0
let passed = 0
let skipped = 0
let failedRuns = 0

for (const dir of dirs) {
  const output = await run(['-r', 'tsx', dir, ...pattern])
  const count = (label: string) => Number(new RegExp(`^  ${label}:\\s+(\\d+)`, 'm').exec(output.text)?.[1] ?? 0)
  total += count('Total')
  passed += count('Passed')
  skipped += count('Skipped')
  if (output.code !== 0 || !/^  Total:/m.test(output.text)) failedRuns++
}

const notPassed = total - passed - skipped
if (notPassed > 0 || failedRuns > 0) {
  console.error(`\nFAILED: ${notPassed} of ${total} tests did not pass` +
    `${failedRuns ? `; ${failedRuns} uvu run(s) exited non-zero or printed no summary` : ''}` +
    ' (a test counted but neither passed nor failed means its before-hook threw)')
  process.exit(1)
}

function run(args: string[]): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['uvu', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...withoutForceColor(process.env), NO_COLOR: '1' } })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      process.stdout.write(chunk)
    })
    child.on('close', (code) => resolve({ code, text }))
  })
}

// uvu colours its output when FORCE_COLOR is set (npm sets it), and node warns that NO_COLOR is then ignored.
function withoutForceColor(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _, ...rest } = env
  return rest
}
