import type uPlot from 'uplot';
import type { ActivitySample as Sample } from '../../src/server/space-activity.ts';
import { api } from './api.ts';
import { h } from './dom.ts';

interface Activity {
  interval_ms: number;
  samples: Sample[];
}

const load = () => import('uplot').then((m) => m.default);
const activityOf = (space: string) => api<Activity>('GET', `/v1/spaces/${encodeURIComponent(space)}/activity`);
const seconds = (samples: Sample[]) => samples.map((s) => s.t / 1000);
const ms = (v: number | null) => (v === null ? null : v / 1000);

/**
 * A space's last hour as three uPlot charts — the queue and the slots in use; jobs ended per
 * interval, completed and failed; wait and run times (median and 95th percentile, seconds) — redrawn
 * each interval while they are on the page. uPlot is loaded only when a chart is shown.
 */
export async function activityCharts(box: HTMLElement, space: string): Promise<void> {
  const Plot = await load();
  const width = () => Math.max(240, Math.min(box.clientWidth || 600, 900));
  const charts: uPlot[] = [];
  const draw = (a: Activity) => {
    const t = seconds(a.samples);
    const data: uPlot.AlignedData[] = [
      [t, a.samples.map((s) => s.queued), a.samples.map((s) => s.running)],
      [t, a.samples.map((s) => s.completed), a.samples.map((s) => s.failed)],
      [t, a.samples.map((s) => ms(s.wait_p50)), a.samples.map((s) => ms(s.wait_p95)), a.samples.map((s) => ms(s.run_p50)), a.samples.map((s) => ms(s.run_p95))],
    ];
    if (charts.length === 0) {
      const specs: Array<[string, Array<[string, string]>]> = [
        [
          'Queue and slots in use',
          [
            ['queued', '#2457d6'],
            ['running', '#1f8a3a'],
          ],
        ],
        [
          `Jobs ended per ${a.interval_ms / 1000} s`,
          [
            ['completed', '#1f8a3a'],
            ['failed', '#b3261e'],
          ],
        ],
        [
          'Wait and run time (s)',
          [
            ['wait p50', '#2457d6'],
            ['wait p95', '#7aa2ff'],
            ['run p50', '#1f8a3a'],
            ['run p95', '#7cc48a'],
          ],
        ],
      ];
      for (const [i, [title, series]] of specs.entries()) {
        const holder = h('figure', { class: 'chart', 'data-chart': String(i) }, h('figcaption', {}, title));
        box.append(holder);
        charts.push(
          new Plot({ width: width(), height: 160, series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: true }))], axes: [{}, { size: 48 }] }, data[i]!, holder),
        );
      }
    } else charts.forEach((c, i) => c.setData(data[i]!));
  };
  const refresh = async () => draw(await activityOf(space));
  await refresh();
  const every = setInterval(() => {
    if (!box.isConnected) return clearInterval(every);
    void refresh().catch(() => {});
  }, 5000);
}

/** A space card's sparkline: its queue length over the last samples, drawn by uPlot, no axes. */
export async function queueSparkline(box: HTMLElement, space: string): Promise<void> {
  const [Plot, a] = await Promise.all([load(), activityOf(space)]);
  const recent = a.samples.slice(-60);
  box.dataset.points = String(recent.length);
  if (recent.length < 2) return;
  new Plot(
    {
      width: 120,
      height: 28,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: false } },
      series: [{}, { stroke: '#2457d6', width: 1.5, fill: 'rgba(36,87,214,.12)' }],
    },
    [recent.map((_, i) => i), recent.map((s) => s.queued)],
    box,
  );
}
