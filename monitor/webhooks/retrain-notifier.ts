/**
 * What happens when a policy fires: the trigger is logged and, when webhook URLs are configured,
 * its retraining request is signed and delivered to each of them (in the background; `settled`
 * lets a test or a shutdown wait for the deliveries started so far).
 */
import type { Logger } from '../../runtime/log.js';
import type { Trigger } from '../policies/policy-engine.js';
import { retrainRequest, retrainRequestJson } from './retrain-request.js';
import type { DeliveryOutcome, WebhookSender } from './webhook-sender.js';

export class RetrainNotifier {
  private readonly deliveries = new Set<Promise<DeliveryOutcome[]>>();

  constructor(
    private readonly sender: WebhookSender,
    private readonly urlCount: number,
    private readonly log: Logger,
  ) {}

  notify(trigger: Trigger): void {
    this.log.warn('retraining trigger fired', {
      id: trigger.id,
      model: trigger.model,
      version: trigger.version,
      role: trigger.role,
      metric: trigger.condition.metric,
      value: trigger.value,
      samples: trigger.samples,
      webhooks: this.urlCount,
    });
    if (this.urlCount === 0) return;
    const delivery = this.sender.send(trigger.id, retrainRequestJson(retrainRequest(trigger)));
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /** Resolves when every delivery started so far has ended (delivered, failed or abandoned). */
  async settled(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  /** Lets deliveries in flight finish within the sender's drain time, then abandons the rest. */
  close(): Promise<void> {
    return this.sender.close();
  }
}
