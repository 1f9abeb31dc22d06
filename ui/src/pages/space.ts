import type { JobHandle, JobStreamEvent, SpaceStatus } from '../../../src/sdk/browser.ts';
import { api, ApiError, type SpaceInfo } from '../api.ts';
import { h, fill, bytes } from '../dom.ts';
import { explain } from '../errors.ts';
import type { Page } from '../navigation.ts';
import { exampleList, type ExampleTarget } from '../examples.ts';
import { optionControls } from '../option-controls.ts';
import { renderResult } from '../result.ts';
import type { OutputKind } from '../../../src/protocol/space-presentation.ts';
import { sdk, whoAmI } from '../session.ts';

const FILE_KINDS = ['image', 'audio', 'video', 'files'] as const;
const HISTORY_KEY = 'spaceport.history';
/** Files this large are uploaded first, resumably, with a progress bar; smaller ones go with the submit. */
const RESUMABLE_FROM = 4 * 1024 * 1024;

interface HistoryEntry {
  id: string;
  space: string;
  at: number;
  prompt?: string;
}

const history = (): HistoryEntry[] => JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as HistoryEntry[];
const remember = (e: HistoryEntry) => localStorage.setItem(HISTORY_KEY, JSON.stringify([e, ...history()].slice(0, 50)));

/** A space: its enabled inputs, submit while connected, the job live, the result, and your history. */
export const spacePage: Page = async (main, { name }) => {
  let info: SpaceInfo;
  try {
    info = await api<SpaceInfo>('GET', `/v1/spaces/${encodeURIComponent(name!)}`);
  } catch (err) {
    fill(main, h('h1', {}, name!), h('p', { class: 'error' }, err instanceof ApiError ? explain(err.code, err.message) : String(err)));
    return;
  }
  const me = await whoAmI();
  const status = h('p', { class: 'status', id: 'space-status', 'aria-live': 'polite' });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'submit' }, 'Submit');
  const showStatus = (s: { connected: boolean; workers: number; queue_length: number }) => {
    fill(
      status,
      h('span', { class: `dot${s.connected ? ' on' : ''}`, 'aria-hidden': 'true' }),
      s.connected ? `Connected · ${s.workers} worker${s.workers === 1 ? '' : 's'}` : 'Not connected — submitting is possible once a worker connects',
      ` · ${s.queue_length} queued`,
    );
    status.dataset.status = s.connected ? 'connected' : 'disconnected';
    submit.disabled = !s.connected;
  };
  showStatus(info);

  const fields: Array<() => { prompt?: string; options?: Record<string, unknown>; files?: Array<{ name: string; mime: string; data: Blob; input: (typeof FILE_KINDS)[number] }> } | string> = [];
  // The gateway checks every field and says what is wrong in the page's own words (not the browser's bubbles).
  const form = h('form', { id: 'submit-form', novalidate: true });
  const examplesGo: ExampleTarget = { files: new Map() };
  if (info.inputs.prompt) {
    const prompt = h('textarea', { id: 'prompt', name: 'prompt', rows: 4 });
    examplesGo.prompt = prompt;
    const limit = info.inputs.prompt.max_bytes;
    form.append(h('label', { for: 'prompt' }, 'Prompt ', h('span', { class: 'hint' }, `(up to ${bytes(limit)})`)), prompt);
    fields.push(() => (new Blob([prompt.value]).size > limit ? `The prompt is longer than ${bytes(limit)}.` : prompt.value ? { prompt: prompt.value } : {}));
  }
  for (const kind of FILE_KINDS) {
    const rule = info.inputs[kind];
    if (!rule) continue;
    const input = h('input', {
      type: 'file',
      id: `file-${kind}`,
      multiple: kind === 'files' || kind === 'image',
      ...(rule.mime.length && { accept: rule.mime.join(',') }),
    });
    examplesGo.files.set(kind, input);
    form.append(
      h(
        'label',
        { for: `file-${kind}` },
        `${kind[0]!.toUpperCase()}${kind.slice(1)} `,
        h('span', { class: 'hint' }, `(up to ${bytes(rule.max_bytes)} each${rule.mime.length ? `; ${rule.mime.join(', ')}` : ''})`),
      ),
      input,
    );
    fields.push(() => {
      const files = [...(input.files ?? [])];
      const big = files.find((f) => f.size > rule.max_bytes);
      if (big) return `${big.name} is ${bytes(big.size)}; this space takes up to ${bytes(rule.max_bytes)}.`;
      return { files: files.map((f) => ({ name: f.name, mime: f.type || 'application/octet-stream', data: f, input: kind })) };
    });
  }
  if (info.options_schema) {
    const options = optionControls(info.options_schema);
    examplesGo.options = options;
    form.append(options.element);
    fields.push(() => {
      const read = options.read();
      return typeof read === 'string' ? read : { options: read };
    });
  }
  const formError = h('p', { class: 'error', role: 'alert', id: 'form-error' });
  if (info.examples?.length) form.prepend(exampleList(info.examples, examplesGo, (message) => (formError.textContent = message)));
  const uploading = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true, 'aria-label': 'Upload' });
  const uploadingText = h('span', { class: 'hint', id: 'upload-progress-text' });
  form.append(h('div', { class: 'row' }, submit, uploading, uploadingText), formError);
  if (info.access === 'users' && me.kind === 'anonymous') {
    form.prepend(
      h(
        'p',
        { class: 'notice', id: 'sign-in-needed' },
        'This space is open to signed-in users only. ',
        h('a', { href: `/signin?next=/s/${encodeURIComponent(info.space)}` }, 'Sign in'),
        ' to submit.',
      ),
    );
    submit.disabled = true;
  }

  const jobArea = h('section', { id: 'job', 'aria-live': 'polite' });
  const historyList = h('div', { id: 'history' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError.textContent = '';
    const input: { prompt?: string; options?: Record<string, unknown>; files: Array<{ name: string; mime: string; data: Blob; input: (typeof FILE_KINDS)[number] }> } = { files: [] };
    for (const read of fields) {
      const got = read();
      if (typeof got === 'string') return void (formError.textContent = got);
      if (got.prompt !== undefined) input.prompt = got.prompt;
      if (got.options !== undefined) input.options = got.options;
      input.files.push(...(got.files ?? []));
    }
    submit.disabled = true;
    try {
      const files = await Promise.all(input.files.map((f) => (f.data.size >= RESUMABLE_FROM ? uploadResumably(f) : f)));
      const job = await sdk().submit(info.space, { ...input, files });
      remember({ id: job.id, space: info.space, at: Date.now(), ...(input.prompt && { prompt: input.prompt.slice(0, 80) }) });
      watch(job, jobArea, () => void drawHistory(historyList, info.space), { image: input.files.find((f) => f.input === 'image')?.data, output: info.output });
      void drawHistory(historyList, info.space);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      // Which option, and what it must be, in the gateway's words.
      formError.textContent = explain(code, (err as Error).message) + (code === 'invalid_options' ? ` (${(err as Error).message})` : '');
    } finally {
      uploading.hidden = true;
      uploadingText.textContent = '';
      submit.disabled = status.dataset.status !== 'connected' || (info.access === 'users' && me.kind === 'anonymous');
    }
  });

  /** A large file goes first, in resumable parts (tus), with its progress shown; the job names it by blob id. */
  async function uploadResumably(f: { name: string; mime: string; data: Blob; input: (typeof FILE_KINDS)[number] }) {
    uploading.hidden = false;
    const show = (sent: number, total: number) => {
      uploading.value = sent / total;
      uploadingText.textContent = `Uploading ${f.name}: ${bytes(sent)} of ${bytes(total)}`;
    };
    show(0, f.data.size);
    const { id } = await sdk().upload(f.data, { name: f.name, mime: f.mime }, { resumableFrom: RESUMABLE_FROM, onProgress: show });
    return { blob: id, name: f.name, mime: f.mime, input: f.input };
  }

  fill(main, h('h1', {}, info.space), h('p', { class: 'muted' }, info.description), status, form, jobArea, h('h2', {}, 'Your jobs here'), historyList);
  void drawHistory(historyList, info.space);
  const stop = await sdk().subscribe(`space:${info.space}`, (m) => {
    if (m.type !== 'space_status') return;
    showStatus(m as unknown as SpaceStatus);
    if (info.access === 'users' && me.kind === 'anonymous') submit.disabled = true;
  });
  return stop;
};

/** One job, live: queue position and ETA, progress, tokens, partials, the result or the error, cancel. */
function watch(job: JobHandle, area: HTMLElement, ended: () => void, { image, output }: { image?: Blob | undefined; output?: OutputKind | undefined }): void {
  const state = h('p', { id: 'job-state' }, `Queued (position ${(job.position ?? 0) + 1})`);
  const progress = h('progress', { id: 'job-progress', max: 1, value: 0, 'aria-label': 'Progress' });
  const progressText = h('span', { class: 'hint', id: 'job-progress-text' });
  const tokens = h('div', { class: 'output', id: 'tokens', hidden: true });
  const partial = h('pre', { class: 'output', id: 'partial', hidden: true });
  const partialMedia = h('div', { id: 'partial-media' });
  const outcome = h('div', { id: 'outcome' });
  const cancel = h('button', { type: 'button', id: 'cancel', onclick: () => void job.cancel().catch(() => {}) }, 'Cancel');
  fill(area, h('h2', {}, 'Job ', h('code', {}, job.id)), state, progress, progressText, h('div', { class: 'row' }, cancel), tokens, partial, partialMedia, outcome);
  // How long it waited and ran, as this page saw it: shown live, and kept at the end.
  const times = h('p', { class: 'hint', id: 'job-times' });
  const submittedAt = Date.now();
  let startedAt: number | undefined;
  let endedAt: number | undefined;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const showTimes = () => {
    if (!times.isConnected && times.textContent) return clearInterval(ticking); // the visitor left the page
    const now = endedAt ?? Date.now();
    times.textContent =
      startedAt === undefined ? `waiting ${seconds(now - submittedAt)}` : `waited ${seconds(startedAt - submittedAt)} · ${endedAt === undefined ? 'running' : 'ran'} ${seconds(now - startedAt)}`;
  };
  const ticking = setInterval(showTimes, 200);
  showTimes();
  state.after(times);
  job.on((e: JobStreamEvent) => {
    if (e.type === 'started') startedAt ??= Date.now();
    if (['result', 'failed', 'timed_out', 'cancelled', 'lost'].includes(e.type)) {
      endedAt = Date.now();
      clearInterval(ticking);
      showTimes();
      setTimeout(ended, 0);
    }
    switch (e.type) {
      case 'position':
        state.textContent = `Queued: position ${e.position + 1}${e.eta_ms !== null ? `, about ${Math.ceil(e.eta_ms / 1000)} s` : ''}`;
        return;
      case 'queued':
        state.textContent = `Queued: position ${e.position + 1}${e.eta_ms !== null ? `, about ${Math.ceil(e.eta_ms / 1000)} s` : ''}${e.attempt > 0 ? ` (restarting: ${e.reason ?? 'worker lost'})` : ''}`;
        if (e.attempt > 0) tokens.textContent = '';
        return;
      case 'started':
        state.textContent = 'Running';
        return;
      case 'progress':
        progress.value = e.progress;
        progressText.textContent = `${Math.round(e.progress * 100)}%${e.message ? ` — ${e.message}` : ''}`;
        return;
      case 'token':
        tokens.hidden = false;
        tokens.textContent += e.text;
        return;
      case 'partial':
        // Live media (a frame, a preview) replaces the previous one; data alone is shown as JSON.
        if (e.files?.length) return fill(partialMedia, renderResult(e.data, e.files, 'partial-result'));
        partial.hidden = false;
        partial.textContent = JSON.stringify(e.data, null, 2);
        return;
      case 'result':
        state.textContent = 'Done';
        state.dataset.state = 'completed';
        progress.value = 1;
        // The last stage's words ("10% — looking for a face") would stay up beside a full bar.
        progressText.textContent = '100% — done';
        cancel.remove();
        fill(outcome, renderResult(e.data, e.files, 'result', { image, output, streamed: tokens.hidden ? undefined : (tokens.textContent ?? '') }));
        return;
      case 'failed':
      case 'timed_out':
      case 'cancelled':
      case 'lost': {
        const code = e.type === 'failed' || e.type === 'lost' ? e.code : e.type;
        const detail = 'message' in e ? e.message : 'reason' in e ? e.reason : undefined;
        state.textContent = e.type === 'cancelled' ? 'Cancelled' : 'Failed';
        state.dataset.state = e.type;
        cancel.remove();
        fill(outcome, h('p', { class: 'error', id: 'job-error' }, explain(code), detail ? h('span', { class: 'hint' }, ` (${detail})`) : null));
        return;
      }
      case 'gap':
        tokens.textContent += '\n[some output was lost in a reconnect]\n';
        return;
    }
  });
}

async function drawHistory(list: HTMLElement, space: string): Promise<void> {
  // Signed in: the gateway knows your jobs; anonymous: this browser remembers the ones it sent.
  const me = await whoAmI();
  const mine: HistoryEntry[] =
    me.kind === 'anonymous'
      ? history()
          .filter((e) => e.space === space)
          .slice(0, 10)
      : (await api<{ jobs: Array<{ id: string; created_at: string; prompt: string | null }> }>('GET', `/v1/me/jobs?space=${encodeURIComponent(space)}&limit=10`)).jobs.map((j) => ({
          id: j.id,
          space,
          at: Date.parse(j.created_at),
          ...(j.prompt && { prompt: j.prompt }),
        }));
  if (mine.length === 0) return fill(list, h('p', { class: 'muted' }, 'Nothing yet.'));
  const rows = await Promise.all(
    mine.map(async (e) => {
      const job = await api<{
        state: string;
        result: { data: unknown; files: Array<{ id: string; name: string; mime: string; size: number; url: string }> } | null;
        error: { code: string } | null;
      }>('GET', `/v1/jobs/${e.id}`).catch(() => null);
      const show = h('button', { type: 'button', onclick: () => job?.result && row.after(h('tr', {}, h('td', { colspan: 4 }, renderResult(job.result.data, job.result.files)))) }, 'Show result');
      const row = h(
        'tr',
        {},
        h('td', {}, new Date(e.at).toLocaleString()),
        h('td', {}, e.prompt ?? ''),
        h('td', {}, job ? job.state : 'expired'),
        h('td', {}, job?.result ? show : job?.error ? explain(job.error.code) : ''),
      );
      return row;
    }),
  );
  fill(
    list,
    h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Prompt'), h('th', {}, 'State'), h('th', {}, ''))), h('tbody', {}, ...rows))),
  );
}
