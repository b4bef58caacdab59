// Operations on one host take turns. Started together (Promise.all), they plan at once (their facts go out in one
// command, facts/query.ts) and apply one at a time in the order they were called. When an operation's turn comes,
// the later ones that have already planned go along in the same command (ops/steps.ts), so a group of changes
// costs one round trip. Once one fails, none of those started before the failure applies; one started after it
// (the task caught the error and goes on) does.
import { setImmediate as nextLoopTurn } from 'node:timers/promises'
import { TaskError } from './errors.js'
import type { Change } from './operation.js'
import { applyTogether, canApplyTogether } from './ops/steps.js'

/** What an operation applied along with an earlier one's learns: did its part fail? */
type Outcome = { error?: Error }

interface Entry {
  op: string
  touches: string[]
  change?: Change | null
  planned: boolean
  appliedWith?: Promise<Outcome>
}

export class Turns {
  private count = 0
  private last: Promise<void> = Promise.resolve()
  /** Operations up to this turn were started before a failure: they do not apply. */
  private stoppedUpTo = 0
  private readonly entries = new Map<number, Entry>()

  constructor(private readonly where: () => string) {}

  take(op: string, touches: string[]): Turn {
    const refusal = this.overlap(op, touches)
    const order = ++this.count
    const entry: Entry = { op, touches, planned: false }
    this.entries.set(order, entry)
    const earlier = this.last
    let done!: () => void
    this.last = new Promise((resolve) => (done = resolve))
    return {
      order,
      refusal,
      planned: (change) => {
        entry.planned = true
        entry.change = change
      },
      ready: async () => {
        await earlier
        if (order <= this.stoppedUpTo) throw new TaskError(`not applied on ${this.where()}: an earlier operation failed`)
      },
      apply: (change) => this.apply(order, entry, change),
      done: (failed) => {
        if (failed) this.stoppedUpTo = Math.max(this.stoppedUpTo, this.count)
        this.entries.delete(order)
        done()
      },
    }
  }

  private async apply(order: number, entry: Entry, change: Change): Promise<void> {
    if (entry.appliedWith) {
      const { error } = await entry.appliedWith
      if (error) throw error
      return
    }
    if (!canApplyTogether(change)) return change.apply()
    await nextLoopTurn() // lets the operations started together with this one finish planning
    const followers = this.plannedAfter(order)
    if (followers.length === 0) return change.apply()
    const outcomes = applyTogether([change, ...followers.map((f) => f.change!)])
    // A follower after the failing one is stopped by its ready(); one failed along with the whole command too.
    followers.forEach((f, i) => (f.appliedWith = outcomes.then(({ done, error }) => (done === i + 1 && error ? { error } : {}), () => ({}))))
    const { done, error } = await outcomes
    if (done === 0 && error) throw error
  }

  // Two operations on one thing started together would each plan from facts read before the other applied: the
  // second would undo or garble the first. Sequential awaits never overlap, so this only refuses a wrong group.
  private overlap(op: string, touches: string[]): TaskError | undefined {
    for (const other of this.entries.values()) {
      const shared = touches.find((thing) => other.touches.includes(thing))
      if (shared) {
        return new TaskError(`"${other.op}" and "${op}" were started together on ${this.where()} and both change ${shared}; ` +
          'the second would plan from facts read before the first applied: await one before starting the other')
      }
    }
    return undefined
  }

  /** The later operations, in order, that have planned a change that can go in the same command. */
  private plannedAfter(order: number): Entry[] {
    const followers: Entry[] = []
    for (let next = order + 1; ; next++) {
      const entry = this.entries.get(next)
      if (!entry?.planned) break
      if (entry.change === null) continue // nothing to apply: skip over it
      if (!entry.change || !canApplyTogether(entry.change)) break
      followers.push(entry)
    }
    return followers
  }
}

/** An operation's place on its host. */
export interface Turn {
  order: number
  /** Set when the operation touches what one still running touches: it must fail, and its group with it. */
  refusal?: TaskError
  planned(change: Change | null): void
  /** Resolves when every earlier operation has applied (or found nothing to do); throws when one failed. */
  ready(): Promise<void>
  apply(change: Change): Promise<void>
  done(failed: boolean): void
}
