// The TypeScript compiler's errors for an inventory file, as `file:line:col: message`.
//
// Only run when the inventory failed to load or validate: it costs 1-2 s (measured: building the program ~0.8-1.3 s,
// checking the one file ~0.3-0.6 s on 2 busy cores), too much for every run, and a type error that the validation
// lets through cannot hurt the run. When it does run, it turns "hosts.a1.port: expected number" into a line number.
import { relative } from 'node:path'

export async function inventoryTypeErrors(file: string): Promise<string[]> {
  if (!/\.[cm]?ts$/.test(file)) return []
  let ts: typeof import('typescript')
  try {
    ts = (await import('typescript')).default
  } catch {
    return [] // not installed (production install without dev dependencies): the validation's messages stand alone
  }
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  })
  const source = program.getSourceFile(file)
  if (!source) return []
  const inside = relative(process.cwd(), file)
  const shown = inside && !inside.startsWith('..') ? inside : file
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
    const { line, character } = source.getLineAndCharacterOfPosition(d.start ?? 0)
    return `${shown}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n    ')}`
  })
}
