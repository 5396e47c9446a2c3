/**
 * A node in a tree of label values: the labels on the way to it, and a child per value of the next label, made on
 * first use. Finding a series walks one Map per label with the values as they come: no label object, no key
 * string, nothing allocated once the series exists.
 */
import type { Labels } from './metric-family.js';

export class LabelNode<Child> {
  private readonly children = new Map<string, Child>();

  constructor(
    readonly labels: Labels,
    private readonly label: string,
    private readonly make: (labels: Labels) => Child,
  ) {}

  child(value: string): Child {
    let child = this.children.get(value);
    if (child === undefined) {
      // Label order is the order of the walk, as prom-client keeps the caller's key order.
      child = this.make(Object.freeze({ ...this.labels, [this.label]: value }));
      this.children.set(value, child);
    }
    return child;
  }
}
