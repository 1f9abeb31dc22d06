import { describe, expect, it } from 'vitest';
import { RespError, RespReplies, type RespReply } from '../../src/engine/redis/resp-replies.ts';

/** Replies of every kind the blob lane gets, a bulk holding CR LF itself among them. */
const WIRE = Buffer.concat([Buffer.from('+OK\r\n-ERR wrong number\r\n:42\r\n$-1\r\n$0\r\n\r\n$6\r\nab\r\ncd\r\n'), Buffer.from('$300\r\n'), Buffer.alloc(300, 0x0d), Buffer.from('\r\n+PONG\r\n')]);

const shown = (replies: RespReply[]) => replies.map((r) => (r instanceof RespError ? `error:${r.message}` : Buffer.isBuffer(r) ? `bulk:${r.toString('hex')}` : r));

function readAll(chunks: Buffer[]): RespReply[] {
  const got: RespReply[] = [];
  const replies = new RespReplies((r) => got.push(r));
  for (const chunk of chunks) replies.read(chunk);
  return got;
}

describe('RespReplies', () => {
  it('reads status, error, integer, null, empty and binary bulk replies in order', () => {
    expect(shown(readAll([WIRE]))).toEqual(['OK', 'error:ERR wrong number', 42, null, 'bulk:', `bulk:${Buffer.from('ab\r\ncd').toString('hex')}`, `bulk:${'0d'.repeat(300)}`, 'PONG']);
  });

  it('reads the same however the replies fall across chunks: split at every byte, and byte by byte', () => {
    const whole = shown(readAll([WIRE]));
    for (let at = 1; at < WIRE.length; at++) expect(shown(readAll([WIRE.subarray(0, at), WIRE.subarray(at)]))).toEqual(whole);
    expect(shown(readAll([...WIRE].map((b) => Buffer.from([b]))))).toEqual(whole);
  });

  it('reads only the given length of a reused read buffer, and copies a bulk out of it', () => {
    const got: RespReply[] = [];
    const replies = new RespReplies((r) => got.push(r));
    const reused = Buffer.alloc(64, 0x78);
    Buffer.from('$3\r\nabc\r\n').copy(reused);
    replies.read(reused, 9);
    reused.fill(0);
    expect(got.map((r) => String(r))).toEqual(['abc']);
  });

  it('refuses a reply kind it does not read (an array), and a reply line that never ends', () => {
    expect(() => readAll([Buffer.from('*1\r\n')])).toThrow(/does not read/);
    expect(() => readAll(Array.from({ length: 100 }, () => Buffer.alloc(1024, 0x2b)))).toThrow(/more than 65536 bytes/);
  });
});
