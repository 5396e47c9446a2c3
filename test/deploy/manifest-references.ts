/**
 * What a schema cannot see: whether the manifests fit together. Selectors that select pods,
 * Service and probe ports that exist, the HPA's target, ConfigMap keys, Secrets, volumes, claims,
 * `$(VAR)` references in args, and the ServiceMonitor's Services and port names.
 */
import type { Manifest } from './manifests.js';

/** Secrets the base refers to but does not hold (created by the operator, see deploy/README.md). */
export const EXTERNAL_SECRETS: Readonly<Record<string, readonly string[]>> = { 'switchyard-tokens': ['admin-tokens', 'read-token', 'webhook-secret'] };

interface Container {
  name: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string }>;
  [probe: string]: unknown;
}

const PROBES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function podTemplates(manifests: Manifest[]): Array<{ owner: Manifest; labels: Record<string, string>; spec: { containers: Container[]; volumes?: Array<Record<string, any>> } }> {
  return manifests.filter((m) => m.kind === 'Deployment').map((m) => ({ owner: m, labels: m.spec.template.metadata?.labels ?? {}, spec: m.spec.template.spec }));
}

function hasPort(containers: Container[], port: string | number): boolean {
  return containers.some((c) => (c.ports ?? []).some((p) => p.name === port || p.containerPort === port));
}

export function referenceErrors(manifests: Manifest[]): string[] {
  const errors: string[] = [];
  const named = (kind: string, name: string): Manifest | undefined => manifests.find((m) => m.kind === kind && m.metadata.name === name);
  const pods = podTemplates(manifests);

  for (const { owner, labels, spec } of pods) {
    const at = `${owner.where} (Deployment ${owner.metadata.name})`;
    if (!selects(owner.spec.selector?.matchLabels, labels)) errors.push(`${at}: spec.selector does not match the pod template's labels`);
    const volumes = new Map((spec.volumes ?? []).map((v) => [v.name as string, v]));
    for (const v of volumes.values()) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && !named('PersistentVolumeClaim', claim)) errors.push(`${at}: volume ${v.name} claims ${claim}, which no manifest defines`);
    }
    for (const c of spec.containers) {
      const env = new Set((c.env ?? []).map((e) => e.name));
      for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
        for (const [, name] of arg.matchAll(/\$\((\w+)\)/g)) if (!env.has(name)) errors.push(`${at}: container ${c.name} refers to $(${name}) but has no such env`);
      }
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm && named('ConfigMap', cm.name)?.data?.[cm.key] === undefined) errors.push(`${at}: container ${c.name} env ${e.name}: ConfigMap ${cm.name} has no key ${cm.key}`);
        const secret = e.valueFrom?.secretKeyRef;
        if (secret && !EXTERNAL_SECRETS[secret.name]?.includes(secret.key)) errors.push(`${at}: container ${c.name} env ${e.name}: Secret ${secret.name}/${secret.key} is not one of the documented ones`);
      }
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) errors.push(`${at}: container ${c.name} mounts ${m.name}, which is not a volume of the pod`);
      for (const probe of PROBES) {
        const p = c[probe] as { httpGet?: { port: string | number }; tcpSocket?: { port: string | number } } | undefined;
        const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
        if (port !== undefined && !hasPort([c], port)) errors.push(`${at}: container ${c.name} ${probe} uses port ${port}, which the container does not declare`);
      }
    }
  }

  for (const svc of manifests.filter((m) => m.kind === 'Service')) {
    const at = `${svc.where} (Service ${svc.metadata.name})`;
    const pod = pods.find((p) => selects(svc.spec.selector, p.labels));
    if (!pod) {
      errors.push(`${at}: selector ${JSON.stringify(svc.spec.selector)} selects no pod template`);
      continue;
    }
    for (const port of svc.spec.ports ?? []) {
      if (!hasPort(pod.spec.containers, port.targetPort ?? port.port)) errors.push(`${at}: port ${port.name} targets ${port.targetPort}, which ${pod.owner.metadata.name}'s containers do not declare`);
    }
  }

  for (const hpa of manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler')) {
    const ref = hpa.spec.scaleTargetRef;
    if (!named(ref.kind, ref.name)) errors.push(`${hpa.where}: scaleTargetRef ${ref.kind}/${ref.name} is not in the base`);
  }
  for (const pdb of manifests.filter((m) => m.kind === 'PodDisruptionBudget')) {
    if (!pods.some((p) => selects(pdb.spec.selector?.matchLabels, p.labels))) errors.push(`${pdb.where}: selector selects no pod template`);
  }
  for (const sm of manifests.filter((m) => m.kind === 'ServiceMonitor')) {
    const services = manifests.filter((m) => m.kind === 'Service' && selects(sm.spec.selector?.matchLabels, m.metadata.labels));
    if (services.length === 0) errors.push(`${sm.where} (ServiceMonitor ${sm.metadata.name}): selector matches no Service's labels`);
    for (const ep of sm.spec.endpoints ?? []) {
      if (!services.some((s) => (s.spec.ports ?? []).some((p: { name?: string }) => p.name === ep.port))) errors.push(`${sm.where}: endpoint port ${ep.port} is not a port name of the selected Services`);
    }
  }
  return errors;
}
