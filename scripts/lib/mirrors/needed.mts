// The images the platform needs from public registries for this configuration: the add-on charts' list
// (cluster/images.yaml), Flux's controllers (from the flux CLI's own manifests, offline), the netpol probe image.

import path from 'node:path'
import { FLUX_COMPONENTS } from '../flux/install.mts'
import { DEFAULT_PROBE_IMAGE } from '../netpol/probe/live.mts'
import type { Config } from '../shell/config.mts'
import type { Runner } from '../shell/run.mts'
import { fluxInstallExport } from '../tools/flux.mts'
import { imagesInManifests, loadImageList, neededImages, type NeededImage } from './images.mts'

export interface Needed {
  images: NeededImage[]
  /** what could not be listed and why (the check is then incomplete, and says so) */
  unknown: string[]
}

/**
 * `withFlux`: also ask the flux CLI for its controllers' images (the --offline check; the mirrors phase's note
 * leaves it out rather than render Flux's manifests on every run).
 */
export async function imagesNeeded(r: Runner, config: Config, root: string, step: string, withFlux = true): Promise<Needed> {
  const extra: NeededImage[] = [{ ref: DEFAULT_PROBE_IMAGE, from: 'netpol probes' }]
  const unknown: string[] = []
  if (withFlux && config.fluxMode !== 'none') {
    try {
      const manifests = await fluxInstallExport(r, config.fluxVersion, [...FLUX_COMPONENTS], step)
      for (const ref of imagesInManifests(manifests)) extra.push({ ref, from: `Flux ${config.fluxVersion}` })
    } catch (e) {
      unknown.push(`Flux ${config.fluxVersion} controllers (flux install --export failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`)
    }
  }
  return { images: neededImages(loadImageList(path.resolve(root)), extra), unknown }
}
