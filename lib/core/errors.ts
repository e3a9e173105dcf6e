/** A user mistake in a chart's definition or composition: reported without a stack trace (runMain). */
export class ChartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartError';
  }
}
