// Drives a running F5Tts.Server with the official OpenAI npm client (v6).
// F5TTS_URL names the server (the C# test OpenAiClientTests starts a real Kestrel host and runs this file).
// Every decoded duration is checked against the raw PCM of the same request (same seed → same audio).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createParser } from 'eventsource-parser';

const baseURL = process.env.F5TTS_URL;
assert.ok(baseURL, 'F5TTS_URL must name the running service');
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: process.env.F5TTS_API_KEY ?? 'unused', maxRetries: 0 });
const input = 'Hello there. This is a test of the speech endpoint.';
const extras = { seed: 1234, nfe_steps: 4 };
const work = mkdtempSync(join(tmpdir(), 'f5tts-openai-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function probe(bytes, name) {
  const path = join(work, name);
  writeFileSync(path, bytes);
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels:format=duration',
    '-of', 'json', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ffprobe rejected ${name}: ${r.stderr}`);
  const info = JSON.parse(r.stdout);
  return { codec: info.streams[0].codec_name, rate: Number(info.streams[0].sample_rate),
    channels: info.streams[0].channels, duration: Number(info.format.duration) };
}

async function speech(format, more = {}) {
  const response = await client.audio.speech.create({ model: 'f5-tts', voice: 'default', input, response_format: format, ...extras, ...more });
  return Buffer.from(await response.arrayBuffer());
}

let pcmSeconds;
test('pcm: raw s16le 24 kHz whose length fixes the expected duration', async () => {
  const pcm = await speech('pcm');
  assert.ok(pcm.length > 0 && pcm.length % 2 === 0, `pcm length ${pcm.length}`);
  pcmSeconds = pcm.length / 2 / 24000;
  assert.ok(pcmSeconds > 0.5, `only ${pcmSeconds}s of audio`);
});

test('wav: RIFF PCM, mono, 24 kHz, same duration within 20 ms', async () => {
  const wav = await speech('wav');
  assert.equal(wav.subarray(0, 4).toString('ascii'), 'RIFF');
  const info = probe(wav, 'a.wav');
  assert.equal(info.codec, 'pcm_s16le');
  assert.equal(info.rate, 24000);
  assert.equal(info.channels, 1);
  assert.ok(Math.abs(info.duration - pcmSeconds) <= 0.02, `wav ${info.duration}s vs pcm ${pcmSeconds}s`);
});

test('opus: Ogg Opus accepted by opusinfo and ffprobe, same duration within 20 ms', async () => {
  const ogg = await speech('opus');
  assert.equal(ogg.subarray(0, 4).toString('ascii'), 'OggS');
  const path = join(work, 'a.opus');
  writeFileSync(path, ogg);
  const info = spawnSync('opusinfo', [path], { encoding: 'utf8' });
  assert.equal(info.status, 0, `opusinfo: ${info.stdout}${info.stderr}`);
  const p = probe(ogg, 'b.opus');
  assert.equal(p.codec, 'opus');
  assert.equal(p.channels, 1);
  assert.ok(Math.abs(p.duration - pcmSeconds) <= 0.02, `opus ${p.duration}s vs pcm ${pcmSeconds}s`);
});

test('mp3: decodes as mono MP3 of the same duration (encoder delay and padding: 100 ms)', async () => {
  const mp3 = await speech('mp3');
  const p = probe(mp3, 'a.mp3');
  assert.equal(p.codec, 'mp3');
  assert.equal(p.channels, 1);
  assert.ok(Math.abs(p.duration - pcmSeconds) <= 0.1, `mp3 ${p.duration}s vs pcm ${pcmSeconds}s`);
});

test('unsupported format: 400 naming the supported ones', async () => {
  await assert.rejects(() => speech('aac'), (err) => {
    assert.equal(err.status, 400);
    return true;
  });
  // The client only surfaces application/json bodies; read the ProblemDetails directly.
  const raw = await fetch(`${baseURL}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'f5-tts', voice: 'default', input, response_format: 'aac' }) });
  assert.equal(raw.status, 400);
  assert.match(raw.headers.get('content-type'), /application\/problem\+json/);
  const problem = await raw.json();
  assert.match(problem.detail, /wav/);
  assert.match(problem.detail, /opus/);
});

test('sse: speech.audio.delta events then speech.audio.done, audio equals the pcm response', async () => {
  const response = await client.audio.speech.create({ model: 'f5-tts', voice: 'default', input, response_format: 'pcm', stream_format: 'sse', ...extras });
  const events = [];
  const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data)) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  const deltas = events.filter((e) => e.type === 'speech.audio.delta');
  assert.ok(deltas.length >= 1, 'no delta events');
  assert.equal(events.at(-1).type, 'speech.audio.done');
  const audio = Buffer.concat(deltas.map((d) => Buffer.from(d.audio, 'base64')));
  assert.equal(audio.length / 2 / 24000, pcmSeconds);
});

test('models and voices are listed', async () => {
  const models = await client.models.list();
  assert.ok(models.data.length >= 1);
  const voices = await (await fetch(`${baseURL}/v1/audio/voices`)).json();
  assert.ok(voices.voices.some((v) => v.id === 'default' || v.name === 'default'));
});
