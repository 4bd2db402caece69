/**
 * Splits a 64-bit nanosecond timestamp by a small divisor without BigInt
 * arithmetic: BigInt division allocates on every call, and the writers do this
 * once per packet.
 */
export class TimestampSplitter {
  private readonly scratch = new DataView(new ArrayBuffer(8));
  /** High 32 bits of the last quotient. */
  quotientHigh = 0;
  /** Low 32 bits of the last quotient. */
  quotientLow = 0;
  remainder = 0;

  /** High and low 32 bits of the last timestamp given to split. */
  high = 0;
  low = 0;

  split(tsNs: bigint): void {
    this.scratch.setBigUint64(0, tsNs, true);
    this.high = this.scratch.getUint32(4, true);
    this.low = this.scratch.getUint32(0, true);
  }

  /**
   * Divides the timestamp given as its high and low 32-bit halves. `divisor`
   * must be a positive integer below 2^31 so every partial dividend stays
   * exact in a double.
   */
  divideParts(high: number, low: number, divisor: number): void {
    // Long division in base 2^16: each partial dividend is below divisor * 2^16 < 2^47.
    let dividend = high >>> 16;
    const q3 = Math.floor(dividend / divisor);
    dividend = (dividend - q3 * divisor) * 65536 + (high & 0xffff);
    const q2 = Math.floor(dividend / divisor);
    dividend = (dividend - q2 * divisor) * 65536 + (low >>> 16);
    const q1 = Math.floor(dividend / divisor);
    dividend = (dividend - q1 * divisor) * 65536 + (low & 0xffff);
    const q0 = Math.floor(dividend / divisor);
    this.remainder = dividend - q0 * divisor;
    this.quotientHigh = q3 * 65536 + q2;
    this.quotientLow = q1 * 65536 + q0;
  }
}
