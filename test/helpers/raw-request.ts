import { connect } from 'node:net';

/**
 * A GET written byte for byte to a local port (`headers`: each line with its CRLF), and the whole
 * answer once the server has closed the socket — for requests no client library would send.
 */
export function rawRequest(port: number, target: string, headers: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\n${headers}\r\n`));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}
