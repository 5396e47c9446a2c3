/**
 * A test gateway in a worker thread, as a shard will run it: started from the
 * repository in workerData, it posts its ports, and closes (gracefully) when
 * told to, posting 'closed' when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Gateway } from '../../gateway/gateway.js';
import { createLogger } from '../../runtime/log.js';

const gateway = await Gateway.start({ repository: workerData as string, httpPort: 0, grpcPort: 0, metricsPort: 0 }, createLogger({ component: 'gateway' }, 'error'));
parentPort!.postMessage(gateway.ports);
parentPort!.once('message', () => {
  void gateway.close().then(() => parentPort!.postMessage('closed'));
});
