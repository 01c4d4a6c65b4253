/** One HTTP request to a unix socket, byte for byte what the test says (malformed bodies too). */
import { request } from 'node:http';

export function rawRequest(
  socket: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
      },
      (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: b });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
