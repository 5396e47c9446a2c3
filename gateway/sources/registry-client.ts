/**
 * What a gateway reads from the registry's API: a model's state and the bytes
 * of a version, checked against the manifest's sha256 before they are served.
 */
import { createHash } from 'node:crypto';
import { parseManifest } from '../../models/manifest.js';
import type { ModelView } from '../../models/registry/views.js';
import type { LoadedVersion } from '../model-repository.js';
import type { RegistryModelState } from '../routing/model-plan.js';

export class RegistryClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  get headers(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  async loadVersion(model: string, version: string): Promise<LoadedVersion> {
    const base = `${this.url}/api/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`;
    const view = (await (await this.get(base)).json()) as { manifest: unknown };
    const manifest = parseManifest(view.manifest, `registry ${model}/${version}`);
    const bytes = new Uint8Array(await (await this.get(`${base}/model.onnx`)).arrayBuffer());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== manifest.sha256) throw new Error(`registry ${model}/${version}: downloaded model has sha256 ${sha256}, manifest expects ${manifest.sha256}; refusing to serve it`);
    return { manifest, model: bytes };
  }

  private async get(url: string): Promise<Response> {
    const res = await fetch(url, { headers: this.headers });
    if (!res.ok) throw new Error(`registry GET ${url}: ${res.status} ${await res.text()}`);
    return res;
  }
}

export function modelState(view: ModelView): RegistryModelState {
  return {
    name: view.name,
    revision: view.revision,
    aliases: view.aliases,
    traffic: view.traffic,
    ready: view.versions.filter((v) => v.status === 'ready').map((v) => v.version).sort((a, b) => Number(a) - Number(b)),
  };
}
