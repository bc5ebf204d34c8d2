// The built-in page at / in headless Chromium (puppeteer-core driving /usr/bin/chromium with a fake microphone).
// Environment (set by the C# test PageTests, which starts the service): F5TTS_URL the service, CHROMIUM the browser,
// ARTIFACTS a folder for the screenshot, VOICE_WAV a reference clip, VOICE_TRANSCRIPT its transcript, FFMPEG ffmpeg,
// API_KEY (only when the service requires one: then only the API-key test runs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const baseURL = process.env.F5TTS_URL;
assert.ok(baseURL, 'F5TTS_URL must name the running service');
const artifacts = process.env.ARTIFACTS ?? tmpdir();
const apiKey = process.env.API_KEY;
// One sample at 24 kHz: the WAV holds whole samples and X-Audio-Duration is printed to 1 µs.
const ONE_SAMPLE = 1 / 24000;
// Long enough for two text chunks (the first chunk of a streamed response is short).
const LONG_TEXT = 'The first sentence is short. The second sentence goes on for a while longer, so that the text '
  + 'is split into more than one chunk and the response streams them one after the other.';

let browser;
let scratch;
const consoleErrors = [];

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'f5tts-page-'));
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      // The microphone: Chromium's generated test signal, permission granted without a prompt.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

after(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function openPage() {
  const page = await browser.newPage();
  page.setDefaultTimeout(180_000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(`${baseURL}/`, { waitUntil: 'load' });
  return page;
}

async function waitForVoices(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('#voice option')].some((o) => o.value === 'default'));
}

/** Waits for the page's own state attribute, never for a time. */
async function synthesize(page) {
  const tts = page.waitForResponse((r) => r.url().endsWith('/v1/tts') && r.request().method() === 'POST');
  await page.evaluate(() => { document.getElementById('result').dataset.state = ''; });
  await page.click('#synthesize');
  const response = await tts;
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('result').dataset.state));
  return response;
}

async function saveVoice(page, name, transcript) {
  await page.$eval('#voice-name', (e, v) => { e.value = v; }, name);
  await page.$eval('#voice-transcript', (e, v) => { e.value = v; }, transcript);
  await page.$eval('#voice-status', (e) => { delete e.dataset.voiceId; });
  await page.click('#voice-save');
  await page.waitForFunction(
    () => document.getElementById('voice-status').dataset.voiceId || !document.getElementById('voice-error').hidden);
  const error = await page.$eval('#voice-error', (e) => (e.hidden ? null : e.textContent));
  assert.equal(error, null, `the upload was refused: ${error}`);
  const id = await page.$eval('#voice-status', (e) => e.dataset.voiceId);
  // The new voice is listed and selected for the next synthesis.
  assert.equal(await page.$eval('#voice', (e) => e.value), id);
  return id;
}

test('the API key field appears when keys are enabled and unlocks the API', { skip: !apiKey }, async () => {
  const page = await openPage();
  await page.waitForSelector('#auth:not([hidden])');
  assert.match(await page.$eval('#error', (e) => e.textContent), /API key is required/);
  await page.type('#api-key', apiKey);
  await page.click('#api-key-save');
  await waitForVoices(page);
  await page.$eval('#text', (e) => { e.value = 'Hello.'; });
  await page.$eval('#steps', (e) => { e.value = '4'; });
  const response = await synthesize(page);
  assert.equal(response.status(), 200);
  await page.close();
});

test('the page loads without console errors, labels every control and renders Chinese', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  await page.waitForFunction(() => document.getElementById('model-status').textContent.startsWith('Model '));
  // Every form control has a label (its accessible name), the links name Swagger and /metrics.
  const unlabelled = await page.$$eval('input, select, textarea', (all) => all
    .filter((e) => e.type !== 'hidden' && e.labels.length === 0).map((e) => e.id));
  assert.deepEqual(unlabelled, []);
  const links = await page.$$eval('nav a', (all) => all.map((a) => a.getAttribute('href')));
  assert.ok(links.includes('swagger/index.html') && links.includes('metrics'), links.join(', '));
  // Chinese text is drawn with a CJK font the stylesheet names (not tofu boxes from a Latin font).
  await page.$eval('#model-status', (e) => { e.textContent = '这点请您放心'; });
  const client = await page.createCDPSession();
  await client.send('DOM.enable');
  await client.send('CSS.enable');
  const { root } = await client.send('DOM.getDocument');
  const { nodeId } = await client.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#model-status' });
  const { fonts } = await client.send('CSS.getPlatformFontsForNode', { nodeId });
  const named = ['Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'PingFang SC', 'Microsoft YaHei'];
  assert.ok(fonts.some((f) => named.includes(f.familyName) && f.glyphCount === 6),
    `Chinese rendered with ${JSON.stringify(fonts)}`);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('Synthesize gives a player whose decoded duration is X-Audio-Duration, with the timings shown', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  await page.type('#text', '你好，欢迎使用。Hello and welcome.');
  await page.$eval('#steps', (e) => { e.value = '4'; });
  const response = await synthesize(page);
  assert.equal(response.status(), 200);
  const header = Number(response.headers()['x-audio-duration']);
  assert.ok(header > 0, 'X-Audio-Duration');
  // Chromium's own decoders: the file behind the player and the <audio> element's media pipeline.
  const decoded = await page.evaluate(async () => {
    const player = document.getElementById('player');
    const bytes = await (await fetch(player.src)).arrayBuffer();
    const buffer = await new OfflineAudioContext(1, 1, 24000).decodeAudioData(bytes);
    if (player.readyState < 1) {
      await new Promise((resolve) => player.addEventListener('loadedmetadata', resolve, { once: true }));
    }
    return { buffer: buffer.duration, element: player.duration, download: document.getElementById('download').download };
  });
  assert.ok(Math.abs(decoded.buffer - header) <= ONE_SAMPLE, `decoded ${decoded.buffer} s vs header ${header} s`);
  assert.ok(Math.abs(decoded.element - header) <= ONE_SAMPLE, `<audio> ${decoded.element} s vs header ${header} s`);
  assert.equal(decoded.download, 'speech.wav');
  for (const id of ['#t-queue', '#t-inference', '#t-first', '#t-total', '#t-audio']) {
    assert.match(await page.$eval(id, (e) => e.textContent), /^\d+\.\d{3} s$/, id);
  }
  assert.equal(await page.$eval('#t-audio', (e) => e.textContent), `${header.toFixed(3)} s`);
  assert.equal(await page.$eval('#t-chunks', (e) => e.textContent), response.headers()['x-chunks']);
  await page.screenshot({ path: path.join(artifacts, 'page.png'), fullPage: true });
  await page.close();
});

test('a long text streams: audio is scheduled as chunks arrive and the whole clip is offered as WAV', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  await page.$eval('#text', (e, t) => { e.value = t; }, LONG_TEXT);
  await page.$eval('#steps', (e) => { e.value = '4'; });
  await page.click('#stream');
  // The body trickles in (256 KiB/s, several reads however busy the machine is), as over a real network.
  await page.emulateNetworkConditions({ download: 256 * 1024, upload: -1, latency: 0 });
  const response = await synthesize(page);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'audio/pcm');
  const bytes = (await response.buffer()).length;
  const state = await page.evaluate(async () => {
    const result = document.getElementById('result');
    const player = document.getElementById('player');
    const buffer = await new OfflineAudioContext(1, 1, 24000)
      .decodeAudioData(await (await fetch(player.src)).arrayBuffer());
    return { scheduled: Number(result.dataset.scheduledBeforeEnd), seconds: buffer.duration };
  });
  // More than one piece was scheduled for playback while the response was still arriving.
  assert.ok(state.scheduled >= 2, `audio scheduled ${state.scheduled} times`);
  assert.ok(Math.abs(state.seconds - bytes / 2 / 24000) <= ONE_SAMPLE, `${state.seconds} s from ${bytes} bytes`);
  await page.close();
});

test('a voice is added from an audio file (WAV and Ogg Opus as they are, Ogg Vorbis converted in the browser)', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  await page.click('#add-voice summary');
  const file = await page.$('#voice-file');
  await file.uploadFile(process.env.VOICE_WAV);
  const wavId = await saveVoice(page, 'Page file voice', process.env.VOICE_TRANSCRIPT);
  assert.match(wavId, /^page-file-voice/);

  const opus = path.join(scratch, 'reference.opus');
  execFileSync(process.env.FFMPEG ?? 'ffmpeg', ['-v', 'error', '-y', '-i', process.env.VOICE_WAV, '-c:a', 'libopus', opus]);
  await file.uploadFile(opus);
  const opusId = await saveVoice(page, 'Page opus voice', process.env.VOICE_TRANSCRIPT);
  assert.doesNotMatch(await page.$eval('#voice-status', (e) => e.textContent), /converted/);
  assert.equal((await (await fetch(`${baseURL}/v1/voices/${opusId}`)).json()).sourceFormat, 'ogg/opus');

  const vorbis = path.join(scratch, 'reference.ogg');
  execFileSync(process.env.FFMPEG ?? 'ffmpeg', ['-v', 'error', '-y', '-i', process.env.VOICE_WAV, '-c:a', 'libvorbis', vorbis]);
  await file.uploadFile(vorbis);
  const vorbisId = await saveVoice(page, 'Page vorbis voice', process.env.VOICE_TRANSCRIPT);
  assert.match(await page.$eval('#voice-status', (e) => e.textContent), /converted to WAV in the browser/);
  const stored = await (await fetch(`${baseURL}/v1/voices/${vorbisId}`)).json();
  assert.equal(stored.sourceFormat, 'wav/pcm16');
  assert.ok(stored.durationSeconds > 3, `stored ${stored.durationSeconds} s`);
  await page.close();
});

test('what MediaRecorder records (WebM Opus) is stored as a voice by the service itself', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  const answer = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const recorder = new MediaRecorder(stream, { mimeType: 'audio/webm;codecs=opus' });
    const chunks = [];
    // A piece every 250 ms; twelve pieces are 3 s of the fake microphone (counted, not timed).
    const enough = new Promise((resolve) => {
      recorder.ondataavailable = (e) => {
        chunks.push(e.data);
        if (chunks.length === 12) resolve();
      };
    });
    recorder.start(250);
    await enough;
    const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    const form = new FormData();
    form.append('name', 'MediaRecorder voice');
    form.append('transcript', 'A beep from the test microphone.');
    form.append('audio', new Blob(chunks, { type: recorder.mimeType }), 'recording.webm');
    const response = await fetch('v1/voices', { method: 'POST', body: form });
    return { status: response.status, body: await response.json(), type: recorder.mimeType };
  });
  assert.match(answer.type, /^audio\/webm/);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  assert.equal(answer.body.sourceFormat, 'webm/opus');
  assert.ok(answer.body.durationSeconds >= 0.5, `stored ${answer.body.durationSeconds} s`);
  await page.close();
});

test('a voice is recorded from the microphone and stored', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  await page.click('#add-voice summary');
  await page.click('#record');
  await page.waitForFunction(() => Number(document.getElementById('record-status').dataset.seconds) >= 3);
  await page.click('#record');
  await page.waitForFunction(() => document.getElementById('record-status').dataset.recorded);
  const id = await saveVoice(page, 'Page microphone voice', 'A beep from the test microphone.');
  const stored = await (await fetch(`${baseURL}/v1/voices/${id}`)).json();
  assert.equal(stored.sourceFormat.startsWith('wav'), true, stored.sourceFormat);
  assert.ok(stored.durationSeconds >= 0.5, `stored ${stored.durationSeconds} s`);
  await page.close();
});

test('empty text shows the problem title and detail; Ctrl+Enter submits from the keyboard', { skip: !!apiKey }, async () => {
  const page = await openPage();
  await waitForVoices(page);
  await page.focus('#text');
  await page.keyboard.down('Control');
  const tts = page.waitForResponse((r) => r.url().endsWith('/v1/tts'));
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
  const response = await tts;
  assert.equal(response.status(), 400);
  const problem = await response.json();
  await page.waitForSelector('#error:not([hidden])');
  assert.equal(await page.$eval('#error [data-title]', (e) => e.textContent), problem.title);
  assert.equal(await page.$eval('#error [data-detail]', (e) => e.textContent), problem.detail);
  assert.match(problem.detail, /text/i);
  assert.equal(await page.$eval('#result', (e) => e.dataset.state), 'error');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'page-error.png'), fullPage: true });
  await page.close();
});
