// The phases of up, in one list. Each lives in its own module under ./phases/.
import type { Phase } from './types.mts'

export const PHASES: Phase[] = [
]
