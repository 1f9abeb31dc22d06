import { PAGE_HEADER, PAGE_NAV } from '../../server/page-header.ts';
/**
 * `GET /websocket-test`: the lip-sync document's browser test client — pick an audio file and an
 * image, connect, send, watch progress, play and download the video, read the log.
 */
export const LIP_SYNC_TEST_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spaceport — /ws/lip-sync test</title>
${PAGE_HEADER}
<style>
  .doc-page { max-width: 44rem; }
  fieldset { border: 1px solid var(--line); border-radius: 6px; margin-bottom: 1rem; }
  label { display: block; margin: .3rem 0; }
  progress { width: 100%; }
  #log { background: var(--soft); font: 12px/1.4 ui-monospace, monospace; height: 12rem; overflow: auto; padding: .5rem; white-space: pre-wrap; }
  video { width: 100%; margin-top: .5rem; background: #000; }
  .note { color: var(--muted); font-size: .9rem; }
</style>
</head>
<body>
${PAGE_NAV}
<div class="doc-page" id="content">
<h1>/ws/lip-sync test</h1>
<p class="note">The built-in worker makes your portrait speak: it opens the mouth with the loudness of your audio, frame by frame (a face seen from the front works best). The mouth opens and closes with the speech; its shapes do not follow the sounds.</p>
<fieldset>
  <label>Audio <input type="file" id="audio" accept="audio/*"></label>
  <label>Image <input type="file" id="image" accept="image/*"></label>
  <label>Resize factor <select id="resize"><option>1</option><option>2</option><option>4</option></select></label>
  <button id="connect">Connect</button> <button id="process" disabled>Process</button> <button id="cancel" disabled>Cancel</button>
</fieldset>
<progress id="bar" max="100" value="0"></progress>
<div id="status" class="note"></div>
<video id="video" controls hidden></video>
<a id="download" hidden download="result.mp4">Download result.mp4</a>
<h2>Log</h2>
<div id="log"></div>
<script>
  const $ = (id) => document.getElementById(id);
  let ws;
  const log = (line) => { $('log').textContent += new Date().toISOString().slice(11, 19) + ' ' + line + '\\n'; $('log').scrollTop = 1e9; };
  const base64 = (file) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1]);
    reader.onerror = reject;
    reader.readAsDataURL(file);
  });
  $('connect').onclick = () => {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/lip-sync');
    ws.onopen = () => { log('connected'); $('process').disabled = false; $('cancel').disabled = false; };
    ws.onclose = () => { log('disconnected'); $('process').disabled = true; $('cancel').disabled = true; };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type !== 'progress') log(msg.type + ' ' + JSON.stringify(msg).slice(0, 160));
      if (msg.type === 'progress') { $('bar').value = msg.progress; $('status').textContent = msg.progress + '% ' + msg.message; }
      if (msg.type === 'result') {
        const bytes = Uint8Array.from(atob(msg.video_base64), (c) => c.charCodeAt(0));
        const url = URL.createObjectURL(new Blob([bytes], { type: 'video/mp4' }));
        $('video').src = url; $('video').hidden = false;
        $('download').href = url; $('download').hidden = false;
        $('status').textContent = msg.frames_processed + ' frames in ' + msg.processing_time + ' s';
      }
      if (msg.type === 'error') $('status').textContent = msg.error_type + ': ' + msg.message;
    };
  };
  $('process').onclick = async () => {
    if (!$('audio').files[0] || !$('image').files[0]) return log('choose an audio file and an image first');
    const [audio, image] = await Promise.all([base64($('audio').files[0]), base64($('image').files[0])]);
    ws.send(JSON.stringify({ type: 'process', audio_base64: audio, image_base64: image, options: { resize_factor: Number($('resize').value) } }));
    log('process sent');
  };
  $('cancel').onclick = () => ws.send(JSON.stringify({ type: 'cancel' }));
</script>
</div>
</body>
</html>
`;
