/** Collects the payloads of stdcopy frames (runtime session output) as text, up to a limit. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly out: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) return;
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      if (this.size < this.limit) {
        const part = payload.subarray(0, this.limit - this.size);
        this.out.push(part);
        this.size += part.length;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.out).toString('utf8');
  }
}
