import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/protocol/binary-frame.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

/** POST /v1/jobs/{id}/retry: a second try of a job that ended without a result (a dead letter). */
let gw: TestGateway;
let owner: string;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'flaky', inputs: ['prompt', 'files'] });
  owner = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'owner' })).body.key;
});
afterAll(() => gw.stop());

const as = (token: string) => ({ authorization: `Bearer ${token}` });

describe('retrying a failed job', () => {
  it('makes a new job with the same prompt and files for its owner, naming the first; the worker gets the same bytes', async () => {
    const worker = await gw.worker(['flaky']);
    const bytes = Buffer.from('the same input, byte for byte');
    const first = await gw.http('POST', '/v1/jobs', { space: 'flaky', prompt: 'try me', files: [{ name: 'in.txt', mime: 'text/plain', data: bytes.toString('base64') }] }, as(owner));
    const job1 = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'error', job: job1.job, message: 'out of memory' });
    await until('the first to fail', async () => (await gw.http('GET', `/v1/jobs/${first.body.job}`, undefined, as(owner))).body.state === 'failed' || undefined);

    const retried = await gw.http('POST', `/v1/jobs/${first.body.job}/retry`, undefined, as(owner));
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ state: 'queued', retry_of: first.body.job, space: 'flaky' });
    expect(retried.body.id).not.toBe(first.body.job);
    const job2 = await worker.next('job', (m) => m.type === 'job' && m.job === retried.body.id);
    expect(job2).toMatchObject({ prompt: 'try me', files: [expect.objectContaining({ name: 'in.txt', size: bytes.length })] });
    const frames = await until('the file of each job', () => (worker.binary.length >= 2 ? worker.binary : undefined));
    expect(decodeFrame(frames[1]!)!.payload.equals(bytes)).toBe(true);
    worker.close();
  });

  it('lets only the owner or an admin retry, and only a job that ended without a result', async () => {
    const worker = await gw.worker(['flaky'], 4);
    const other = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'other' })).body.key;
    const failed = await gw.http('POST', '/v1/jobs', { space: 'flaky', prompt: 'x' }, as(owner));
    const held = await worker.next('job', (m) => m.type === 'job' && m.job === failed.body.job);
    worker.send({ type: 'error', job: held.job, message: 'no' });
    await until('it to fail', async () => (await gw.http('GET', `/v1/jobs/${failed.body.job}`, undefined, as(owner))).body.state === 'failed' || undefined);
    // Someone else does not even see it (the space shows each caller their own jobs).
    expect((await gw.http('POST', `/v1/jobs/${failed.body.job}/retry`, undefined, as(other))).body.error.code).toBe('job_not_found');
    const byAdmin = await gw.http('POST', `/v1/jobs/${failed.body.job}/retry`, undefined, as(ADMIN_TOKEN));
    expect(byAdmin.status).toBe(202);
    // The admin's retry is still the owner's job: they see it as theirs.
    expect((await gw.http('GET', '/v1/me/jobs?space=flaky', undefined, as(owner))).body.jobs.map((j: { id: string }) => j.id)).toContain(byAdmin.body.id);

    const done = await gw.http('POST', '/v1/jobs', { space: 'flaky', prompt: 'fine' }, as(owner));
    const ok = await worker.next('job', (m) => m.type === 'job' && m.job === done.body.job);
    worker.send({ type: 'result', job: ok.job, data: {} });
    await until('it to complete', async () => (await gw.http('GET', `/v1/jobs/${done.body.job}`, undefined, as(owner))).body.state === 'completed' || undefined);
    const refused = await gw.http('POST', `/v1/jobs/${done.body.job}/retry`, undefined, as(owner));
    expect([refused.status, refused.body.error.code]).toEqual([409, 'job_not_retryable']);
    worker.close();
  });
});
