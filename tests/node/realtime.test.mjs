// Drives the real-time route /v1/tts/ws of a running F5Tts.Server with the `ws` npm package (through the example
// client realtime-client.mjs). F5TTS_URL names the server; the C# test RealtimeNodeClientTests starts a real Kestrel
// host with one session slot and no wait cut, and runs this file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, readToClose } from './realtime-client.mjs';

const baseURL = process.env.F5TTS_URL;
assert.ok(baseURL, 'F5TTS_URL must name the running service');
const wsURL = `${baseURL.replace(/^http/, 'ws')}/v1/tts/ws`;
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One slot: a session opened right after the last one closed may find it still taken for a moment (the server gives
// it back just after the close handshake); such a start is answered with too-many-sessions, and tried again.
async function start(message) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const session = openSession(wsURL);
    await session.opened;
    session.send(message);
    const first = await session.next();
    if (first.json?.type === 'started') return session;
    assert.equal(first.json?.problem, 'urn:f5tts:problem:too-many-sessions', JSON.stringify(first));
    await session.next(); // its close
    await delay(20);
  }
  assert.fail('the session slot never became free');
}

test('tokens sent with delays get audio before end, then done and close 1000', async () => {
  const session = await start({ type: 'start', format: 'pcm', nfe_steps: 4, seed: 11 });
  for (const token of ['Hello', ' there,', ' my', ' friend']) {
    session.send({ type: 'text', text: token });
    await delay(30);
  }
  const before = [];
  let frame;
  do {
    frame = await session.next();
    assert.equal(frame.close, undefined, 'closed before any audio');
    before.push(frame);
  } while (!frame.audio);
  assert.equal(before[0].json.type, 'segment');
  assert.equal(before[0].json.text, 'Hello there,');

  for (const token of [' and', ' the', ' rest.', ' Goodbye', ' now.']) {
    session.send({ type: 'text', text: token });
    await delay(30);
  }
  session.send({ type: 'end' });
  const rest = await readToClose(session);
  assert.equal(rest.close, 1000);
  const done = rest.messages.find((m) => m.type === 'done');
  const segments = [before[0].json, ...rest.messages.filter((m) => m.type === 'segment')];
  assert.equal(done.segments, segments.length);
  assert.equal(segments.map((s) => s.text).join(' '), 'Hello there, my friend and the rest. Goodbye now.');
  const bytes = before.filter((f) => f.audio).reduce((n, f) => n + f.audio.length, 0) + rest.audio.length;
  assert.ok(Math.abs(bytes / 2 / 24000 - done.audio_s) < 1e-4, `${bytes} bytes vs ${done.audio_s} s`);
});

test('one segment streamed equals the whole /v1/tts response within 1 LSB', async () => {
  const text = 'This sentence is spoken as one single segment';
  const session = await start({ type: 'start', format: 'pcm', nfe_steps: 4, seed: 21 });
  session.send({ type: 'text', text });
  session.send({ type: 'end' });
  const streamed = await readToClose(session);
  assert.equal(streamed.close, 1000);
  assert.deepEqual(streamed.messages.filter((m) => m.type === 'segment').map((m) => m.text), [text]);

  const response = await fetch(`${baseURL}/v1/tts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, format: 'pcm', nfe_steps: 4, seed: 21 }),
  });
  assert.equal(response.status, 200);
  const whole = Buffer.from(await response.arrayBuffer());
  assert.equal(streamed.audio.length, whole.length);
  let worst = 0;
  for (let i = 0; i < whole.length; i += 2) worst = Math.max(worst, Math.abs(whole.readInt16LE(i) - streamed.audio.readInt16LE(i)));
  assert.ok(worst <= 1, `largest difference ${worst} LSB`);
});

test('a client that closes mid-stream frees the slot for the next session', async () => {
  const leaving = await start({ type: 'start', nfe_steps: 4, seed: 5 });
  leaving.send({ type: 'text', text: 'A first sentence to speak now. A second sentence that is queued behind it. A third one as well, for good measure.' });
  leaving.send({ type: 'flush' });
  let frame;
  do { frame = await leaving.next(); } while (!frame.audio);
  leaving.close();
  for (; frame.close === undefined; frame = await leaving.next()) { /* up to the close */ }

  const next = await start({ type: 'start', nfe_steps: 4 });
  next.send({ type: 'end' });
  assert.equal((await readToClose(next)).close, 1000);
});

const bad = [
  ['non-JSON', (s) => s.sendRaw('this is not json', false), 'malformed-json', 1007],
  ['unknown type', (s) => s.send({ type: 'sing' }), 'protocol-error', 1008],
  ['binary data', (s) => s.sendRaw(Buffer.from([1, 2, 3]), true), 'protocol-error', 1003],
  ['text before start', (s) => s.send({ type: 'text', text: 'hello' }), 'protocol-error', 1008],
  ['unknown voice', (s) => s.send({ type: 'start', voice: 'no-such-voice' }), 'voice-not-found', 1008],
];
for (const [name, send, problem, code] of bad) {
  test(`${name}: error ${problem}, then close ${code}`, async () => {
    for (let attempt = 0; ; attempt++) {
      const session = openSession(wsURL);
      await session.opened;
      send(session);
      const result = await readToClose(session);
      const error = result.messages.find((m) => m.type === 'error');
      if (error?.problem === 'urn:f5tts:problem:too-many-sessions' && attempt < 500) { await delay(20); continue; }
      assert.equal(error?.problem, `urn:f5tts:problem:${problem}`, JSON.stringify(result.messages));
      assert.equal(error.close_code, code);
      assert.equal(result.close, code);
      return;
    }
  });
}
