/**
 * How many requests per second may have their inputs recorded: a token bucket refilled at
 * `perSecond`, holding at most one second's worth. Under it, every (sampled) request keeps its
 * inputs; above it, records carry outputs only. Inputs are the bulk of a record (copied and
 * encoded on the event loop), so this keeps the cost of streaming flat at high rates while
 * the monitor still gets far more rows than its windows need.
 */
export class InputBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = performance.now.bind(performance),
  ) {
    this.tokens = perSecond;
    this.refilledAt = clock();
  }

  /** True, spending one token, when this request's inputs may be recorded. */
  take(): boolean {
    if (this.perSecond === Infinity) return true;
    if (this.tokens < 1) {
      const now = this.clock();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
      this.refilledAt = now;
      if (this.tokens < 1) return false;
    }
    this.tokens--;
    return true;
  }
}
