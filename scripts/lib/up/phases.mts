// The phases of up, in one list. Each lives in its own module under ./phases/.
import type { Phase } from './types.mts'
import { clusterPhase } from './phases/cluster.mts'
import { portsPhase } from './phases/ports.mts'
import { preflightPhase } from './phases/preflight.mts'
import { registryPhase } from './phases/registry.mts'
import { wiringPhase } from './phases/wiring.mts'
import { mirrorsPhase } from './phases/mirrors.mts'
import { mirrorWiringPhase } from './phases/mirror-wiring.mts'
import { imagePhase } from './phases/image.mts'
import { addonsPhase } from './phases/addons.mts'
import { tlsPhase } from './phases/tls.mts'
import { fluxPhase } from './phases/flux.mts'
import { reconcilePhase } from './phases/reconcile.mts'
import { smokePhase } from './phases/smoke.mts'
import { netpolPhase } from './phases/netpol.mts'

export const PHASES: Phase[] = [
  preflightPhase,
  portsPhase,
  registryPhase,
  mirrorsPhase,
  clusterPhase,
  wiringPhase,
  mirrorWiringPhase,
  imagePhase,
  addonsPhase,
  tlsPhase,
  fluxPhase,
  reconcilePhase,
  smokePhase,
  netpolPhase,
]
