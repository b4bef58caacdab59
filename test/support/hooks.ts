// uvu swallows an error thrown by a before/after hook without printing it: these hooks print it first.
export function loud(what: string, hook: () => unknown | Promise<unknown>): () => Promise<void> {
  return async () => {
    try {
      await hook()
    } catch (error) {
      console.error(`\n${what} FAILED:\n${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
      throw error
    }
  }
}
