// Types of lock.mjs for the tests that drive the lock directly.
export interface Holder { pid: number; start: string }
export function holderOf(pid?: number): Holder
export function holderAlive(holder: Holder | undefined): boolean
export function tryLock(dir: string): boolean
export function lock(dir: string, timeoutMs?: number): Promise<void>
export function unlock(dir: string): void
