/**
 * `GET /`: a small page that talks to /ws the way the token-streaming document's static client
 * does — type a query, watch tokens arrive, see the end summary. Plain HTML, no build step.
 */
export const TOKEN_STREAM_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spaceport — streaming</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .muted { color: #667; font-size: .9rem; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
  button { font: inherit; padding: .4rem 1rem; margin-top: .5rem; }
  #out { white-space: pre-wrap; background: #f5f6f8; border-radius: 6px; padding: .75rem; min-height: 6rem; margin-top: 1rem; }
  #status { margin-top: .5rem; }
  .dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; background: #c33; margin-right: .3rem; }
  .dot.on { background: #2a2; }
</style>
</head>
<body>
<h1>Spaceport</h1>
<p class="muted">A real-time gateway for AI inference. This page streams from <code>/ws</code>; the model is the
<code>text-generation</code> demo space (a tiny character-level model trained on Jane Austen).
Other entry points: <a href="/v1/spaces">/v1/spaces</a>, <a href="/health">/health</a>, <a href="/metrics">/metrics</a>.</p>
<div id="conn"><span class="dot" id="dot"></span><span id="connText">connecting…</span></div>
<textarea id="query" rows="3">It is a truth universally acknowledged</textarea>
<button id="send">Stream</button>
<div id="out"></div>
<div id="status" class="muted"></div>
<script>
  const out = document.getElementById('out');
  const status = document.getElementById('status');
  const dot = document.getElementById('dot');
  const connText = document.getElementById('connText');
  let ws;
  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    ws.onopen = () => { dot.className = 'dot on'; connText.textContent = 'connected'; };
    ws.onclose = () => { dot.className = 'dot'; connText.textContent = 'disconnected, retrying…'; setTimeout(connect, 1000); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === 'token') out.textContent += msg.token;
      else if (msg.type === 'end') status.textContent = msg.total_tokens + ' tokens in ' + msg.duration_ms + ' ms';
      else if (msg.type === 'error') status.textContent = 'error ' + msg.code + ': ' + msg.error;
    };
  }
  document.getElementById('send').onclick = () => {
    const query = document.getElementById('query').value;
    out.textContent = query;
    status.textContent = 'streaming…';
    ws.send(JSON.stringify({ type: 'query', session_id: crypto.randomUUID(), query, stream: true }));
  };
  connect();
</script>
</body>
</html>
`;
