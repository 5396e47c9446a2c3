/**
 * The single place ONNX Runtime sessions are made and run. It uses
 * onnxruntime-node's native binding, the synchronous session the package's
 * own `InferenceSession` wraps: the wrapper defers every `run()` to
 * setImmediate, which on a shard's loop costs one more loop turn (a poll)
 * per batch on the request path; here a run is a plain call. Providers are
 * tried in order, because ORT throws for one it cannot load instead of
 * falling back.
 */
import ort from 'onnxruntime-node';
import { binding, initOrt, type Binding } from 'onnxruntime-node/dist/binding.js';

export interface DroppedProvider {
  provider: string;
  reason: string;
}

export interface SessionOptions {
  /** Tried in order; the first that loads is used. */
  providers: readonly string[];
  intraOpThreads: number;
}

// ORT's own plain-text stderr lines (e.g. a provider library that cannot load) would bypass the JSON logs; failures still throw.
ort.env.logLevel = 'fatal';

export class OrtSession {
  private constructor(
    private readonly native: Binding.InferenceSession,
    /** The provider the session runs on. */
    readonly provider: string,
    /** Providers that were asked for first but could not load, with why. */
    readonly dropped: readonly DroppedProvider[],
  ) {}

  static load(model: Uint8Array, options: SessionOptions): OrtSession {
    initOrt();
    const dropped: DroppedProvider[] = [];
    const providers = [...options.providers];
    for (;;) {
      const native = new binding.InferenceSession();
      try {
        native.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
          executionProviders: providers as ort.InferenceSession.ExecutionProviderConfig[],
          intraOpNumThreads: options.intraOpThreads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // Run failures reach the caller as SY_ERR_MODEL_EXECUTION; ORT's own stderr lines would bypass the JSON logs.
          logSeverityLevel: 4,
          // Spinning intra-op threads fight the other threads for the same cores.
          extra: { session: { intra_op: { allow_spinning: '0' } } },
        });
        return new OrtSession(native, providers[0]!, dropped);
      } catch (err) {
        // a session that failed to load holds nothing (and refuses dispose())
        if (providers.length <= 1) throw err;
        dropped.push({ provider: providers.shift()!, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  get inputNames(): string[] {
    return this.native.inputMetadata.map((m) => m.name);
  }

  get outputNames(): string[] {
    return this.native.outputMetadata.map((m) => m.name);
  }

  /** Runs on the calling thread and returns when ORT has finished. */
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>): Record<string, ort.Tensor> {
    return this.native.run(feeds, fetches, {}) as Record<string, ort.Tensor>;
  }

  release(): void {
    this.native.dispose();
  }
}
