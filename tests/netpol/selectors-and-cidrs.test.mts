import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { InvalidInput, parseSelector, selectorMatches, formatSelector } from '../../scripts/lib/netpol/labels.mts'
import { cidrContainsIp, isStrictSubnet, parseCidr, parseIp } from '../../scripts/lib/netpol/ip.mts'

const sel = (raw: unknown) => parseSelector(raw, 'sel')
const matches = (raw: unknown, labels: Record<string, string>) => selectorMatches(sel(raw), labels)

test('empty selector matches everything, including no labels', () => {
  assert.ok(matches({}, {}))
  assert.ok(matches({ matchLabels: {}, matchExpressions: [] }, { a: 'b' }))
})

test('matchLabels requires presence, also for an empty value', () => {
  assert.ok(matches({ matchLabels: { tier: '' } }, { tier: '' }))
  assert.not.ok(matches({ matchLabels: { tier: '' } }, {}))
  assert.not.ok(matches({ matchLabels: { app: 'web' } }, { app: 'db' }))
})

test('operators: In, NotIn (absent key matches), Exists, DoesNotExist; requirements are ANDed', () => {
  const e = (operator: string, values?: string[]) => ({ matchExpressions: [{ key: 'env', operator, ...(values ? { values } : {}) }] })
  assert.ok(matches(e('In', ['dev', 'prod']), { env: 'dev' }))
  assert.not.ok(matches(e('In', ['dev']), {}))
  assert.ok(matches(e('NotIn', ['prod']), {}))
  assert.ok(matches(e('NotIn', ['prod']), { env: 'dev' }))
  assert.not.ok(matches(e('NotIn', ['prod']), { env: 'prod' }))
  assert.ok(matches(e('Exists'), { env: '' }))
  assert.not.ok(matches(e('Exists'), {}))
  assert.ok(matches(e('DoesNotExist'), { other: 'x' }))
  assert.not.ok(matches(e('DoesNotExist'), { env: 'x' }))
  assert.not.ok(matches({ matchLabels: { app: 'web' }, ...e('NotIn', ['prod']) }, { app: 'web', env: 'prod' }))
})

test('invalid selectors are rejected with the field named', () => {
  const bad = (raw: unknown, field: RegExp) => {
    try {
      sel(raw)
      assert.unreachable('should have thrown')
    } catch (e) {
      assert.instance(e, InvalidInput)
      assert.match((e as InvalidInput).field, field)
    }
  }
  bad({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, /operator/)
  bad({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /values/)
  bad({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /values/)
  bad({ matchLabels: { version: 1 } }, /matchLabels.version/)
})

test('formatSelector renders kubectl style', () => {
  assert.is(formatSelector(sel({ matchLabels: { app: 'demo' }, matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] })), 'app=demo,!x')
  assert.is(formatSelector(sel({})), '{}')
})

test('IPv4 and IPv6 parsing, CIDR containment, host bits masked', () => {
  assert.is(parseIp('10.0.1.2')?.family, 4)
  assert.is(parseIp('256.0.0.1'), undefined)
  assert.is(parseIp('fd00::1')?.family, 6)
  assert.is(parseIp('::ffff:10.0.0.1')?.family, 6)
  assert.is(parseIp('1:2:3:4:5:6:7:8:9'), undefined)
  const c = parseCidr('10.0.1.7/24')
  assert.ok(c)
  assert.ok(cidrContainsIp(c!, parseIp('10.0.1.200')!))
  assert.not.ok(cidrContainsIp(c!, parseIp('10.0.2.1')!))
  assert.not.ok(cidrContainsIp(c!, parseIp('fd00::1')!), 'families never mix')
  assert.ok(cidrContainsIp(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!))
  assert.ok(cidrContainsIp(parseCidr('fd00::/8')!, parseIp('fd12::5')!))
  assert.is(parseCidr('10.0.0.0/33'), undefined)
  assert.is(parseCidr('10.0.0.0'), undefined)
})

test('except must be a strict subnet', () => {
  assert.ok(isStrictSubnet(parseCidr('10.0.1.0/24')!, parseCidr('10.0.0.0/16')!))
  assert.not.ok(isStrictSubnet(parseCidr('10.0.0.0/16')!, parseCidr('10.0.0.0/16')!))
  assert.not.ok(isStrictSubnet(parseCidr('10.1.0.0/24')!, parseCidr('10.0.0.0/16')!))
})

test.run()
