// Port plan decisions with a scripted probe: configured, ours, remembered, remapped, strict, existing cluster.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EXIT, StepError } from '../../scripts/lib/shell/errors.mts'
import { ingressPortDrift, planPorts, type PortPlanInput } from '../../scripts/lib/cluster/port-plan.mts'
import type { PortProbe } from '../../scripts/lib/shell/ports.mts'

const busy = (...ports: number[]) => async (p: number): Promise<PortProbe> => (ports.includes(p) ? 'busy' : 'free')
const input = (over: Partial<PortPlanInput> = {}): PortPlanInput => ({
  configured: { registry: 5001, http: 8080, https: 8443 },
  ours: {},
  policy: 'auto',
  span: 100,
  platform: 'linux',
  probe: busy(),
  ...over,
})

test('all free: the configured ports, no messages', async () => {
  const plan = await planPorts(input())
  assert.equal(plan.ports, { registry: 5001, http: 8080, https: 8443 })
  assert.ok(plan.decisions.every((d) => d.source === 'configured' && !d.message))
})

test('busy under auto: the next free port, one line naming the key and both ports', async () => {
  const plan = await planPorts(input({ probe: busy(5001, 5002, 8080) }))
  assert.equal(plan.ports, { registry: 5003, http: 8081, https: 8443 })
  const reg = plan.decisions.find((d) => d.key === 'registry')!
  assert.is(reg.source, 'remapped')
  assert.match(reg.message!, 'REGISTRY_PORT 5001 is busy on 127.0.0.1; using 5003 instead')
})

test('5000 on macOS names the AirPlay Receiver; not on Linux', async () => {
  const mac = await planPorts(input({ configured: { registry: 5000, http: 8080, https: 8443 }, platform: 'darwin', probe: busy(5000) }))
  assert.match(mac.decisions[0]!.message!, 'AirPlay Receiver')
  const linux = await planPorts(input({ configured: { registry: 5000, http: 8080, https: 8443 }, probe: busy(5000) }))
  assert.not.match(linux.decisions[0]!.message!, 'AirPlay')
})

test('strict: fails before anything, naming key and port, precondition exit code', async () => {
  try {
    await planPorts(input({ policy: 'strict', probe: busy(8443) }))
    assert.unreachable('should fail')
  } catch (e) {
    assert.instance(e, StepError)
    const s = e as StepError
    assert.is(s.exitCode, EXIT.precondition)
    assert.match(s.message, 'INGRESS_HTTPS_PORT 8443 is busy')
    assert.match(s.hint!, 'PORT_POLICY=auto')
  }
})

test('a port our own container holds is not busy', async () => {
  const plan = await planPorts(input({ ours: { registry: 5001 }, probe: busy(5001) }))
  assert.is(plan.ports.registry, 5001)
  assert.is(plan.decisions[0]!.source, 'configured')
})

test('a remembered remap is reused while ours or free, even after the blocker is gone', async () => {
  const remembered = { registry: 5002, http: 8080, https: 8443 }
  const rememberedFor = { registry: 5001, http: 8080, https: 8443 }
  // our registry on 5002, 5001 free again: stay on 5002 (moving would empty the registry)
  let plan = await planPorts(input({ remembered, rememberedFor, ours: { registry: 5002 }, probe: busy(5002) }))
  assert.is(plan.ports.registry, 5002)
  assert.is(plan.decisions[0]!.source, 'remembered')
  assert.match(plan.decisions[0]!.message!, 'reusing 5002')
  // registry gone, 5002 free: still the remembered one, so a re-created registry keeps its address
  plan = await planPorts(input({ remembered, rememberedFor }))
  assert.is(plan.ports.registry, 5002)
  // a stranger took 5002, 5001 is free: back to the configured one
  plan = await planPorts(input({ remembered, rememberedFor, probe: busy(5002) }))
  assert.is(plan.ports.registry, 5001)
})

test('a remembered port is ignored when the configured value changed, and under strict', async () => {
  const remembered = { registry: 5002 }
  let plan = await planPorts(input({ configured: { registry: 6000, http: 8080, https: 8443 }, remembered, rememberedFor: { registry: 5001 } }))
  assert.is(plan.ports.registry, 6000)
  plan = await planPorts(input({ policy: 'strict', remembered, rememberedFor: { registry: 5001 } }))
  assert.is(plan.ports.registry, 5001)
})

test('two keys never get the same port', async () => {
  const plan = await planPorts(input({ configured: { registry: 8080, http: 8080, https: 8081 } }))
  assert.is(new Set(Object.values(plan.ports)).size, 3)
})

test('no free port in the span: fails naming the range and PORT_SEARCH_SPAN', async () => {
  try {
    await planPorts(input({ span: 2, probe: busy(5001, 5002, 5003) }))
    assert.unreachable('should fail')
  } catch (e) {
    assert.match((e as Error).message, 'no free port in 5002-5003')
    assert.match((e as StepError).hint!, 'PORT_SEARCH_SPAN')
  }
})

test('an existing cluster keeps its ingress mappings; drift only when re-creating could fix it', async () => {
  // cluster maps 9080/9443 while 8080/8443 are configured and free: keep, but report the drift
  let plan = await planPorts(input({ clusterMappings: { http: 9080, https: 9443 }, ours: { http: 9080, https: 9443 } }))
  assert.equal([plan.ports.http, plan.ports.https], [9080, 9443])
  assert.is(plan.decisions[1]!.source, 'cluster')
  assert.equal(ingressPortDrift(plan).length, 2)
  // the cluster was remapped because 8080 is held by someone else: no drift to report
  plan = await planPorts(input({ clusterMappings: { http: 8081, https: 8443 }, ours: { http: 8081, https: 8443 }, probe: busy(8080) }))
  assert.equal(ingressPortDrift(plan), [])
  // and a remembered remap counts as wanted
  plan = await planPorts(input({ clusterMappings: { http: 8081, https: 8443 }, remembered: { http: 8081 }, rememberedFor: { http: 8080 } }))
  assert.equal(ingressPortDrift(plan), [])
})

test.run()
