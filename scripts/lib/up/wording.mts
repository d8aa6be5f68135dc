// What a phase says it did. Under --dry-run nothing is done, so the same note says what a real run would do.

export const did = (ctx: { dryRun: boolean }, done: string, would: string): string => (ctx.dryRun ? would : done)
