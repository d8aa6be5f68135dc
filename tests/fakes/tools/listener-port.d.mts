/** A free host port below the ephemeral range, for something that will listen on it a moment later. */
export function listenerPort(host?: string): Promise<number>
