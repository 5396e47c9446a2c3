/**
 * What the training runner does with a version that beat stable on the holdout: hands it to the
 * canary starter. The registry injects the progressive rollout controller (models/rollout) here;
 * tests and embedding programs may pass their own through RegistryService.start's hooks.
 */

export interface CanaryCause {
  /** The training job that produced the version. */
  job: string;
  /** The trigger that asked for the job: a webhook id or "manual:<actor>". */
  trigger?: string;
}

export interface CanaryStarter {
  /** Resolves once the canary is under way; what it resolves to is not used. A rejection fails the job (the version stays registered). */
  start(model: string, version: string, cause: CanaryCause): Promise<unknown>;
}

/** The audit log's actor for everything a training job changes. */
export const TRAINER_ACTOR = 'trainer';
