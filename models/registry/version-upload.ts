/**
 * Checks an uploaded version before anything touches the disk: the manifest is
 * a JSON object for this model, the file is not empty, and the manifest's
 * sha256 matches the bytes received (so a truncated upload or a manifest of
 * another file is refused with 400 and nothing is written).
 */
import { MODEL_FILE, ManifestError, parseManifest, versionProblem, type ModelManifest } from '../manifest.js';
import { sha256Hex, type ModelVersionFields } from '../repository-writer.js';
import { SwitchyardError } from '../../runtime/errors.js';

export interface CheckedUpload {
  raw: Record<string, unknown>;
  /** The version the uploader asked for, if any; otherwise the registry assigns the next number. */
  version?: string;
  sha256: string;
}

export function checkUpload(model: string, manifest: unknown, bytes: Uint8Array): CheckedUpload {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new SwitchyardError('SY_ERR_INVALID_MANIFEST', 'the manifest must be a JSON object (inputs, outputs, sha256, ...)');
  }
  const raw = manifest as Record<string, unknown>;
  if (raw.name !== undefined && raw.name !== model) {
    throw new SwitchyardError('SY_ERR_INVALID_MANIFEST', `manifest "name" is ${JSON.stringify(raw.name)} but the URL names model '${model}'`);
  }
  let version: string | undefined;
  if (raw.version !== undefined && raw.version !== null) {
    version = typeof raw.version === 'number' ? String(raw.version) : (raw.version as string);
    const problem = versionProblem(version);
    if (problem) throw new SwitchyardError('SY_ERR_INVALID_NAME', `manifest "version" ${JSON.stringify(raw.version)} is invalid: ${problem}`);
  }
  if (bytes.byteLength === 0) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `the model file is empty; upload the ONNX bytes of '${model}'`);
  const sha256 = sha256Hex(bytes);
  if (typeof raw.sha256 !== 'string') {
    throw new SwitchyardError('SY_ERR_INVALID_MANIFEST', `manifest "sha256" is required: the sha256 of the ONNX file as 64 lowercase hex characters (this upload hashes to ${sha256})`);
  }
  if (raw.sha256 !== sha256) {
    throw new SwitchyardError(
      'SY_ERR_SHA256_MISMATCH',
      `manifest "sha256" is ${raw.sha256} but the uploaded model file (${bytes.byteLength} bytes) hashes to ${sha256}; the upload is incomplete or the manifest describes another file; nothing was written`,
    );
  }
  return version === undefined ? { raw, sha256 } : { raw, version, sha256 };
}

/** The manifest as it will be stored: name and version from the registry, file name fixed, creation time filled in. */
export function manifestFor(upload: CheckedUpload, model: string, version: string, now: Date): ModelManifest {
  const lineage = typeof upload.raw.lineage === 'object' && upload.raw.lineage !== null ? (upload.raw.lineage as Record<string, unknown>) : {};
  try {
    return parseManifest(
      { ...upload.raw, name: model, version, file: MODEL_FILE, lineage: { ...lineage, created_at: lineage.created_at ?? now.toISOString() } },
      `manifest of model '${model}' version ${version}`,
    );
  } catch (err) {
    if (err instanceof ManifestError) throw new SwitchyardError('SY_ERR_INVALID_MANIFEST', err.message);
    throw err;
  }
}

export function versionFields(m: ModelManifest): ModelVersionFields {
  return {
    name: m.name,
    version: m.version,
    inputs: m.inputs,
    outputs: m.outputs,
    batching: m.batching,
    execution: m.execution,
    lineage: m.lineage,
    reference_profile: m.reference_profile,
  };
}
