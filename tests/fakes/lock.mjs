// The fakes' state lock: one fake at a time reads and writes FAKE_STATE_DIR/state.json.
// The lock is a directory that carries its holder (pid and, on Linux, the process start time, so a reused
// pid is not mistaken for the holder). It appears atomically with its holder file inside (made under a
// private name, then renamed into place; renaming onto a non-empty directory fails), so there is never a
// lock without a holder. A fake killed while holding it (SIGKILL, a test timeout) leaves it behind: the
// next fake sees that the holder is gone and takes the lock over instead of waiting for nothing.
import fs from 'node:fs'
import path from 'node:path'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Start time of a process in clock ticks since boot (Linux), or '' where /proc does not tell. */
function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' ? 'zombie' : (fields[19] ?? '')
  } catch {
    return ''
  }
}

export const holderOf = (pid = process.pid) => ({ pid, start: startTime(pid) })

/** Whether the process recorded as holder still runs (a zombie or a new process under the same pid does not). */
export function holderAlive(holder) {
  if (!Number.isInteger(holder?.pid) || holder.pid <= 0) return false
  try { process.kill(holder.pid, 0) } catch (e) { if (e.code !== 'EPERM') return false }
  const now = startTime(holder.pid)
  if (now === 'zombie') return false
  return !holder.start || !now || now === holder.start
}

function readHolder(dir) {
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'holder.json'), 'utf8')) } catch { return undefined }
}

/**
 * Remove a lock directory without ever leaving it empty in place: an empty directory would be replaced by the
 * next create()'s rename, and the removal would then fail or delete that new lock. Renamed away first, it is gone
 * for everyone at once.
 */
function discard(dir) {
  const away = `${dir}.${process.pid}.${Date.now()}.gone`
  try { fs.renameSync(dir, away) } catch { return }
  fs.rmSync(away, { recursive: true, force: true })
}

/** Create `dir` with our holder file inside, atomically; false when it exists with a holder in it. */
function create(dir) {
  const tmp = `${dir}.${process.pid}.tmp`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp)
  fs.writeFileSync(path.join(tmp, 'holder.json'), JSON.stringify(holderOf()))
  try {
    fs.renameSync(tmp, dir)
    return true
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true })
    if (e.code === 'ENOTEMPTY' || e.code === 'EEXIST' || e.code === 'EISDIR') return false
    throw e
  }
}

/**
 * Remove `dir` if its holder is gone. Two waiters may see the same dead holder: the removal happens under a
 * second lock (`<dir>.takeover`), after reading the holder again, so a lock that a live fake has taken in the
 * meantime is never removed.
 */
function takeOverIfStale(dir) {
  const seen = readHolder(dir)
  if (seen === undefined || holderAlive(seen)) return false
  const mutex = `${dir}.takeover`
  if (!create(mutex)) {
    // the takeover lock is held for a few system calls only; one left by a process killed right then is removed
    const h = readHolder(mutex)
    if (h && !holderAlive(h)) discard(mutex)
    return false
  }
  try {
    const now = readHolder(dir)
    if (now === undefined || now.pid !== seen.pid || now.start !== seen.start) return false
    discard(dir)
    return true
  } finally {
    discard(mutex)
  }
}

/** One attempt: take the lock (also over a holder that is gone); false while a live process holds it. */
export function tryLock(dir) {
  if (create(dir)) return true
  return takeOverIfStale(dir) && create(dir)
}

/** Take the lock, waiting while a live process holds it. Throws naming the holder after `timeoutMs`. */
export async function lock(dir, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (let wait = 2; ; wait = Math.min(wait * 2, 20)) {
    if (tryLock(dir)) return
    if (Date.now() > deadline) {
      const h = readHolder(dir)
      throw new Error(`could not take the state lock ${dir} within ${timeoutMs / 1000}s${h ? ` (held by pid ${h.pid})` : ''}`)
    }
    await sleep(wait)
  }
}

/** Release the lock if we hold it. */
export function unlock(dir) {
  if (readHolder(dir)?.pid !== process.pid) return
  discard(dir)
}
