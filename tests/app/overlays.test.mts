// Renders every overlay with the real `kubectl kustomize` and checks what must differ per environment, that
// nothing else does, and the workload/security invariants of every rendered object.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './support.mts';

// Loose JSON view of rendered objects: the assertions below are what checks the shape.
type Obj = Record<string, any>;

const ENVS = ['dev', 'staging', 'production'] as const;
type EnvName = (typeof ENVS)[number];

const EXPECTED: Record<EnvName, { failRate: string; prod: string; min: number; max: number }> = {
  dev: { failRate: '0.2', prod: 'false', min: 1, max: 2 },
  staging: { failRate: '0.05', prod: 'false', min: 2, max: 3 },
  production: { failRate: '0', prod: 'true', min: 3, max: 6 },
};

function kustomize(env: string, ...flags: string[]): string {
  return execFileSync('kubectl', ['kustomize', ...flags, join('apps', 'overlays', env)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function parse(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const rendered = Object.fromEntries(ENVS.map((env) => [env, parse(kustomize(env))])) as Record<EnvName, Obj[]>;

function one(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.filter((o) => o.kind === kind && o.metadata?.name === name);
  assert.is(found.length, 1, `exactly one ${kind}/${name}`);
  return found[0] as Obj;
}

function podTemplates(objs: Obj[]): Array<{ owner: string; template: Obj }> {
  return objs
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind))
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, template: o.spec.template }));
}

function imageTag(env: string): string {
  const kustomization = parse(readFileSync(join(REPO_ROOT, 'apps', 'overlays', env, 'kustomization.yaml'), 'utf8'))[0] as Obj;
  const entry = (kustomization.images as Obj[]).find((i) => i.name === 'demo') as Obj;
  return String(entry.newTag);
}

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** CPU in millicores, memory in bytes, from Kubernetes quantities. */
function quantity(q: string | number): number {
  const s = String(q);
  const units: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(s);
  assert.ok(match, `quantity ${s}`);
  const unit = match[2] ?? '';
  assert.ok(unit === '' || unit in units, `unit of ${s}`);
  return Number(match[1]) * (unit === '' ? 1 : (units[unit] as number));
}

test('kubectl kustomize builds every overlay, also with LoadRestrictionsNone, identically', () => {
  for (const env of ENVS) {
    const relaxed = parse(kustomize(env, '--load-restrictor=LoadRestrictionsNone'));
    assert.equal(relaxed, rendered[env], env);
    assert.ok(rendered[env].length >= 10, `${env}: rendered ${rendered[env].length} objects`);
  }
});

test('namespace: every object lives in demo-<env>, whose Namespace enforces PSA restricted', () => {
  for (const env of ENVS) {
    const ns = `demo-${env}`;
    const namespaces = rendered[env].filter((o) => o.kind === 'Namespace');
    assert.equal(namespaces.map((o) => o.metadata.name), [ns]);
    const labels = (namespaces[0] as Obj).metadata.labels;
    assert.is(labels.environment, env);
    for (const mode of ['enforce', 'audit', 'warn']) assert.is(labels[`pod-security.kubernetes.io/${mode}`], 'restricted', mode);
    for (const o of rendered[env].filter((x) => x.kind !== 'Namespace')) {
      assert.is(o.metadata.namespace, ns, `${env}: ${o.kind}/${o.metadata.name}`);
      assert.is(o.metadata.labels?.environment, env, `${env}: ${o.kind}/${o.metadata.name} environment label`);
    }
  }
});

test('per environment: FAIL_RATE, PROD, APP_ENV, HPA bounds, image, hostname', () => {
  for (const env of ENVS) {
    const objs = rendered[env];
    const want = EXPECTED[env];
    const config = one(objs, 'ConfigMap', 'demo-config').data;
    assert.is(config.FAIL_RATE, want.failRate, `${env} FAIL_RATE`);
    assert.is(config.PROD, want.prod, `${env} PROD`);
    assert.is(config.APP_ENV, env);
    const hpa = one(objs, 'HorizontalPodAutoscaler', 'demo').spec;
    assert.is(hpa.minReplicas, want.min, `${env} minReplicas`);
    assert.is(hpa.maxReplicas, want.max, `${env} maxReplicas`);
    const deployment = one(objs, 'Deployment', 'demo');
    // The HPA owns the count; a replicas field would make every Flux reconcile fight it.
    assert.is(deployment.spec.replicas, undefined, `${env}: Deployment must not set replicas`);
    const tag = imageTag(env);
    assert.match(tag, /^[0-9]+\.[0-9]+\.[0-9]+/, `${env} tag is pinned`);
    assert.is(deployment.spec.template.spec.containers[0].image, `kind-registry:5000/demo:${tag}`);
    assert.equal(one(objs, 'HTTPRoute', 'demo').spec.hostnames, [`${env}.demo.localhost`]);
  }
});

test('environments are ordered: fewer injected failures and more capacity towards production', () => {
  const rate = (env: EnvName) => Number(one(rendered[env], 'ConfigMap', 'demo-config').data.FAIL_RATE);
  const cpu = (env: EnvName) => quantity(one(rendered[env], 'Deployment', 'demo').spec.template.spec.containers[0].resources.requests.cpu);
  const min = (env: EnvName) => one(rendered[env], 'HorizontalPodAutoscaler', 'demo').spec.minReplicas as number;
  assert.ok(rate('dev') > rate('staging') && rate('staging') > rate('production'), 'FAIL_RATE decreasing');
  assert.is(rate('production'), 0);
  assert.ok(cpu('dev') < cpu('staging') && cpu('staging') < cpu('production'), 'CPU requests increasing');
  assert.ok(min('dev') < min('staging') && min('staging') < min('production'), 'replicas increasing');
  assert.ok(min('production') >= 2, 'production survives losing a pod');
});

/** The rendered objects with every field that is allowed to differ per environment taken out. */
function normalized(env: EnvName): Obj[] {
  const copy = structuredClone(rendered[env]);
  for (const o of copy) {
    delete o.metadata.namespace;
    delete o.metadata.labels?.environment;
    if (o.kind === 'Namespace') o.metadata.name = '<env>';
    if (o.kind === 'ConfigMap' && o.metadata.name === 'demo-config') {
      for (const key of ['FAIL_RATE', 'PROD', 'APP_ENV']) delete o.data[key];
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      delete o.spec.minReplicas;
      delete o.spec.maxReplicas;
    }
    if (o.kind === 'HTTPRoute') delete o.spec.hostnames;
    if (o.kind === 'Deployment') {
      delete o.spec.template.metadata.labels.environment;
      for (const c of o.spec.template.spec.containers) {
        delete c.image;
        delete c.resources.requests.cpu;
        delete c.resources.limits.cpu;
      }
    }
  }
  return copy;
}

test('nothing else differs between the environments', () => {
  const reference = normalized('dev');
  for (const env of ['staging', 'production'] as const) {
    const other = normalized(env);
    assert.equal(
      other.map((o) => `${o.kind}/${o.metadata.name}`),
      reference.map((o) => `${o.kind}/${o.metadata.name}`),
      `${env}: same objects`,
    );
    for (let i = 0; i < reference.length; i++) {
      assert.equal(other[i], reference[i], `${env}: ${(reference[i] as Obj).kind}/${(reference[i] as Obj).metadata.name}`);
    }
  }
});

test('security invariants on every pod template (PSS restricted and more)', () => {
  for (const env of ENVS) {
    const templates = podTemplates(rendered[env]);
    assert.ok(templates.length > 0);
    for (const { owner, template } of templates) {
      const where = `${env} ${owner}`;
      const spec = template.spec;
      const pod = spec.securityContext ?? {};
      assert.is(pod.runAsNonRoot, true, `${where} runAsNonRoot`);
      assert.is(pod.seccompProfile?.type, 'RuntimeDefault', `${where} seccomp`);
      assert.is(spec.automountServiceAccountToken, false, `${where} token`);
      assert.ok(!spec.hostNetwork && !spec.hostPID && !spec.hostIPC, `${where} host namespaces`);
      assert.ok(!(spec.volumes ?? []).some((v: Obj) => v.hostPath), `${where} hostPath`);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const sc = c.securityContext ?? {};
        const at = `${where} container ${c.name}`;
        assert.is(sc.allowPrivilegeEscalation, false, `${at} allowPrivilegeEscalation`);
        assert.is(sc.readOnlyRootFilesystem, true, `${at} readOnlyRootFilesystem`);
        assert.not.equal(sc.privileged, true, `${at} privileged`);
        assert.equal(sc.capabilities?.drop, ['ALL'], `${at} capabilities`);
        assert.ok((sc.capabilities?.add ?? []).length === 0, `${at} adds capabilities`);
        const uid = sc.runAsUser ?? pod.runAsUser;
        assert.ok(Number.isInteger(uid) && uid > 0, `${at} numeric non-root uid`);
        for (const kind of ['requests', 'limits']) {
          for (const res of ['cpu', 'memory']) assert.ok(c.resources?.[kind]?.[res], `${at} ${kind}.${res}`);
        }
        assert.match(c.image, /:[^:/]+$/, `${at} image has a tag`);
        assert.not.match(c.image, /:latest$/, `${at} image is not :latest`);
      }
    }
  }
});

test('probes: startup and liveness on /healthz, readiness on /readyz, all on the http port 8000', () => {
  for (const env of ENVS) {
    const container = one(rendered[env], 'Deployment', 'demo').spec.template.spec.containers[0];
    assert.equal(container.ports, [{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    // Liveness on /readyz would restart pods during READINESS_DELAY_SEC; readiness on /healthz would route
    // traffic to pods that are not ready yet.
    assert.equal(container.startupProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.equal(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.equal(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    const env8000 = container.env.find((e: Obj) => e.name === 'PORT');
    assert.is(env8000?.value, '8000');
    const delay = Number(one(rendered[env], 'ConfigMap', 'demo-config').data.READINESS_DELAY_SEC);
    assert.ok(Number.isFinite(delay) && delay >= 0, 'READINESS_DELAY_SEC is a number');
    // The startup window must not depend on the readiness delay, but must leave the process time to boot.
    const startup = container.startupProbe;
    assert.ok(startup.periodSeconds * startup.failureThreshold >= 30, 'startup window >= 30 s');
    const grace = one(rendered[env], 'Deployment', 'demo').spec.template.spec.terminationGracePeriodSeconds;
    const drain = Number(one(rendered[env], 'ConfigMap', 'demo-config').data.SHUTDOWN_DELAY_SEC);
    assert.ok(grace > drain + 10, 'grace period covers drain + close deadline');
  }
});

test('placement: app worker nodes only, spread across nodes', () => {
  for (const env of ENVS) {
    const spec = one(rendered[env], 'Deployment', 'demo').spec.template.spec;
    const terms = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.equal(terms, [{ matchExpressions: [{ key: 'node-role.platform.dev/app', operator: 'In', values: ['true'] }] }]);
    const spread = spec.topologySpreadConstraints[0];
    assert.is(spread.topologyKey, 'kubernetes.io/hostname');
    assert.equal(spread.labelSelector.matchLabels, { 'app.kubernetes.io/name': 'demo' });
  }
});

test('wiring: selectors match the pods, references resolve', () => {
  for (const env of ENVS) {
    const objs = rendered[env];
    const deployment = one(objs, 'Deployment', 'demo');
    const podLabels = deployment.spec.template.metadata.labels;
    assert.ok(selects(deployment.spec.selector.matchLabels, podLabels), 'deployment selector');
    const service = one(objs, 'Service', 'demo');
    assert.is(service.spec.type, 'ClusterIP');
    assert.ok(selects(service.spec.selector, podLabels), 'service selector');
    assert.equal(service.spec.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    assert.ok(selects(one(objs, 'PodDisruptionBudget', 'demo').spec.selector.matchLabels, podLabels), 'pdb');
    const monitor = one(objs, 'ServiceMonitor', 'demo');
    assert.is(monitor.metadata.labels.release, 'kube-prometheus-stack');
    assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata.labels), 'servicemonitor selects service');
    assert.equal(monitor.spec.endpoints.map((e: Obj) => [e.port, e.path]), [['http', '/metrics']]);
    const hpa = one(objs, 'HorizontalPodAutoscaler', 'demo');
    assert.equal(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo' });
    assert.equal(hpa.spec.metrics.map((m: Obj) => m.resource.name).sort(), ['cpu', 'memory']);
    const route = one(objs, 'HTTPRoute', 'demo');
    assert.equal(route.spec.parentRefs.map((p: Obj) => `${p.namespace}/${p.name}`), ['ingress/platform']);
    assert.equal(route.spec.rules[0].backendRefs, [{ kind: 'Service', name: 'demo', port: 80 }]);
    const sa = one(objs, 'ServiceAccount', 'demo');
    assert.is(sa.automountServiceAccountToken, false);
    assert.is(deployment.spec.template.spec.serviceAccountName, 'demo');
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(container.envFrom, [{ configMapRef: { name: 'demo-config' } }]);
    const greeting = container.env.find((e: Obj) => e.name === 'GREETING');
    assert.equal(greeting.valueFrom.secretKeyRef, { name: 'demo-secret', key: 'GREETING' });
    assert.ok(one(objs, 'Secret', 'demo-secret').stringData.GREETING, 'secret has GREETING');
  }
});

test('network policies: default deny, DNS egress only, ingress only from gateway and Prometheus', () => {
  for (const env of ENVS) {
    const policies = rendered[env].filter((o) => o.kind === 'NetworkPolicy');
    const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress);
    assert.ok(deny, `${env}: default deny`);
    assert.equal([...deny.spec.policyTypes].sort(), ['Egress', 'Ingress']);

    const egress = policies.flatMap((p) => p.spec.egress ?? []);
    assert.is(egress.length, 1, 'one egress rule');
    assert.equal(egress[0].to, [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
    ]);
    assert.equal(egress[0].ports.map((p: Obj) => `${p.protocol}/${p.port}`).sort(), ['TCP/53', 'UDP/53']);

    const sources = new Set<string>();
    for (const rule of policies.flatMap((p) => p.spec.ingress ?? [])) {
      assert.ok(rule.from?.length > 0, 'no allow-from-anywhere rule');
      assert.equal(rule.ports, [{ protocol: 'TCP', port: 'http' }]);
      for (const peer of rule.from) {
        assert.is(peer.ipBlock, undefined, 'no ipBlock');
        const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        assert.ok(ns === 'ingress' || ns === 'monitoring', `peer namespace ${JSON.stringify(peer)}`);
        sources.add(ns);
        if (ns === 'monitoring') assert.equal(peer.podSelector.matchLabels, { 'app.kubernetes.io/name': 'prometheus' });
      }
    }
    assert.equal([...sources].sort(), ['ingress', 'monitoring']);
  }
});

test('quota: every environment can scale to its HPA max during a rolling update', () => {
  for (const env of ENVS) {
    const objs = rendered[env];
    const hard = one(objs, 'ResourceQuota', 'demo-quota').spec.hard;
    const deployment = one(objs, 'Deployment', 'demo');
    const pods = one(objs, 'HorizontalPodAutoscaler', 'demo').spec.maxReplicas + deployment.spec.strategy.rollingUpdate.maxSurge;
    const resources = deployment.spec.template.spec.containers[0].resources;
    assert.ok(pods <= Number(hard.pods), `${env}: pods`);
    for (const kind of ['requests', 'limits']) {
      for (const res of ['cpu', 'memory']) {
        const need = pods * quantity(resources[kind][res]);
        assert.ok(need <= quantity(hard[`${kind}.${res}`]), `${env}: ${pods} x ${kind}.${res} within quota`);
      }
    }
    const limitRange = one(objs, 'LimitRange', 'demo-limits').spec.limits[0];
    assert.ok(quantity(resources.limits.memory) <= quantity(limitRange.max.memory), `${env}: within LimitRange`);
    assert.ok(quantity(resources.limits.cpu) <= quantity(limitRange.max.cpu), `${env}: within LimitRange`);
  }
});

test.run();
