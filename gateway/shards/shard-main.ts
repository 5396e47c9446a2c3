/**
 * A shard: one worker thread with its own uWebSockets.js app on the gateway's
 * REST port (SO_REUSEPORT spreads the connections), its own replica of the
 * model catalog, batchers and ONNX Runtime sessions run inline, and its own
 * record publisher; the shard that serves gRPC also holds the gRPC server.
 * No request leaves the thread on its way, except a batch of a pool-mode
 * version. The main thread drives it with the requests of protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { SwitchyardError } from '../../runtime/errors.js';
import { createLogger, type Logger } from '../../runtime/log.js';
import { SERVER_VERSION } from '../../runtime/version.js';
import { InlineExecutor } from '../execution/inline-executor.js';
import { PoolExecutor } from '../execution/pool-executor.js';
import { warmupTask } from '../execution/warmup.js';
import { GrpcTransport } from '../grpc/server.js';
import { HttpTransport } from '../http/server.js';
import { ModelCatalog, type VersionLoader } from '../inference/model-catalog.js';
import { ModelVersion } from '../inference/model-version.js';
import { GatewayService } from '../inference/service.js';
import { GatewayMetrics } from '../metrics.js';
import { IdlePoller, PollingAfterAnswers } from './idle-poller.js';
import { InputBudget } from '../publishing/input-budget.js';
import { PortSink } from '../publishing/port-sink.js';
import { PredictionRecorder } from '../publishing/prediction-recorder.js';
import { PUBLISHER_DEFAULTS, RecordPublisher } from '../publishing/record-publisher.js';
import { ShadowMirror } from '../routing/shadow-mirror.js';
import { answerRequests, type Answer } from '../threads/port-requests.js';
import type { ListenResult, ShardLogLine, ShardRequest, ShardWorkerData } from './protocol.js';

const data = workerData as ShardWorkerData;
const log: Logger = createLogger({ component: 'gateway', shard: data.index }, data.logLevel, (level, msg, fields) =>
  parentPort!.postMessage({ kind: 'log', level, msg, fields } satisfies ShardLogLine),
);

const registry = new Registry();
const metrics = new GatewayMetrics(registry);
const events = new PollingAfterAnswers(metrics, new IdlePoller(data.idleSpinUs));
const sink = data.sink && new PortSink(data.sink);
const publisher = sink && new RecordPublisher(sink, PUBLISHER_DEFAULTS, metrics, log);
const recorder = publisher && new PredictionRecorder(publisher, data.recordInputsRate, new InputBudget(data.recordInputsPerSecond), (n) => metrics.recordInputsOverBudget(n));

const loadVersion: VersionLoader = ({ key, manifest, provider, lowPriority, load }) => {
  const executor =
    load.mode === 'inline'
      ? InlineExecutor.load(load.model, provider, manifest.execution.intra_op_threads, warmupTask(manifest, Math.max(1, manifest.batching.max_batch_size)))
      : new PoolExecutor(load.ports, data.pipelineDepth);
  return new ModelVersion({ manifest, key, mode: load.mode, provider, executor, lowPriority, events, recorder });
};

const catalog = new ModelCatalog(loadVersion, log);
const service = new GatewayService(catalog, new ShadowMirror(data.shadowMaxInflight, metrics), events, SERVER_VERSION, recorder);
const http = new HttpTransport({ service, maxBodyBytes: data.maxBodyBytes });
let grpc: GrpcTransport | undefined;

// uWS keeps a poll handle on this thread's loop that Node cannot close: a thread ending with it open aborts the whole
// process. Whatever ends the thread — an uncaught error included — its sockets are closed first.
process.on('exit', () => http.closeSockets());

async function listen(httpPort: number, grpcPort: number | undefined): Promise<ListenResult> {
  const result: ListenResult = { http: await http.listen(data.host, httpPort) };
  if (grpcPort !== undefined) {
    grpc = new GrpcTransport({ service, maxMessageBytes: data.maxBodyBytes });
    result.grpc = await grpc.listen(data.host, grpcPort);
  }
  service.open();
  return result;
}

/** Refuse new requests, answer the accepted ones, flush their records, close. */
async function drain(): Promise<void> {
  service.beginShutdown();
  await catalog.close();
  await Promise.all([http.close(), grpc?.close()]);
  await publisher?.close();
}

const nothing: Answer<undefined> = { value: undefined };

async function handle(request: ShardRequest): Promise<Answer<unknown>> {
  switch (request.kind) {
    case 'prepare':
      return { value: catalog.prepare(request.change) };
    case 'commit':
      await catalog.commit(request.model, request.revision);
      return nothing;
    case 'abort':
      await catalog.abort(request.model, request.revision);
      return nothing;
    case 'refused':
      catalog.setRefused(request.entries);
      return nothing;
    case 'pool-port': {
      const executor = catalog.byKey(request.key)?.executor;
      if (executor instanceof PoolExecutor) executor.replace(request.slot, request.port);
      else request.port.close();
      return nothing;
    }
    case 'sink-port':
      sink?.connect(request.port);
      return nothing;
    case 'listen':
      return { value: await listen(request.httpPort, request.grpcPort) };
    case 'metrics':
      return { value: await registry.getMetricsAsJSON() };
    case 'stop-accepting':
      service.beginShutdown();
      return nothing;
    case 'drain':
      await drain();
      return nothing;
    case 'crash':
      setImmediate(() => {
        throw new Error(`shard ${data.index}: crash requested (fault injection)`);
      });
      return nothing;
    default:
      throw new SwitchyardError('SY_ERR_INTERNAL', `shard ${data.index}: unknown request ${JSON.stringify(request)}`);
  }
}

answerRequests<ShardRequest, unknown>(data.control, handle);
