import { PAGE_HEADER, PAGE_NAV } from '../../server/page-header.ts';
/** `GET /dashboard`: the reconstruction sessions, refreshed every two seconds. */
export const RECONSTRUCT_DASHBOARD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spaceport — sessions</title>
${PAGE_HEADER}
<style>
  .doc-page { max-width: 60rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e5ea; font-size: .9rem; }
  th { color: var(--muted); font-weight: 600; }
  code { font-size: .85rem; }
  .muted { color: var(--muted); }
  .thumbs img { height: 36px; margin: 2px; border-radius: 3px; vertical-align: middle; }
  button { font: inherit; font-size: .85rem; }
</style>
</head>
<body>
${PAGE_NAV}
<div class="doc-page" id="content">
<h1>Reconstruction sessions</h1>
<p class="muted">Sessions collect images over <code>/ws/reconstruct/{id}</code>; each generate is a job of the
<code>images-to-3d</code> space. Create one with <code>POST /ws/session/create</code>. Sessions expire after an hour.</p>
<p><button id="create">Create a session</button> <span id="note" class="muted"></span></p>
<div class="table-scroll"><table>
  <thead><tr><th>session</th><th>status</th><th>images</th><th>jobs</th><th>created</th><th>expires</th><th></th></tr></thead>
  <tbody id="rows"><tr><td colspan="7" class="muted">loading…</td></tr></tbody>
</table></div>
<script>
  const rows = document.getElementById('rows');
  const time = (iso) => new Date(iso).toLocaleTimeString();
  async function refresh() {
    const res = await fetch('/ws/sessions');
    const { sessions } = await res.json();
    rows.innerHTML = '';
    if (sessions.length === 0) rows.innerHTML = '<tr><td colspan="7" class="muted">no sessions</td></tr>';
    for (const s of sessions) {
      const tr = document.createElement('tr');
      tr.dataset.session = s.session_id;
      for (const text of [s.session_id, s.status, s.num_images + ' / ' + s.max_images, String(s.jobs.length), time(s.created_at), time(s.expires_at)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      // The session's images, as thumbnails from their image_path.
      const detail = await (await fetch('/ws/session/' + s.session_id)).json();
      const thumbs = document.createElement('td');
      thumbs.className = 'thumbs';
      thumbs.colSpan = 7;
      for (const image of detail.images || []) {
        const img = document.createElement('img');
        img.src = image.image_path;
        img.alt = image.filename;
        thumbs.appendChild(img);
      }
      const del = document.createElement('button');
      del.textContent = 'delete';
      del.onclick = async () => { await fetch('/ws/session/' + s.session_id, { method: 'DELETE' }); refresh(); };
      const td = document.createElement('td');
      td.appendChild(del);
      tr.appendChild(td);
      rows.appendChild(tr);
      if (thumbs.childNodes.length) {
        const imagesRow = document.createElement('tr');
        imagesRow.appendChild(thumbs);
        rows.appendChild(imagesRow);
      }
    }
  }
  document.getElementById('create').onclick = async () => {
    const res = await fetch('/ws/session/create', { method: 'POST' });
    const s = await res.json();
    document.getElementById('note').textContent = 'created ' + s.session_id;
    refresh();
  };
  refresh();
  setInterval(refresh, 2000);
</script>
</div>
</body>
</html>
`;
