/**
 * The load client as its own process (so it never shares an event loop with
 * the benchmark or the server, and can be pinned to CPUs): it runs the steps
 * and probes the parent sends over the IPC channel and answers each one.
 */
import { probeTarget, runLoadStep } from './load-step.js';
import type { ClientReply, ClientRequest } from './client-process.js';

function reply(message: ClientReply): void {
  process.send?.(message);
}

process.on('message', (message: ClientRequest) => {
  const work = message.kind === 'run' ? runLoadStep(message.step) : probeTarget(message.target, message.endpoints, message.payload);
  work.then(
    (result) => reply({ id: message.id, ok: true, result }),
    (err: unknown) => reply({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
