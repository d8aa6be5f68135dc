// Names of the demo image: where the host pushes it and how pods pull it. One registry, two names:
// the host reaches it on 127.0.0.1:<port> (localhost:<port> for docker), pods and Flux as <registry-name>:5000.

export const IMAGE_NAME = 'demo'
/** the registry's port inside its container and on the kind network */
export const REGISTRY_INTERNAL_PORT = 5000

export interface ImageRefs {
  /** tag pushed from the host: localhost:<port>/demo:<tag> */
  push: string
  /** the same image as the nodes pull it: <registry-name>:5000/demo:<tag> */
  cluster: string
  /** Flux Kustomization spec.images entry; replaces the overlay's entry of the same name as a whole */
  fluxImage: { name: string; newName: string; newTag: string }
  tag: string
}

export function imageRefs(registryName: string, registryPort: number, tag: string): ImageRefs {
  if (!tag || tag === 'latest') throw new Error(`refusing image tag ${JSON.stringify(tag)}: tags are content hashes`)
  const clusterRepo = `${registryName}:${REGISTRY_INTERNAL_PORT}/${IMAGE_NAME}`
  return {
    push: `localhost:${registryPort}/${IMAGE_NAME}:${tag}`,
    cluster: `${clusterRepo}:${tag}`,
    fluxImage: { name: IMAGE_NAME, newName: clusterRepo, newTag: tag },
    tag,
  }
}

/**
 * docker build arguments for the demo image, run in its staged context (-f apps/demo/Dockerfile). --force-rm: a
 * failed step of the legacy builder leaves no stopped container behind (BuildKit accepts and ignores it).
 */
export function buildArgs(dockerfile: string, ref: string, hash: string): string[] {
  return ['build', '--force-rm', '-f', dockerfile, '-t', ref, '--label', `dev.platform.source-hash=${hash}`, '.']
}
