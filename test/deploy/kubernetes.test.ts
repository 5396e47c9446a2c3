/**
 * deploy/kubernetes, validated without a cluster: every manifest against the Kubernetes OpenAPI
 * schema (`kubernetes-models`; the ServiceMonitor against the prometheus-operator CRD schema),
 * strictly (no undeclared field), the manifests against each other, the layout issue 6 asks for,
 * and the containers' args against the CLI. Broken copies must be rejected by each check.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { GATEWAY_OPTIONS } from '../../cli/gateway-command.js';
import { MONITOR_OPTIONS } from '../../cli/monitor-command.js';
import { REGISTRY_HELP } from '../../cli/registry-command.js';
import { REPO_ROOT } from './dashboard.js';
import { referenceErrors } from './manifest-references.js';
import { loadManifests, schemaErrors, unknownFieldErrors, type Manifest } from './manifests.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const { kustomization, files, manifests } = loadManifests();

function find(kind: string, name: string): Manifest {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(m, `no ${kind} ${name} in deploy/kubernetes`);
  return m;
}

function container(deployment: string, name: string): any {
  const c = find('Deployment', deployment).spec.template.spec.containers.find((x: { name: string }) => x.name === name);
  assert.ok(c, `Deployment ${deployment} has no container ${name}`);
  return c;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject).once('close', (code) => resolve({ code, stderr }));
  });
}

/** A deliberately broken copy of a manifest. */
function broken(kind: string, name: string, change: (m: any) => void): Manifest {
  const copy = structuredClone(find(kind, name));
  change(copy);
  return { ...copy, where: `broken ${kind} ${name}` };
}

describe('deploy/kubernetes manifests', () => {
  it('the kustomization lists every manifest file, and only those', () => {
    assert.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1');
    assert.equal(kustomization.kind, 'Kustomization');
    assert.deepEqual([...kustomization.resources].sort(), files);
    assert.deepEqual(kustomization.images, [{ name: 'switchyard', newName: 'switchyard', newTag: 'latest' }]);
    const kinds = manifests.map((m) => m.kind).sort();
    for (const kind of ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']) assert.ok(kinds.includes(kind), `no ${kind}`);
  });

  it('every manifest validates against the Kubernetes OpenAPI schema (ServiceMonitor: the prometheus-operator CRD schema)', async () => {
    const errors = (await Promise.all(manifests.map(schemaErrors))).flat();
    assert.deepEqual(errors, []);
  });

  it('no manifest has a field its schema does not declare, or a value of the wrong type', async () => {
    const errors = await unknownFieldErrors(manifests);
    assert.deepEqual(Object.fromEntries(errors), {});
  });

  it('the manifests fit together: selectors, ports, probes, ConfigMap keys, Secrets, volumes, HPA target, ServiceMonitor', () => {
    assert.deepEqual(referenceErrors(manifests), []);
  });

  it('broken copies are rejected by the schema, the strict field check and the reference check', async () => {
    const badReplicas = broken('Deployment', 'switchyard-gateway', (m) => (m.spec.replicas = 'two'));
    const noContainers = broken('Deployment', 'switchyard-registry', (m) => delete m.spec.template.spec.containers);
    const badInterval = broken('ServiceMonitor', 'switchyard-gateway', (m) => (m.spec.endpoints[0].interval = '15 seconds'));
    const badApi = broken('HorizontalPodAutoscaler', 'switchyard-gateway', (m) => (m.apiVersion = 'autoscaling/v9'));
    assert.match((await schemaErrors(badReplicas)).join(), /replicas must be integer/);
    assert.match((await schemaErrors(noContainers)).join(), /must have required property 'containers'|containers/);
    assert.match((await schemaErrors(badInterval)).join(), /interval must match pattern/);
    assert.match((await schemaErrors(badApi)).join(), /unknown apiVersion\/kind autoscaling\/v9/);

    const typoProbe = broken('Deployment', 'switchyard-gateway', (m) => {
      const c = m.spec.template.spec.containers[0];
      c.readinesProbe = c.readinessProbe;
      delete c.readinessProbe;
    });
    const typoMonitor = broken('ServiceMonitor', 'switchyard-registry', (m) => (m.spec.endpoints[0].intervall = '15s'));
    assert.deepEqual(await schemaErrors(typoProbe), [], 'the OpenAPI schema alone lets undeclared fields through');
    const strict = await unknownFieldErrors([typoProbe, typoMonitor]);
    assert.match(strict.get(typoProbe.where)?.join() ?? '', /'"?readinesProbe"?' does not exist/);
    assert.match(strict.get(typoMonitor.where)?.join() ?? '', /'"?intervall"?' does not exist/);

    const strayService = broken('Service', 'switchyard-gateway', (m) => (m.spec.selector['app.kubernetes.io/component'] = 'gatewy'));
    const badPort = broken('Deployment', 'switchyard-registry', (m) => (m.spec.template.spec.containers[0].livenessProbe.httpGet.port = 'metrics'));
    const errors = referenceErrors([...manifests.filter((m) => m.metadata.name !== 'switchyard-registry' || m.kind !== 'Deployment'), strayService, badPort]);
    assert.ok(errors.some((e) => /Service switchyard-gateway.*selects no pod template/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /livenessProbe uses port metrics/.test(e)), errors.join('\n'));
  });

  it('gateway pods, probes, preStop drain, resources, non-root', () => {
    const gateway = find('Deployment', 'switchyard-gateway');
    const pod = gateway.spec.template.spec;
    assert.deepEqual(pod.containers.map((c: { name: string }) => c.name), ['gateway']);
    assert.equal(gateway.spec.replicas, undefined, 'the HPA owns the replica count');
    const gw = container('switchyard-gateway', 'gateway');
    assert.deepEqual(gw.readinessProbe.httpGet, { path: '/v2/health/ready', port: 'http' });
    assert.deepEqual(gw.livenessProbe.httpGet, { path: '/v2/health/live', port: 'http' });
    assert.deepEqual(gw.ports.map((p: { containerPort: number }) => p.containerPort), [8000, 8001, 8002]);
    const preStop = Number(gw.lifecycle.preStop.exec.command[1]);
    assert.ok(preStop >= 5 && pod.terminationGracePeriodSeconds >= preStop + 20, 'preStop sleep, then time to drain before SIGKILL');
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      const spec = deployment.spec.template.spec;
      assert.equal(spec.securityContext.runAsNonRoot, true, `${deployment.metadata.name} runs as non-root`);
      for (const c of spec.containers) {
        for (const part of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(c.resources?.[part]?.[r], `${deployment.metadata.name}/${c.name} has resources.${part}.${r}`);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.ok(c.readinessProbe && c.livenessProbe, `${deployment.metadata.name}/${c.name} has readiness and liveness probes`);
      }
    }
  });

  it('the loop is wired: one monitor consumes the whole stream and signs webhooks to the registry, which reads it and Prometheus', () => {
    const monitor = find('Deployment', 'switchyard-monitor');
    assert.equal(monitor.spec.replicas, 1, 'one consumer: every label meets its prediction');
    assert.equal(monitor.spec.strategy.type, 'Recreate');
    const m = container('switchyard-monitor', 'monitor');
    assert.deepEqual(m.readinessProbe.httpGet, { path: '/healthz', port: 'monitor' });
    const flag = (args: string[], name: string): string | undefined => args[args.indexOf(name) + 1];
    assert.equal(flag(m.args, '--webhook'), '$(SWITCHYARD_REGISTRY_URL)/api/v1/webhooks/retrain');
    const registry = container('switchyard-registry', 'registry');
    assert.equal(flag(registry.args, '--monitor'), '$(SWITCHYARD_MONITOR_URL)');
    assert.equal(flag(registry.args, '--prometheus'), '$(SWITCHYARD_PROMETHEUS_URL)');
    const config = find('ConfigMap', 'switchyard-config').data!;
    assert.equal(config.SWITCHYARD_MONITOR_URL, 'http://switchyard-monitor:8010');
    assert.equal(find('Service', 'switchyard-monitor').spec.ports[0].port, 8010);
    // both ends of the webhook hold the same secret
    const secretOf = (c: { env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }) => c.env.find((e) => e.name === 'SWITCHYARD_WEBHOOK_SECRET')?.valueFrom?.secretKeyRef;
    assert.deepEqual(secretOf(m), { name: 'switchyard-tokens', key: 'webhook-secret' });
    assert.deepEqual(secretOf(registry), secretOf(m));
  });

  it('registry on a persistent volume, Redis, an HPA on queue depth and ServiceMonitors with the scrape config job names', () => {
    const registry = find('Deployment', 'switchyard-registry');
    assert.equal(registry.spec.replicas, 1);
    assert.equal(registry.spec.strategy.type, 'Recreate');
    assert.equal(registry.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'data').persistentVolumeClaim.claimName, 'switchyard-registry-data');
    assert.equal(find('Service', 'switchyard-redis').spec.ports[0].port, 6379);
    const redisUrl = find('ConfigMap', 'switchyard-config').data!.SWITCHYARD_REDIS_URL;
    assert.equal(redisUrl, 'redis://switchyard-redis:6379');
    const hpa = find('HorizontalPodAutoscaler', 'switchyard-gateway');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.ok(hpa.spec.metrics.some((m: any) => m.type === 'Pods' && m.pods.metric.name === 'switchyard_queue_depth_requests'));
    const jobs = manifests
      .filter((m) => m.kind === 'ServiceMonitor')
      .flatMap((m) => m.spec.endpoints.flatMap((e: { relabelings: Array<{ targetLabel: string; replacement: string }> }) => e.relabelings.filter((r) => r.targetLabel === 'job').map((r) => r.replacement)));
    const scrape = parse(readFileSync(`${REPO_ROOT}deploy/prometheus/prometheus.yml`, 'utf8')) as { scrape_configs: Array<{ job_name: string }> };
    assert.deepEqual(jobs.sort(), scrape.scrape_configs.map((c) => c.job_name).sort());
  });

  it("rules.yml wrapped as deploy/README.md does it is a valid PrometheusRule (the operator's CRD schema)", async () => {
    const rules = readFileSync(`${REPO_ROOT}deploy/prometheus/rules.yml`, 'utf8');
    const wrapped = `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: switchyard\nspec:\n${rules.replace(/^/gm, '  ')}`;
    const rule = { where: 'PrometheusRule from rules.yml', ...parse(wrapped) } as Manifest;
    assert.deepEqual(await schemaErrors(rule), []);
    assert.ok(rule.spec.groups.length >= 2);
  });

  it("containers' args are valid invocations of the switchyard CLI", async () => {
    const tables: Record<string, ParseArgsConfig['options'] | undefined> = { gateway: GATEWAY_OPTIONS, monitor: MONITOR_OPTIONS, registry: undefined };
    const commands = new Set<string>();
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      for (const c of deployment.spec.template.spec.containers.filter((x: { image: string }) => x.image.startsWith('switchyard:'))) {
        const [command, ...rest] = (c.args as string[]).map((a) => a.replace(/\$\(\w+\)/g, 'value'));
        assert.ok(command in tables, `${deployment.metadata.name}/${c.name}: unknown command ${command}`);
        const options = tables[command];
        if (options) parseArgs({ args: rest, options, strict: true, allowPositionals: false });
        else for (const flag of rest.filter((a) => a.startsWith('--'))) assert.ok(REGISTRY_HELP.includes(`  ${flag} `), `registry has no option ${flag}`);
        commands.add(command);
      }
    }
    assert.deepEqual([...commands].sort(), ['gateway', 'monitor', 'registry']);
    // The image's entrypoint knows each command (node dist/cli/main.js <command>).
    await Promise.all(
      [...commands].map(async (command) => {
        const { code, stderr } = await run(process.execPath, [CLI, command, '--help']);
        assert.equal(code, 0, `switchyard ${command} --help: ${stderr}`);
      }),
    );
  });
});
