/**
 * The current figures of every tracked version's windows as Prometheus gauges, read from the
 * version table at scrape time: a forgotten version's series disappear with it, and no series is
 * kept up to date between scrapes. Ratios carry `_ratio`; MAE/RMSE are in the target's units;
 * log loss in nats. The prediction's drift is the feature "__prediction__".
 */
import { Gauge, type Registry } from 'prom-client';
import { DRIFT_TESTS } from '../policies/policy-spec.js';
import { PREDICTION_FEATURE } from '../policies/condition-value.js';
import type { VersionState } from '../tracking/version-state.js';

type Labels = Record<string, string>;
type Fill = (set: (labels: Labels, value: number | null | undefined) => void) => void;

const WINDOWS = ['count', 'time'] as const;

export function registerWindowMetrics(
  registry: Registry,
  versions: () => Iterable<VersionState>,
  labelStore: () => { predictions: number; earlyLabels: number },
  trainingRows: () => Iterable<[model: string, rows: number]>,
): void {
  const gauge = (name: string, help: string, labelNames: string[], fill: Fill): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        fill((labels, value) => {
          if (typeof value === 'number') this.set(labels, value);
        });
      },
    });
  };
  const eachWindow = (fn: (state: VersionState, window: 'count' | 'time', base: Labels) => void): void => {
    for (const state of versions()) for (const window of WINDOWS) fn(state, window, { model: state.model, version: state.version, window });
  };
  /** Every compared feature of every drift window, the prediction as PREDICTION_FEATURE. */
  const eachFeature = (fn: (feature: string, result: Record<string, unknown>, base: Labels) => void): void =>
    eachWindow((state, window, base) => {
      const d = state.latestDrift[window];
      if (!d) return;
      for (const [feature, result] of Object.entries(d.features)) fn(feature, result as unknown as Record<string, unknown>, base);
      if (d.prediction) fn(PREDICTION_FEATURE, d.prediction as unknown as Record<string, unknown>, base);
    });

  gauge('switchyard_drift_statistic', 'Drift test statistic of a feature against the version reference profile (test: psi, ks_stat, ks_pvalue, js, wasserstein_norm, chi2_pvalue).', ['model', 'version', 'feature', 'test', 'window'], (set) =>
    eachFeature((feature, result, base) => {
      for (const test of DRIFT_TESTS) set({ ...base, feature, test }, result[test] as number | null | undefined);
    }),
  );
  gauge('switchyard_drift_detected', '1 when the feature drifted by the thresholds frozen in the reference profile.', ['model', 'version', 'feature', 'window'], (set) =>
    eachFeature((feature, result, base) => set({ ...base, feature }, result.drift ? 1 : 0)),
  );
  gauge('switchyard_dataset_drift', '1 when the share of drifted features reached the profile datasetDriftShare.', ['model', 'version', 'window'], (set) =>
    eachWindow((state, window, base) => set(base, state.latestDrift[window] ? (state.latestDrift[window]!.drift ? 1 : 0) : null)),
  );
  gauge('switchyard_drift_share_ratio', 'Share of compared features that drifted.', ['model', 'version', 'window'], (set) =>
    eachWindow((state, window, base) => set(base, state.latestDrift[window]?.share)),
  );
  gauge('switchyard_drift_window_rows', 'Rows in the drift window.', ['model', 'version', 'window'], (set) =>
    eachWindow((state, window, base) => set(base, state.latestDrift[window]?.samples)),
  );

  const quality = (name: string, help: string, key: string): void =>
    gauge(name, help, ['model', 'version', 'window'], (set) =>
      eachWindow((state, window, base) => {
        const q = state.latestQuality[window];
        if (q && q.samples > 0) set(base, (q as unknown as Record<string, number | null>)[key]);
      }),
    );
  const averaged = (name: string, help: string, key: string): void =>
    gauge(name, help, ['model', 'version', 'window', 'average'], (set) =>
      eachWindow((state, window, base) => {
        const q = state.latestQuality[window] as unknown as Record<string, number | null> | null;
        if (!q || !(q.samples! > 0)) return;
        for (const average of ['binary', 'macro']) set({ ...base, average }, q[`${key}_${average}`]);
      }),
    );
  quality('switchyard_quality_accuracy_ratio', 'Accuracy of a classifier version over its labelled window.', 'accuracy');
  averaged('switchyard_quality_precision_ratio', 'Precision (average: binary for class 1, or macro).', 'precision');
  averaged('switchyard_quality_recall_ratio', 'Recall (average: binary for class 1, or macro).', 'recall');
  averaged('switchyard_quality_f1_ratio', 'F1 score (average: binary for class 1, or macro).', 'f1');
  quality('switchyard_quality_log_loss', 'Mean log loss (nats) of a classifier whose outputs are probabilities.', 'log_loss');
  quality('switchyard_quality_mae', 'Mean absolute error of a regressor, in the target units.', 'mae');
  quality('switchyard_quality_rmse', 'Root mean squared error of a regressor, in the target units.', 'rmse');
  gauge('switchyard_quality_window_samples', 'Labelled rows in the quality window.', ['model', 'version', 'window'], (set) =>
    eachWindow((state, window, base) => set(base, state.latestQuality[window]?.samples ?? 0)),
  );
  gauge('switchyard_monitor_tracked_versions', 'Model versions the monitor tracks.', [], (set) => set({}, [...versions()].length));
  gauge('switchyard_label_store_entries', 'Entries held by the label join store (store: predictions waiting for labels, early_labels waiting for predictions).', ['store'], (set) => {
    const sizes = labelStore();
    set({ store: 'predictions' }, sizes.predictions);
    set({ store: 'early_labels' }, sizes.earlyLabels);
  });
  gauge('switchyard_monitor_training_rows', 'Labelled rows (sampled inputs + label) held per model for GET /api/v1/models/{model}/labeled-data.', ['model'], (set) => {
    for (const [model, rows] of trainingRows()) set({ model }, rows);
  });
}
